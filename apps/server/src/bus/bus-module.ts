// Server module wiring the ingest bus: with bus.kind nats, receivers publish through JetStream and a writer in
// this process commits to the store; with none (default) it does nothing and the bus code is never loaded.

import type { ServerModule } from "../modules.js";

export const busModule: ServerModule = {
  name: "bus",
  deps: [],
  async start(ctx) {
    const config = ctx.config.bus;
    if (config.kind === "none") return { stop: async () => {} };
    const { NatsJetStreamBus } = await import("./nats-jetstream-bus.js");
    const events = ctx.metrics.counter(
      "meshlog_bus_events_total",
      "Ingest bus events: published, publish_failed, committed, redelivered (committed after a redelivery), duplicate, corrupt, retry, terminated.",
    );
    const bus = await NatsJetStreamBus.connect(config, { log: ctx.log, count: (event, n) => events.inc({ event }, n) });
    try {
      await bus.start(async (tenant, records) => {
        await ctx.store.append(tenant, records);
        ctx.ingest.committed(tenant, records);
      });
    } catch (err) {
      await bus.close();
      throw err;
    }
    ctx.ingest.routeTo(bus);
    ctx.services.set("bus", bus);
    ctx.log.info("ingest bus started", { kind: bus.kind, servers: config.servers, stream: config.stream, consumer: config.consumer });
    return {
      async stop() {
        ctx.ingest.routeTo(undefined);
        ctx.services.delete("bus");
        await bus.close();
      },
    };
  },
};

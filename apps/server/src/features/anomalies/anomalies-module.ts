// Server module "anomalies": opens the anomaly service (saved baselines) and, when anomalies.enabled, runs the
// detectors every anomalies.intervalSeconds.

import type { ServerModule } from "../../modules.js";
import { ANOMALY_SERVICE, AnomalyService } from "./anomaly-service.js";

export const anomaliesModule: ServerModule = {
  name: "anomalies",
  deps: [],
  async start(ctx) {
    const cfg = ctx.config.anomalies;
    const service = new AnomalyService({ store: ctx.store, clock: ctx.clock, log: ctx.log, config: cfg, dataDir: ctx.dataDir, metrics: ctx.metrics });
    ctx.services.set(ANOMALY_SERVICE, service);
    const stop = new AbortController();
    let busy = false;
    const timer = cfg.enabled
      ? setInterval(() => {
          if (busy) return;
          busy = true;
          service
            .runOnce(stop.signal)
            .catch((e: unknown) => ctx.log.error("anomaly detection failed", { err: e as Error }))
            .finally(() => {
              busy = false;
            });
        }, cfg.intervalSeconds * 1000).unref()
      : undefined;
    return {
      async stop() {
        if (timer !== undefined) clearInterval(timer);
        stop.abort();
        await service.close();
      },
    };
  },
};

// Server feature modules: started in dependency order, stopped in reverse (one line each in serverModules).

import type { ServerContext } from "./context.js";
import { httpModule } from "./http/http-module.js";
import { forwardModule } from "./ingest/forward/index.js";
import { syslogModule } from "./ingest/syslog/index.js";
import { otlpGrpcModule } from "./ingest/otlp-grpc/index.js";
import { beatsModule } from "./ingest/beats/index.js";
import { securityModule } from "./features/auth/security-module.js";
import { limitsModule } from "./features/limits/limits-module.js";
import { retentionModule } from "./features/retention/retention-module.js";
import { alertingModule } from "./features/alerting/alerting-module.js";
import { anomaliesModule } from "./features/anomalies/anomalies-module.js";
import { busModule } from "./bus/bus-module.js";

export interface Stoppable {
  stop(): Promise<void>;
}

export interface ServerModule {
  readonly name: string;
  /** Names of modules that must start first. */
  readonly deps: readonly string[];
  start(ctx: ServerContext): Promise<Stoppable>;
}

export const serverModules: readonly ServerModule[] = [
  busModule,
  securityModule,
  limitsModule,
  retentionModule,
  alertingModule,
  anomaliesModule,
  httpModule,
  forwardModule,
  syslogModule,
  otlpGrpcModule,
  beatsModule,
];

/** Orders modules so each comes after its deps; throws on unknown deps or cycles. */
export function startOrder(modules: readonly ServerModule[]): ServerModule[] {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const out: ServerModule[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (m: ServerModule, path: string[]): void => {
    const s = state.get(m.name);
    if (s === "done") return;
    if (s === "visiting") throw new Error(`BUG: module dependency cycle: ${[...path, m.name].join(" -> ")}`);
    state.set(m.name, "visiting");
    for (const d of m.deps) {
      const dep = byName.get(d);
      if (dep === undefined) throw new Error(`BUG: module ${m.name} depends on unknown module ${d}`);
      visit(dep, [...path, m.name]);
    }
    state.set(m.name, "done");
    out.push(m);
  };
  for (const m of modules) visit(m, []);
  return out;
}

/** Starts modules in order; on failure stops those already started. Returns a stop-all function. */
export async function startModules(ctx: ServerContext, modules: readonly ServerModule[]): Promise<Stoppable> {
  const started: { name: string; handle: Stoppable }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { name, handle } of started.reverse()) {
      try {
        await handle.stop();
      } catch (err) {
        ctx.log.error("module failed to stop", { module: name, err: err as Error });
      }
    }
  };
  try {
    for (const m of startOrder(modules)) started.push({ name: m.name, handle: await m.start(ctx) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { stop: stopAll };
}

// Test support: a SourceContext that collects emitted records and checkpoints in memory.

import { ManualClock, silentLogger, type LogRecord } from "@meshlog/core";
import type { SourceContext } from "../contracts.js";
import { Metrics } from "../runtime/metrics.js";

export interface FakeSourceContext extends SourceContext {
  readonly records: LogRecord[];
  readonly saved: Map<string, unknown>;
  full: boolean;
  /** When set, emit waits for this promise (simulates a full buffer). */
  gate: Promise<void> | undefined;
}

export function fakeSourceContext(name = "test", saved = new Map<string, unknown>()): FakeSourceContext {
  const ctx: FakeSourceContext = {
    name,
    logger: silentLogger,
    clock: new ManualClock(),
    metrics: new Metrics(),
    dataDir: "",
    records: [],
    saved,
    full: false,
    gate: undefined,
    checkpoints: () => new Map(saved),
    isFull: () => ctx.full,
    async emit(records, checkpoints) {
      if (ctx.gate !== undefined) await ctx.gate;
      ctx.records.push(...records);
      for (const [k, v] of Object.entries(checkpoints ?? {})) {
        if (v === null) saved.delete(k);
        else saved.set(k, v);
      }
    },
  };
  return ctx;
}

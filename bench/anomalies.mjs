#!/usr/bin/env node
// Cost of one anomaly-detector run (all detectors, template mining of the sample) over one interval of mesh lines,
// as a ratio to a plain select pass that only counts the same lines, in the same run. Prints JSON.
// Usage: node bench/anomalies.mjs [--lines N] [--rounds R]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, silentLogger } from "../packages/core/dist/index.js";
import { MemoryStore } from "../packages/storage/dist/index.js";
import { AnomalyService } from "../apps/server/dist/features/anomalies/anomaly-service.js";
import { anomaliesConfigSchema } from "../apps/server/dist/features/anomalies/anomalies-config.js";
import { meshLine, resetMeshLines } from "./lib-mesh-lines.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const scale = Number(process.env.MESHLOG_BENCH_SCALE ?? 1);
const LINES = Math.round(arg("lines", 200_000) * scale);
const ROUNDS = arg("rounds", 5);
const S = 1_000_000_000n;
const INTERVAL = 60n * S;

const store = new MemoryStore();
const clock = new ManualClock(1_800_000_000n * S);
const dir = mkdtempSync(join(tmpdir(), "meshlog-bench-anomalies-"));
const config = anomaliesConfigSchema.parse({ intervalSeconds: 60, delaySeconds: 0 });
const service = new AnomalyService({ store, clock, log: silentLogger, config, dataDir: dir });

/** Fills one interval starting now with LINES mesh lines (attributes as the normalizer would set them). */
async function fill() {
  const start = clock.nowNs();
  const batch = [];
  for (let i = 0; i < LINES; i++) {
    const ts = start + (BigInt(i) * (INTERVAL - 1000n)) / BigInt(LINES);
    const l = meshLine(Number(ts / 1_000_000n));
    const attributes =
      l.source === "envoy" || l.source === "istio" ? { "http.status_code": String(l.status), "response.flags": l.status >= 500 ? "UF" : "-" } : {};
    // Bodies as a store hands them back (decoded from bytes: flat strings, not the generator's concatenations).
    const body = Buffer.from(l.body, "utf8").toString("utf8");
    batch.push({
      timestamp: ts,
      observedTimestamp: ts,
      severityNumber: l.status >= 500 ? 17 : 9,
      severityText: "",
      body,
      attributes,
      resource: {},
      traceId: "",
      spanId: "",
      tenant: "t",
      labels: { source: l.source, service: l.service, namespace: "prod" },
    });
    if (batch.length === 10_000) await store.append("t", batch.splice(0));
  }
  await store.append("t", batch);
  return start;
}

async function plainScan(start) {
  const streams = await store.streams("t", start, start + INTERVAL);
  let n = 0;
  for (const s of streams)
    for await (const b of store.select({ tenant: "t", streamIds: [s.id], start, end: start + INTERVAL, direction: "forward" })) n += b.length;
  return n;
}

resetMeshLines();
const runs = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = await fill();
  clock.advance(INTERVAL);
  let t0 = process.hrtime.bigint();
  const counted = await plainScan(start);
  const plainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  const report = await service.runOnce();
  const runMs = Number(process.hrtime.bigint() - t0) / 1e6;
  runs.push({ counted, linesRead: report.linesRead, anomalies: report.anomalies.length, plainMs, runMs, ratio: runMs / plainMs });
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    lines: LINES,
    rounds: ROUNDS,
    // Medians over the rounds: the machine is shared, single rounds vary.
    detectorLinesPerSecond: Math.round(LINES / (median(runs.map((x) => x.runMs)) / 1000)),
    plainSelectLinesPerSecond: Math.round(LINES / (median(runs.map((x) => x.plainMs)) / 1000)),
    runVsPlainSelect: Number(median(runs.map((x) => x.ratio)).toFixed(2)),
    runs: runs.map((x) => ({ ...x, plainMs: Math.round(x.plainMs), runMs: Math.round(x.runMs), ratio: Number(x.ratio.toFixed(2)) })),
  }),
);

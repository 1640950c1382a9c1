#!/usr/bin/env node
// Query benchmark: needle search, substring scan (vs Buffer.indexOf over the same raw text) and `sum by`
// metric queries over generated access-log lines. Prints one JSON object.
// Env: MESHLOG_BENCH_LINES (default 500000 × MESHLOG_BENCH_SCALE; 10000000 for the DESIGN §10 size),
// MESHLOG_BENCH_STREAMS (default 12). The store is the in-memory reference store until the embedded engine lands;
// 10M lines in it need NODE_OPTIONS=--max-old-space-size=16000.
import { QueryEngine, compilePipeline, LabelsBuilder, parseExpr } from "../packages/query/dist/index.js";
import { MemoryStore } from "../packages/storage/dist/index.js";
import os from "node:os";
import { Worker } from "node:worker_threads";

const N = Number(process.env.MESHLOG_BENCH_LINES ?? Math.round(500_000 * Number(process.env.MESHLOG_BENCH_SCALE ?? 1)));
const STREAMS = Number(process.env.MESHLOG_BENCH_STREAMS ?? 12);
const NEEDLE = "trace=deadbeefcafef00d";
const T0 = 1_700_000_000_000_000_000n;
const STEP_NS = 10_000_000n; // 100 lines per second of log time
const levels = ["info", "info", "info", "warn", "error", "debug"];
const paths = ["/api/v1/users", "/api/v1/orders", "/healthz", "/api/v1/payments/charge", "/static/app.js"];

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

function generate() {
  const store = new MemoryStore();
  const chunks = [];
  let batch = [];
  let bytes = 0;
  const flushes = [];
  for (let i = 0; i < N; i++) {
    const level = levels[i % levels.length];
    const s = i % STREAMS;
    const status = i % 97 === 0 ? 503 : i % 13 === 0 ? 404 : 200;
    let body = `ts=${i} level=${level} method=GET path=${paths[i % paths.length]} status=${status} latency=${(i * 7) % 900}ms bytes=${(i * 31) % 20000} user=u${i % 5000} msg="request served"`;
    if (i === Math.floor(N / 3) || i === Math.floor((2 * N) / 3)) body += ` ${NEEDLE}`;
    bytes += Buffer.byteLength(body) + 1;
    chunks.push(body);
    batch.push({
      timestamp: T0 + BigInt(i) * STEP_NS, observedTimestamp: T0, severityNumber: level === "error" ? 17 : level === "warn" ? 13 : 9, severityText: "",
      body, attributes: {}, resource: {}, traceId: "", spanId: "", tenant: "bench",
      labels: { app: `svc-${s % 4}`, namespace: `ns-${s % 3}`, level, source: "bench" },
    });
    if (batch.length === 50_000) {
      flushes.push(store.append("bench", batch));
      batch = [];
    }
  }
  flushes.push(store.append("bench", batch));
  return { store, raw: Buffer.from(chunks.join("\n") + "\n"), lines: chunks, bytes, done: Promise.all(flushes) };
}

async function timed(fn, reps = 3) {
  let best = Infinity;
  let out;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    out = await fn();
    best = Math.min(best, ms(t));
  }
  return { ms: best, out };
}

const tGen = process.hrtime.bigint();
const { store, raw, lines, bytes, done } = generate();
await done;
const genMs = ms(tGen);
const engine = new QueryEngine(store, { maxEntries: 5000, timeoutMs: 600_000, maxQueryLengthNs: 10n ** 18n });
const start = T0;
const end = T0 + BigInt(N) * STEP_NS + 1n;

// Baseline: Buffer.indexOf over the raw text for a needle that is absent (a full scan).
const base = await timed(() => raw.indexOf("no-such-token-anywhere"), 5);
const baseGBs = raw.length / 1e9 / (base.ms / 1000);
// Baseline: JavaScript string includes over each line (what a per-line filter must at least pay).
const perLine = await timed(() => { let n = 0; for (const l of lines) if (l.includes("no-such-token-anywhere")) n++; return n; }, 3);

// Query layer alone: the compiled pipeline over in-memory lines (no store).
const pipe = compilePipeline(parseExpr('{a="b"} |= "no-such-token-anywhere"').stages);
const pipeOnly = await timed(() => { let n = 0; const f = pipe.prefilter; for (const l of lines) if (f(l)) n++; return n; }, 3);
const logfmtPipe = compilePipeline(parseExpr('{a="b"} | logfmt | status >= 500').stages);
const logfmtOnly = await timed(() => {
  let n = 0;
  for (const l of lines) {
    const e = { ts: 0n, line: l, labels: new LabelsBuilder({}, () => ({})) };
    if (logfmtPipe.process(e)) n++;
  }
  return n;
}, 1);

// The store alone: MemoryStore.select over every stream (the floor under every engine figure below).
const allStreams = await store.streams("bench", start, end);
const selectOnly = await timed(async () => { let n = 0; for await (const b of store.select({ tenant: "bench", streamIds: allStreams.map((s) => s.id), start, end, direction: "backward" })) n += b.length; return n; }, 2);

// Parallel potential: the same decode + split + `|=` filter over the raw text, on 1 thread vs one worker per core.
const sab = new SharedArrayBuffer(raw.length);
new Uint8Array(sab).set(raw);
const workerSrc = `
  const { parentPort, workerData } = require("node:worker_threads");
  import(workerData.query).then(({ compilePipeline, parseExpr }) => {
    const f = compilePipeline(parseExpr(workerData.q).stages).prefilter;
    parentPort.on("message", ({ from, to }) => {
      const text = Buffer.from(workerData.sab, from, to - from).toString("utf8");
      let n = 0;
      for (const l of text.split("\\n")) if (f(l)) n++;
      parentPort.postMessage(n);
    });
    parentPort.postMessage("ready");
  });`;
const cuts = (parts) => {
  const out = [0];
  for (let k = 1; k < parts; k++) out.push(raw.indexOf(10, Math.floor((raw.length * k) / parts)) + 1);
  out.push(raw.length);
  return out;
};
async function parallelScan(threads) {
  const workers = await Promise.all(Array.from({ length: threads }, () => new Promise((resolve) => {
    const w = new Worker(workerSrc, { eval: true, workerData: { sab, q: '{a="b"} |= "no-such-token-anywhere"', query: new URL("../packages/query/dist/index.js", import.meta.url).href } });
    w.once("message", () => resolve(w));
  })));
  const c = cuts(threads);
  const t = process.hrtime.bigint();
  await Promise.all(workers.map((w, k) => new Promise((resolve) => { w.once("message", resolve); w.postMessage({ from: c[k], to: c[k + 1] }); })));
  const took = ms(t);
  await Promise.all(workers.map((w) => w.terminate()));
  return took;
}
const par1 = Math.min(await parallelScan(1), await parallelScan(1));
const parN = Math.min(await parallelScan(os.cpus().length), await parallelScan(os.cpus().length));

const q = (query, extra = {}) => () => engine.query({ tenant: "bench", query, start, end, step: 60_000_000_000n, limit: 100, direction: "backward", ...extra });
const scan = await timed(q('{source="bench"} |= "no-such-token-anywhere"'), 2);
const needle = await timed(q(`{source="bench"} |= "${NEEDLE}"`), 2);
const regexScan = await timed(q('{source="bench"} |~ "status=5\\\\d\\\\d user=u1"'), 1);
const sumBy = await timed(q('sum by (level) (count_over_time({source="bench"}[1m]))'), 2);
const volume = await timed(q('sum by (level, detected_level) (count_over_time({source="bench"} | drop __error__ [1m]))'), 2);
const sumByParsed = await timed(q('sum by (status) (count_over_time({source="bench"} | logfmt [1m]))'), 1);
const quantile = await timed(q('quantile_over_time(0.99, {source="bench"} | logfmt | unwrap duration(latency) [5m]) by (app)'), 1);

const gbs = (m) => bytes / 1e9 / (m / 1000);
const lps = (m) => Math.round(N / (m / 1000));
console.log(JSON.stringify({
  bench: "query-scan",
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, store: "MemoryStore" },
  lines: N, rawBytes: bytes, streams: STREAMS, generateMs: Math.round(genMs),
  baseline: { bufferIndexOfGBps: +baseGBs.toFixed(3), bufferIndexOfMs: +base.ms.toFixed(1), perLineIncludesGBps: +gbs(perLine.ms).toFixed(3) },
  pipelineOnly: { substringGBps: +gbs(pipeOnly.ms).toFixed(3), substringVsIndexOf: +(gbs(pipeOnly.ms) / baseGBs).toFixed(3), logfmtLabelFilterLinesPerSec: lps(logfmtOnly.ms) },
  workerThreads: { threads: os.cpus().length, oneThreadGBps: +gbs(par1).toFixed(3), allThreadsGBps: +gbs(parN).toFixed(3), speedup: +(par1 / parN).toFixed(2) },
  storeSelectOnly: { ms: Math.round(selectOnly.ms), linesPerSec: lps(selectOnly.ms) },
  engine: {
    substringScan: { ms: Math.round(scan.ms), GBps: +gbs(scan.ms).toFixed(3), linesPerSec: lps(scan.ms), vsIndexOf: +(gbs(scan.ms) / baseGBs).toFixed(3) },
    needleSearch: { ms: Math.round(needle.ms), hits: needle.out.result.reduce((n, s) => n + s.values.length, 0), vsFullScan: +(needle.ms / scan.ms).toFixed(3) },
    regexScan: { ms: Math.round(regexScan.ms), linesPerSec: lps(regexScan.ms) },
    sumByLevel: { ms: Math.round(sumBy.ms), linesPerSec: lps(sumBy.ms), series: sumBy.out.result.length },
    grafanaLogsVolume: { ms: Math.round(volume.ms), linesPerSec: lps(volume.ms), series: volume.out.result.length },
    sumByStatusLogfmt: { ms: Math.round(sumByParsed.ms), linesPerSec: lps(sumByParsed.ms), series: sumByParsed.out.result.length },
    quantileUnwrap: { ms: Math.round(quantile.ms), linesPerSec: lps(quantile.ms), series: quantile.out.result.length },
  },
}));

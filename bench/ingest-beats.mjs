#!/usr/bin/env node
// Lines/s the Beats (Lumberjack v2) receiver takes on the server's one thread: a load generator (a worker thread on
// loopback) sends windows of Filebeat-shaped events as Filebeat does (bulk_max_size 2048, zlib level 3, two windows
// in flight), counting a window done at its final ACK. Compared with JSON.parse of the same event texts alone in the
// same run. `linesPerServerCoreSecond` divides by the server thread's busy time (event-loop utilization). The store
// is a null sink (append resolves at once). Prints one JSON object.
// Usage: node bench/ingest-beats.mjs [--seconds 3] [--window 2048] [--only compressed,plain]
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { benchOptions, benchServerContext, countingNullStore } from "./lib-receiver-bench.mjs";

const opt = benchOptions();
const SECONDS = Number(opt("seconds", "3"));
const WINDOW = Number(opt("window", "2048"));
const ONLY = opt("only", "").split(",").filter(Boolean);

const dist = new URL("../apps/server/dist/", import.meta.url);
const { beatsModule } = await import(new URL("ingest/beats/index.js", dist).href);

const METHODS = ["GET", "POST", "PUT", "DELETE"];
const host = { name: "node-1", hostname: "node-1", architecture: "x86_64", os: { family: "debian", name: "Debian GNU/Linux", version: "12" } };
const agent = { type: "filebeat", version: "8.17.0", name: "node-1", id: "b5c1c1c4-3f8e-4b8c-9d43-2d1a7f3f7a10", ephemeral_id: "0c1e" };
const t0ms = Date.now();
const event = (i) => ({
  "@timestamp": new Date(t0ms + i).toISOString(),
  "@metadata": { beat: "filebeat", type: "_doc", version: "8.17.0" },
  message: `${METHODS[i % 4]} /api/v1/orders/${100000 + i} ${i % 17 === 0 ? 503 : 200} ${(i * 7) % 900}ms user=u${i % 300}`,
  log: { offset: i * 80, file: { path: "/var/log/containers/checkout-5d8f_shop_app-0123.log" } },
  stream: "stdout",
  input: { type: "container" },
  kubernetes: {
    namespace: "shop",
    pod: { name: `checkout-${i % 5}`, uid: "5b8e" },
    container: { name: "app" },
    node: { name: "node-1" },
    labels: { app: "checkout" },
  },
  container: { id: "0123abcd", runtime: "containerd" },
  host,
  agent,
  ecs: { version: "8.0.0" },
});
const texts = Array.from({ length: WINDOW }, (_, i) => Buffer.from(JSON.stringify(event(i))));

const u32 = (n) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const frames = Buffer.concat(texts.flatMap((t, i) => [Buffer.from("2J"), u32(i + 1), u32(t.length), t]));
const z = deflateSync(frames, { level: 3 });
const cases = [
  { name: "compressed", batch: Buffer.concat([Buffer.from("2W"), u32(WINDOW), Buffer.from("2C"), u32(z.length), z]) },
  { name: "plain", batch: Buffer.concat([Buffer.from("2W"), u32(WINDOW), frames]) },
].filter((c) => ONLY.length === 0 || ONLY.includes(c.name));

/** JSON.parse alone over the same event texts (events/s), the baseline. */
function parseRate() {
  const t0 = process.hrtime.bigint();
  const until = t0 + 1_000_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < until) {
    for (const t of texts) JSON.parse(t.toString("utf8"));
    n += texts.length;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const { port, batch, count, seconds, pipelining } = workerData;
const buf = Buffer.from(batch);
const until = Date.now() + seconds * 1000;
let inFlight = 0, sent = 0, stopping = false, pending = Buffer.alloc(0);
const s = net.connect(port, "127.0.0.1", () => fill());
function fill() {
  while (!stopping && inFlight < pipelining) {
    if (Date.now() >= until) { stopping = true; break; }
    s.write(buf);
    inFlight++;
    sent++;
  }
  if (stopping && inFlight === 0) s.end(() => parentPort.postMessage({ sent }));
}
s.on("data", (d) => {
  pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
  let off = 0;
  for (; off + 6 <= pending.length; off += 6) if (pending.readUInt32BE(off + 2) === count) inFlight--;
  pending = pending.subarray(off);
  fill();
});
`;

const results = {};
async function runCase(c, seconds) {
  const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-beats-"));
  const nullStore = countingNullStore();
  const ctx = benchServerContext(dataDir, { http: "", syslog: "", forward: "", beats: { listen: "127.0.0.1:0" } }, nullStore);
  const handle = await beatsModule.start(ctx);
  const port = Number(String(ctx.services.get("beats.address")).split(":").pop());
  const elu0 = performance.eventLoopUtilization();
  const t0 = process.hrtime.bigint();
  const worker = new Worker(WORKER, { eval: true, workerData: { port, batch: c.batch, count: WINDOW, seconds, pipelining: 2 } });
  const { sent } = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const elu = performance.eventLoopUtilization(elu0);
  await worker.terminate();
  await handle.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const busySeconds = elu.active / 1000;
  const rate = parseRate();
  results[c.name] = {
    linesSent: sent * WINDOW,
    linesStoredAndAcked: nullStore.stored,
    wireBytesPerLine: Math.round((c.batch.length / WINDOW) * 10) / 10,
    linesPerSecond: Math.round(nullStore.stored / wall),
    serverUtilization: Math.round(elu.utilization * 1000) / 1000,
    linesPerServerCoreSecond: Math.round(nullStore.stored / busySeconds),
    jsonParseEventsPerSecond: Math.round(rate),
    ratioToJsonParse: Math.round((nullStore.stored / busySeconds / rate) * 1000) / 1000,
  };
  process.stderr.write(
    `${c.name}: ${results[c.name].linesPerSecond} lines/s, ${results[c.name].linesPerServerCoreSecond} per server-core second (JSON.parse alone ${results[c.name].jsonParseEventsPerSecond})\n`,
  );
}
// warm-up pass (JIT) discarded, then the measured pass
for (const c of cases) await runCase(c, Math.min(0.5, SECONDS));
for (const c of cases) await runCase(c, SECONDS);
console.log(JSON.stringify({ bench: "ingest-beats", seconds: SECONDS, window: WINDOW, results }));

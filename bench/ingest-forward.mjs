#!/usr/bin/env node
// Lines/s the Fluentd forward receiver takes on the server's one thread, per mode (Forward, PackedForward,
// CompressedPackedForward gzip, Message), with acks: the load generator (a worker thread on loopback) keeps a
// window of unacked chunks in flight, as Fluent Bit does with Require_ack_response. Compared with decoding the
// same entries with @msgpack/msgpack alone in the same run. `linesPerServerCoreSecond` divides by the server
// thread's busy time (event-loop utilization). The store is a null sink (append resolves at once). Prints one
// JSON object. Usage: node bench/ingest-forward.mjs [--seconds 3] [--entries 1000] [--only packed,...]
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { encode, decodeMulti, ExtensionCodec } from "@msgpack/msgpack";
import { benchOptions, benchServerContext, countingNullStore } from "./lib-receiver-bench.mjs";

const opt = benchOptions();
const SECONDS = Number(opt("seconds", "3"));
const ENTRIES = Number(opt("entries", "1000"));
const ONLY = opt("only", "").split(",").filter(Boolean);

const dist = new URL("../apps/server/dist/", import.meta.url);
const imp = (p) => import(new URL(p, dist).href);
const { forwardModule } = await imp("ingest/forward/index.js");

// EventTime ext type 0 (what Fluent Bit sends)
const ext = new ExtensionCodec();
class ET {
  constructor(s, n) {
    this.s = s;
    this.n = n;
  }
}
ext.register({
  type: 0,
  encode: (v) => {
    if (!(v instanceof ET)) return null;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(v.s, 0);
    b.writeUInt32BE(v.n, 4);
    return b;
  },
  decode: (d) => d,
});
const enc = (v) => encode(v, { extensionCodec: ext });

const METHODS = ["GET", "POST", "PUT", "DELETE"];
const sec = Math.floor(Date.now() / 1000);
const entry = (i) => [
  new ET(sec, i * 1000),
  {
    log: `${METHODS[i % 4]} /api/v1/orders/${100000 + i} ${i % 17 === 0 ? 503 : 200} ${(i * 7) % 900}ms user=u${i % 300}`,
    stream: "stdout",
    kubernetes: { pod_name: `checkout-${i % 5}`, namespace_name: "shop", container_name: "checkout", host: "node-1", labels: { app: "checkout" } },
  },
];
const entries = Array.from({ length: ENTRIES }, (_, i) => entry(i));
const packedBytes = Buffer.concat(entries.map((e) => enc(e)));
const chunk = "c0VjcmV0Q2h1bmtJZA==";
const cases = [
  { name: "forward", message: enc(["bench.app", entries, { chunk, size: ENTRIES }]), lines: ENTRIES },
  { name: "packed", message: enc(["bench.app", packedBytes, { chunk, size: ENTRIES }]), lines: ENTRIES },
  { name: "compressed-gzip", message: enc(["bench.app", gzipSync(packedBytes), { chunk, size: ENTRIES, compressed: "gzip" }]), lines: ENTRIES },
  {
    name: "message",
    message: Buffer.concat(entries.slice(0, 100).map((e, i) => enc(["bench.app", e[0], e[1], { chunk: `m${i}` }]))),
    lines: 100,
    acksPerMessage: 100,
  },
].filter((c) => ONLY.length === 0 || ONLY.includes(c.name));

function decodeRate(c) {
  const t0 = process.hrtime.bigint();
  const until = t0 + 1_000_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < until) {
    for (const _ of decodeMulti(packedBytes, { extensionCodec: ext })) n++;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const { port, message, acksPerMessage, seconds, window } = workerData;
const buf = Buffer.from(message);
const until = Date.now() + seconds * 1000;
let inFlight = 0, sentMessages = 0, acked = 0, stopping = false;
const s = net.connect(port, "127.0.0.1", () => fill());
function fill() {
  while (!stopping && inFlight < window) {
    if (Date.now() >= until) { stopping = true; break; }
    s.write(buf);
    inFlight += acksPerMessage;
    sentMessages++;
  }
  if (stopping && inFlight === 0) s.end(() => parentPort.postMessage({ sentMessages }));
}
s.on("data", (d) => {
  // each ack is a small fixmap {ack: "..."}: count the 0x81 0xa3 'a' 'c' 'k' prefixes
  for (let i = d.indexOf("ack"); i >= 0; i = d.indexOf("ack", i + 3)) { inFlight--; acked++; }
  fill();
});
`;

const results = {};
async function runCase(c, SECONDS) {
  const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-forward-"));
  const nullStore = countingNullStore();
  const ctx = benchServerContext(dataDir, { http: "", syslog: "", forward: "127.0.0.1:0", forwardAllowAnonymous: true }, nullStore);
  const handle = await forwardModule.start(ctx);
  const port = Number(String(ctx.services.get("forward.address")).split(":").pop());
  const elu0 = performance.eventLoopUtilization();
  const t0 = process.hrtime.bigint();
  const acksPerMessage = c.acksPerMessage ?? 1;
  const worker = new Worker(WORKER, { eval: true, workerData: { port, message: c.message, acksPerMessage, seconds: SECONDS, window: 8 * acksPerMessage } });
  const { sentMessages } = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const elu = performance.eventLoopUtilization(elu0);
  await worker.terminate();
  await handle.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const busySeconds = elu.active / 1000;
  const rate = decodeRate(c);
  results[c.name] = {
    linesSent: sentMessages * c.lines,
    linesStoredAndAcked: nullStore.stored,
    linesPerSecond: Math.round(nullStore.stored / seconds),
    serverUtilization: Math.round(elu.utilization * 1000) / 1000,
    linesPerServerCoreSecond: Math.round(nullStore.stored / busySeconds),
    msgpackDecodeEntriesPerSecond: Math.round(rate),
    ratioToMsgpackDecode: Math.round((nullStore.stored / busySeconds / rate) * 1000) / 1000,
  };
  process.stderr.write(
    `${c.name}: ${results[c.name].linesPerSecond} lines/s, ${results[c.name].linesPerServerCoreSecond} per server-core second (msgpack decode alone ${results[c.name].msgpackDecodeEntriesPerSecond})\n`,
  );
}
// warm-up pass (JIT) discarded, then the measured pass
for (const c of cases) await runCase(c, Math.min(0.5, SECONDS));
for (const c of cases) await runCase(c, SECONDS);
console.log(JSON.stringify({ bench: "ingest-forward", seconds: SECONDS, entriesPerChunk: ENTRIES, results }));

#!/usr/bin/env node
// Lines/s the syslog receiver takes on the server's one thread: TCP octet-counted RFC 5424, TCP LF-framed
// RFC 3164 and UDP RFC 5424, with the load generated in a worker thread over loopback, compared with
// parseSyslog alone on the same lines in the same run. `linesPerServerCoreSecond` divides by the server
// thread's busy time (event-loop utilization). The store is a null sink (append resolves at once), so the
// numbers are the receiver's own cost (framing, parsing, mapping, write path). Prints one JSON object.
// Usage: node bench/ingest-syslog.mjs [--seconds 3] [--only tcp-octet-5424,...]
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nowNs } from "@meshlog/core";
import { benchOptions, benchServerContext, countingNullStore } from "./lib-receiver-bench.mjs";

const opt = benchOptions();
const SECONDS = Number(opt("seconds", "3"));
const ONLY = opt("only", "").split(",").filter(Boolean);

const dist = new URL("../apps/server/dist/", import.meta.url);
const imp = (p) => import(new URL(p, dist).href);
const [{ syslogModule }, pipeline] = await Promise.all([imp("ingest/syslog/index.js"), import("@meshlog/pipeline")]);

const METHODS = ["GET", "POST", "PUT", "DELETE"];
const msgText = (i) => `${METHODS[i % 4]} /api/v1/orders/${100000 + i} ${i % 17 === 0 ? 503 : 200} ${(i * 7) % 900}ms user=u${i % 300}`;
const N = 2000;
const iso = new Date().toISOString();
const l5424 = Array.from(
  { length: N },
  (_, i) => `<134>1 ${iso} web-${i % 8} checkout ${1000 + (i % 50)} ACCESS [meta@32473 route="orders" shard="${i % 4}"] ${msgText(i)}`,
);
const l3164 = Array.from({ length: N }, (_, i) => `<134>Nov 24 13:55:34 web-${i % 8} checkout[${1000 + (i % 50)}]: ${msgText(i)}`);

const cases = [
  { name: "tcp-octet-5424", transport: "tcp", lines: l5424, wire: Buffer.from(l5424.map((l) => `${Buffer.byteLength(l)} ${l}`).join("")) },
  { name: "tcp-lf-3164", transport: "tcp", lines: l3164, wire: Buffer.from(l3164.map((l) => `${l}\n`).join("")) },
  { name: "udp-5424", transport: "udp", lines: l5424, datagrams: l5424.map((l) => Buffer.from(l)) },
].filter((c) => ONLY.length === 0 || ONLY.includes(c.name));

function parseRate(lines) {
  const now = nowNs();
  let n = 0;
  const t0 = process.hrtime.bigint();
  const until = t0 + 1_000_000_000n;
  while (process.hrtime.bigint() < until) {
    for (const l of lines) pipeline.parseSyslog(l, { nowNs: now });
    n += lines.length;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const dgram = require("node:dgram");
const { port, transport, wire, datagrams, linesPerWire, seconds } = workerData;
const until = Date.now() + seconds * 1000;
if (transport === "tcp") {
  const buf = Buffer.from(wire);
  let lines = 0;
  const s = net.connect(port, "127.0.0.1", () => {
    const pump = () => {
      while (Date.now() < until) {
        lines += linesPerWire;
        if (!s.write(buf)) return void s.once("drain", pump);
      }
      s.end(() => parentPort.postMessage({ sent: lines }));
    };
    pump();
  });
} else {
  const sock = dgram.createSocket("udp4");
  const dgs = datagrams.map((d) => Buffer.from(d));
  let sent = 0;
  const burst = () => {
    if (Date.now() >= until) return sock.close(() => parentPort.postMessage({ sent }));
    let pending = dgs.length;
    for (const d of dgs) sock.send(d, port, "127.0.0.1", () => { if (--pending === 0) setImmediate(burst); });
    sent += dgs.length;
  };
  burst();
}
`;

const results = {};
async function runCase(c, SECONDS) {
  const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-syslog-"));
  const nullStore = countingNullStore();
  const ctx = benchServerContext(dataDir, { http: "", syslog: "127.0.0.1:0", forward: "" }, nullStore);
  const handle = await syslogModule.start(ctx);
  const port = Number(String(ctx.services.get("syslog.address")).split(":").pop());
  const elu0 = performance.eventLoopUtilization();
  const t0 = process.hrtime.bigint();
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { port, transport: c.transport, wire: c.wire, datagrams: c.datagrams, linesPerWire: c.lines.length, seconds: SECONDS },
  });
  const { sent } = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  // wait until the receiver has written everything it got (bounded)
  let last = -1;
  for (let i = 0; i < 200 && nullStore.stored !== last; i++) {
    last = nullStore.stored;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const elu = performance.eventLoopUtilization(elu0);
  await worker.terminate();
  await handle.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const busySeconds = elu.active / 1000;
  const rate = parseRate(c.lines);
  results[c.name] = {
    linesSent: sent,
    linesStored: nullStore.stored,
    lossRatio: sent === 0 ? 0 : Math.round(((sent - nullStore.stored) / sent) * 10000) / 10000,
    linesPerSecond: Math.round(nullStore.stored / seconds),
    serverUtilization: Math.round(elu.utilization * 1000) / 1000,
    linesPerServerCoreSecond: Math.round(nullStore.stored / busySeconds),
    parseSyslogLinesPerSecond: Math.round(rate),
    ratioToParseSyslog: Math.round((nullStore.stored / busySeconds / rate) * 1000) / 1000,
  };
  process.stderr.write(
    `${c.name}: ${results[c.name].linesPerSecond} lines/s, ${results[c.name].linesPerServerCoreSecond} per server-core second (parseSyslog alone ${results[c.name].parseSyslogLinesPerSecond}), loss ${results[c.name].lossRatio}\n`,
  );
}
// warm-up pass (JIT) discarded, then the measured pass
for (const c of cases) await runCase(c, Math.min(0.5, SECONDS));
for (const c of cases) await runCase(c, SECONDS);
console.log(JSON.stringify({ bench: "ingest-syslog", seconds: SECONDS, results }));

#!/usr/bin/env node
// Native NDJSON ingest, stage by stage, in one run: raw JSON.parse of the lines, line -> record conversion, the
// Redactor, and the whole in-process server (embedded store on a temp folder) fed over loopback by a load
// generator in a child process, so the server's CPU seconds (process.cpuUsage) are its own. Prints one JSON object.
// Usage: node bench/ingest-native.mjs [--seconds 2] [--server-seconds 8] [--clients 4] [--rate LINES_PER_SEC] [--max-head-mb N] [--only stages|server]
// --rate paces the load (e.g. --rate 100000 --server-seconds 20 for the steady-ingest memory figure); peak RSS is sampled every 100 ms.
// MESHLOG_BENCH_SCALE multiplies the measuring times (default 1: about 30 s in all).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resetMeshLines, meshLine } from "./lib-mesh-lines.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const SCALE = Math.max(0.1, Number(process.env.MESHLOG_BENCH_SCALE ?? "1"));
const BATCH = 1000;

/** Native NDJSON batches of 1000 lines (deterministic): mesh access logs and app logs, some with PII/secrets. */
function nativeBatches(count, seed = 7) {
  resetMeshLines(seed);
  let n = 0;
  const now = Date.now();
  const out = [];
  for (let b = 0; b < count; b++) {
    const lines = [];
    for (let i = 0; i < BATCH; i++, n++) {
      const m = meshLine(now - 60_000 + n);
      const rec = {
        timestamp: String(BigInt(now - 60_000 + (n % 50_000)) * 1_000_000n + BigInt(n % 1000)),
        body: m.body,
        labels: { service: m.service, namespace: "prod", source: m.source },
        attributes: { "http.status_code": String(m.status), user_id: `user-${n % 20000}`, pod: `${m.service}-7d9f8c-${n % 7}` },
        severity: m.status >= 500 ? "error" : "info",
      };
      if (m.traceId !== "") rec.traceId = m.traceId;
      // ~2% carry something to redact (emails, bearer tokens, passwords in URLs, card numbers).
      const k = n % 50;
      if (k === 3) rec.attributes.email = `jane.doe${n % 97}@example.com`;
      if (k === 17) rec.body = `${m.body} authorization: Bearer abc${n}def.ghi-jkl_mno`;
      if (k === 29) rec.body = `connecting to postgres://app:s3cr3t${n % 9}@db.prod.svc:5432/orders`;
      if (k === 41) rec.attributes.card = "4111 1111 1111 1111";
      lines.push(JSON.stringify(rec));
    }
    out.push(lines);
  }
  return out;
}

/** CPU milliseconds of this process so far (robust on a loaded machine, unlike wall time). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `fn` over `items` repeatedly for about `seconds` of CPU; returns items per CPU second. */
function rate(items, seconds, fn) {
  let done = 0;
  let busy = 0;
  while (busy < seconds * 1000) {
    const t0 = cpuMs();
    fn(items);
    busy += cpuMs() - t0;
    done += items.length;
  }
  return done / (busy / 1000);
}

/** CPU seconds per thread of this process, from /proc (Linux; empty elsewhere). Clock ticks of 10 ms. */
function threadCpu() {
  const out = new Map();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      out.set(tid, { comm, seconds: (Number(f[11]) + Number(f[12])) / 100 });
    }
  } catch {
    // not Linux: per-thread figures are left out
  }
  return out;
}

/** Per-thread CPU spent between two threadCpu() snapshots: the main thread, and the others by name. */
function threadCpuDelta(before, after) {
  const byName = {};
  const busiest = [];
  let main = 0;
  for (const [tid, a] of after) {
    const d = a.seconds - (before.get(tid)?.seconds ?? 0);
    if (tid === String(process.pid)) main += d;
    else if (d > 0) {
      byName[a.comm] = +((byName[a.comm] ?? 0) + d).toFixed(2);
      busiest.push(+d.toFixed(2));
    }
  }
  // Seal workers are the busiest other threads; the rest are V8 helpers (GC) and libuv (fsync, writes).
  busiest.sort((x, y) => y - x);
  return { mainThreadSeconds: +main.toFixed(2), otherThreadsSeconds: byName, busiestOtherThreadsSeconds: busiest.slice(0, 6) };
}

// ---------------------------------------------------------------- load generator (child process)
if (args[0] === "--load") {
  const [, url, token, seconds, clients, seed, pace] = args;
  const batches = nativeBatches(40, Number(seed)).map((ls) => ls.join("\n") + "\n");
  const start = Date.now();
  const deadline = start + Number(seconds) * 1000;
  // Paced mode: batch k is not sent before start + k * BATCH / rate seconds (all clients together).
  const rateLimit = Number(pace ?? "0");
  let claimed = 0;
  let lines = 0;
  let bytes = 0;
  let errors = 0;
  let lastError = "";
  let k = 0;
  const client = async () => {
    while (Date.now() < deadline) {
      if (rateLimit > 0) {
        const due = start + ((claimed++ * BATCH) / rateLimit) * 1000;
        if (due >= deadline) break;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const body = batches[k++ % batches.length];
      const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body });
      const text = await res.text();
      if (res.status !== 200) {
        errors++;
        lastError = `${res.status} ${text.slice(0, 200)}`;
        if (res.status === 503) await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const j = JSON.parse(text);
      lines += j.accepted;
      bytes += Buffer.byteLength(body);
      if (j.rejected.length > 0) lastError = JSON.stringify(j.rejected[0]);
    }
  };
  await Promise.all(Array.from({ length: Number(clients) }, client));
  process.stdout.write(JSON.stringify({ lines, bytes, errors, lastError }) + "\n");
  process.exit(0);
}

// ---------------------------------------------------------------- stages (in this process)
const SECONDS = Number(opt("seconds", "2")) * SCALE;
const SERVER_SECONDS = Number(opt("server-seconds", "8")) * SCALE;
const CLIENTS = Number(opt("clients", "4"));
/** storage.maxHeadBytes for the server, in MiB (0: the default). */
const MAX_HEAD_MB = Number(opt("max-head-mb", "0"));
/** Lines per second the load generator paces itself to (0: as fast as the server answers). */
const RATE = Number(opt("rate", "0"));
const ONLY = opt("only", "");

const dist = (p) => import(new URL(`../apps/server/dist/${p}`, import.meta.url).href);
const { Redactor } = await import("@meshlog/pipeline");
const nativeRecord = await dist("ingest/native/native-record.js");
const { nativeLineToRecord } = nativeRecord;
// Present once the receiver parses whole batches (with one label cache per receiver, as the route keeps).
const parseBatch = await dist("ingest/native/native-ndjson.js").then(
  (m) => m.parseNativeNdjson,
  () => undefined,
);
const lineCtx = nativeRecord.NativeLineContext !== undefined ? new nativeRecord.NativeLineContext() : undefined;

const batches = nativeBatches(20);
const allLines = batches.flat();
const ndjson = batches.map((ls) => ls.join("\n") + "\n");
const totalBytes = ndjson.reduce((a, s) => a + Buffer.byteLength(s), 0);
const avgLineBytes = totalBytes / allLines.length;
const result = { lines: allLines.length, avgLineBytes: Math.round(avgLineBytes), scale: SCALE };

const convertAll = (text) => {
  if (parseBatch !== undefined) return parseBatch(text, "default", "native", 1 << 20, lineCtx).records;
  const recs = [];
  for (const l of text.split("\n")) if (l !== "") recs.push(nativeLineToRecord(JSON.parse(l), "default", "native", 1 << 20));
  return recs;
};

if (ONLY !== "server") {
  globalThis.gc?.();
  let sink = 0;
  result.jsonParseLinesPerSec = Math.round(
    rate(allLines, SECONDS, (ls) => {
      for (const l of ls) sink += JSON.parse(l).body.length;
    }),
  );
  result.jsonParseMBPerSec = +((result.jsonParseLinesPerSec * avgLineBytes) / 1e6).toFixed(1);
  globalThis.gc?.();
  const convertRate = (() => {
    let done = 0,
      busy = 0,
      k = 0;
    while (busy < SECONDS * 1000) {
      const t0 = cpuMs();
      done += convertAll(ndjson[k++ % ndjson.length]).length;
      busy += cpuMs() - t0;
    }
    return done / (busy / 1000);
  })();
  result.parseAndConvertLinesPerSec = Math.round(convertRate);
  // Redaction: fresh records each round (redaction mutates), only the redactRecord calls are timed.
  globalThis.gc?.();
  const redactor = new Redactor({});
  const redactRate = (() => {
    let done = 0,
      busy = 0,
      k = 0;
    while (busy < SECONDS * 1000) {
      const recs = convertAll(ndjson[k++ % ndjson.length]);
      const t0 = cpuMs();
      for (const r of recs) sink += redactor.redactRecord(r);
      busy += cpuMs() - t0;
      done += recs.length;
    }
    return done / (busy / 1000);
  })();
  result.redactRecordsPerSec = Math.round(redactRate);
  result.redactions = redactor.counts();
  result.parseConvertRedactLinesPerSec = Math.round(1 / (1 / convertRate + 1 / redactRate));
  if (sink === 0.5) console.error(sink);
}

if (ONLY !== "stages") {
  const { startServer } = await dist("main.js");
  const { serverConfigSchema } = await dist("config/server-config.js");
  const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-native-"));
  const server = await startServer(
    serverConfigSchema.parse({
      dataDir,
      http: "127.0.0.1:0",
      syslog: "",
      forward: "",
      otlpGrpc: { enabled: false },
      adminToken: "t",
      logLevel: "warn",
      ...(MAX_HEAD_MB > 0 ? { storage: { maxHeadBytes: MAX_HEAD_MB * 2 ** 20 } } : {}),
    }),
    {
      print: () => {},
      logWrite: (l) => process.stderr.write(l),
    },
  );
  try {
    const url = `${server.ctx.services.get("http.address")}/api/v1/ingest`;
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    let peakHeap = 0;
    let peakExternal = 0;
    let ticks = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (ticks++ % 10 !== 0) return;
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakExternal = Math.max(peakExternal, m.external);
    }, 100);
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [new URL(import.meta.url).pathname, "--load", url, "t", String(SERVER_SECONDS), String(CLIENTS), "11", String(RATE)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise((res) => child.on("exit", res));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const threads = threadCpuDelta(threads0, threadCpu());
    const elu = performance.eventLoopUtilization(elu0);
    clearInterval(sampler);
    const load = JSON.parse(out.trim().split("\n").pop());
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // Steady state seals every line: seal what the run left in the head and count that CPU as well.
    const store = server.ctx.store;
    const flushCpu0 = process.cpuUsage();
    if (typeof store.flush === "function") await store.flush();
    const flushCpu = process.cpuUsage(flushCpu0);
    const flushCpuSeconds = (flushCpu.user + flushCpu.system) / 1e6;
    result.server = {
      clients: CLIENTS,
      pacedLinesPerSec: RATE > 0 ? RATE : undefined,
      maxHeadMB: MAX_HEAD_MB > 0 ? MAX_HEAD_MB : undefined,
      seconds: +wall.toFixed(2),
      lines: load.lines,
      errors: load.errors,
      lastError: load.lastError || undefined,
      linesPerSec: Math.round(load.lines / wall),
      MBPerSec: +(load.bytes / wall / 1e6).toFixed(1),
      cpuSeconds: +cpuSeconds.toFixed(2),
      linesPerServerCpuSecond: Math.round(load.lines / cpuSeconds),
      flushCpuSeconds: +flushCpuSeconds.toFixed(2),
      linesPerServerCpuSecondSealed: Math.round(load.lines / (cpuSeconds + flushCpuSeconds)),
      ...threads,
      linesPerMainThreadCpuSecond: threads.mainThreadSeconds > 0 ? Math.round(load.lines / threads.mainThreadSeconds) : undefined,
      eventLoopUtilization: +elu.utilization.toFixed(3),
      peakRssMB: Math.round(peakRss / 2 ** 20),
      peakHeapUsedMB: Math.round(peakHeap / 2 ** 20),
      peakExternalMB: Math.round(peakExternal / 2 ** 20),
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const jp = result.jsonParseLinesPerSec;
if (jp !== undefined) {
  result.ratios = {
    parseAndConvertVsJsonParse: +(result.parseAndConvertLinesPerSec / jp).toFixed(3),
    redactVsJsonParse: +(result.redactRecordsPerSec / jp).toFixed(3),
    serverPerCpuSecondVsJsonParse: result.server ? +(result.server.linesPerServerCpuSecond / jp).toFixed(3) : undefined,
    serverSealedPerCpuSecondVsJsonParse: result.server ? +(result.server.linesPerServerCpuSecondSealed / jp).toFixed(3) : undefined,
  };
  result.target = { linesPerServerCpuSecond: 300_000, gap: result.server ? +(300_000 / result.server.linesPerServerCpuSecond).toFixed(2) : undefined };
}
console.log(JSON.stringify(result));

#!/usr/bin/env node
// Lines/s each HTTP receiver (Loki JSON/proto, ES bulk, OTLP JSON/proto, Datadog, Zipkin, native) takes on the
// server's one thread, with the load generated in a worker thread over loopback keep-alive connections, compared
// with raw JSON.parse of the same lines in the same run. `linesPerServerCoreSecond` divides by the server thread's
// busy time (event-loop utilization), i.e. the rate of one fully used core, independent of the load generator. The store is a null sink (append resolves at once), so
// the numbers are the receivers' own cost (decode, validate, normalize, write path). Prints one JSON object.
// Usage: node bench/ingest-http-receivers.mjs [--seconds 3] [--lines 1000] [--clients 4] [--only loki-json,es-bulk,...]
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compress } from "snappyjs";
import { benchOptions, benchServerContext, countingNullStore } from "./lib-receiver-bench.mjs";

const opt = benchOptions();
const SECONDS = Number(opt("seconds", "3"));
const LINES = Number(opt("lines", "1000"));
const CLIENTS = Number(opt("clients", "4"));
const ONLY = opt("only", "").split(",").filter(Boolean);

const dist = new URL("../apps/server/dist/", import.meta.url);
const imp = (p) => import(new URL(p, dist).href);
const [{ buildApp }, wire, loki, es, otlp, dd, zipkin, native, core] = await Promise.all([
  imp("http/app.js"),
  imp("ingest/otlp/proto-wire.js"),
  imp("ingest/loki/loki-routes.js"),
  imp("ingest/elasticsearch/es-routes.js"),
  imp("ingest/otlp/otlp-routes.js"),
  imp("ingest/datadog/datadog-routes.js"),
  imp("ingest/zipkin/zipkin-routes.js"),
  imp("ingest/native/native-routes.js"),
  import("@meshlog/core"),
]);
const { ProtoWriter } = wire;

// ---- payloads (built once) ----
const METHODS = ["GET", "POST", "PUT", "DELETE"];
const line = (i) =>
  `${METHODS[i % 4]} /api/v1/orders/${100000 + i} ${i % 17 === 0 ? 503 : 200} ${(i * 7) % 900}ms ua=curl/8.5 user=u${i % 300} trace=${(0x4bf92f35 + i).toString(16)}a3ce929d0e0e4736`;
const lines = Array.from({ length: LINES }, (_, i) => line(i));
const baseNs = BigInt(Date.now()) * 1_000_000n;
const ts = (i) => baseNs + BigInt(i) * 1000n;
const hex32 = (i) => (0x4bf92f3577b34da6n + BigInt(i)).toString(16).padStart(16, "0") + "a3ce929d0e0e4736";
const hex16 = (i) => (0x00f067aa0ba902b7n + BigInt(i)).toString(16).padStart(16, "0");

const lokiJson = JSON.stringify({ streams: [{ stream: { app: "bench", namespace: "shop", level: "info" }, values: lines.map((l, i) => [String(ts(i)), l]) }] });
const lokiProto = (() => {
  const s = new ProtoWriter().stringField(1, '{app="bench", namespace="shop", level="info"}');
  lines.forEach((l, i) => {
    const t = ts(i);
    const tsMsg = new ProtoWriter()
      .varintField(1, t / 1_000_000_000n)
      .varintField(2, Number(t % 1_000_000_000n))
      .finish();
    s.bytesField(2, new ProtoWriter().bytesField(1, tsMsg).stringField(2, l).finish());
  });
  return Buffer.from(compress(new ProtoWriter().bytesField(1, s.finish()).finish()));
})();
const esBulk = lines
  .map(
    (l, i) =>
      `{"create":{"_index":"logs-bench-default"}}\n{"@timestamp":"${core.formatRfc3339Ns(ts(i))}","message":${JSON.stringify(l)},"log":{"level":"info"},"service":{"name":"orders"}}\n`,
  )
  .join("");
const otlpJsonObj = {
  resourceLogs: [
    {
      resource: {
        attributes: [
          { key: "service.name", value: { stringValue: "orders" } },
          { key: "k8s.namespace.name", value: { stringValue: "shop" } },
        ],
      },
      scopeLogs: [
        {
          scope: { name: "bench" },
          logRecords: lines.map((l, i) => ({
            timeUnixNano: String(ts(i)),
            severityNumber: 9,
            severityText: "INFO",
            body: { stringValue: l },
            traceId: hex32(i),
            spanId: hex16(i),
            attributes: [{ key: "http.response.status_code", value: { intValue: 200 } }],
          })),
        },
      ],
    },
  ],
};
const otlpJson = JSON.stringify(otlpJsonObj);
const otlpProto = (() => {
  const kv = (k, v) => new ProtoWriter().stringField(1, k).bytesField(2, new ProtoWriter().stringField(1, v).finish()).finish();
  const resource = new ProtoWriter().bytesField(1, kv("service.name", "orders")).bytesField(1, kv("k8s.namespace.name", "shop")).finish();
  const scopeLogs = new ProtoWriter().bytesField(1, new ProtoWriter().stringField(1, "bench").finish());
  lines.forEach((l, i) => {
    const t = Buffer.alloc(8);
    t.writeBigUInt64LE(ts(i));
    const rec = Buffer.concat([
      Buffer.from([0x09]),
      t,
      new ProtoWriter()
        .varintField(2, 9)
        .stringField(3, "INFO")
        .bytesField(5, new ProtoWriter().stringField(1, l).finish())
        .bytesField(6, new ProtoWriter().stringField(1, "http.response.status_code").bytesField(2, new ProtoWriter().varintField(3, 200).finish()).finish())
        .bytesField(9, Buffer.from(hex32(i), "hex"))
        .bytesField(10, Buffer.from(hex16(i), "hex"))
        .finish(),
    ]);
    scopeLogs.bytesField(2, rec);
  });
  return new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(1, resource).bytesField(2, scopeLogs.finish()).finish()).finish();
})();
const datadog = JSON.stringify(
  lines.map((l, i) => ({
    message: l,
    status: "info",
    service: "orders",
    ddsource: "nginx",
    ddtags: "env:prod,kube_namespace:shop",
    hostname: "node-1",
    timestamp: Number(ts(i) / 1_000_000n),
  })),
);
const zipkinBody = JSON.stringify(
  lines.map((l, i) => ({
    traceId: hex32(i),
    id: hex16(i),
    name: l.slice(0, 40),
    kind: "SERVER",
    timestamp: Number(ts(i) / 1000n),
    duration: 1200,
    localEndpoint: { serviceName: "orders" },
    tags: { "http.path": `/api/v1/orders/${i}` },
  })),
);
const nativeBody = lines.map((l, i) => JSON.stringify({ timestamp: String(ts(i)), body: l, labels: { service: "orders" }, severity: "info" })).join("\n");

const J = "application/json";
/** Short names accepted by --only. */
const ALIASES = { "elasticsearch-bulk": "es-bulk" };
const CASES = [
  { name: "loki-json", module: loki.lokiPushRoutes, path: "/loki/api/v1/push", type: J, body: lokiJson, json: lokiJson },
  { name: "loki-proto", module: loki.lokiPushRoutes, path: "/loki/api/v1/push", type: "application/x-protobuf", body: lokiProto, json: lokiJson },
  { name: "elasticsearch-bulk", module: es.elasticsearchRoutes, path: "/_bulk", type: "application/x-ndjson", body: esBulk, json: null, ndjson: esBulk },
  { name: "otlp-json", module: otlp.otlpRoutes, path: "/v1/logs", type: J, body: otlpJson, json: otlpJson },
  { name: "otlp-proto", module: otlp.otlpRoutes, path: "/v1/logs", type: "application/x-protobuf", body: otlpProto, json: otlpJson },
  { name: "datadog", module: dd.datadogRoutes, path: "/api/v2/logs", type: J, body: datadog, json: datadog },
  { name: "zipkin", module: zipkin.zipkinRoutes, path: "/api/v2/spans", type: J, body: zipkinBody, json: zipkinBody },
  { name: "native", module: native.nativeIngestRoutes, path: "/api/v1/ingest", type: "application/x-ndjson", body: nativeBody, json: null, ndjson: nativeBody },
].filter((c) => ONLY.length === 0 || ONLY.includes(c.name) || ONLY.includes(ALIASES[c.name]));

/** Raw JSON.parse rate of the same lines: the whole JSON body, or each NDJSON line. */
function jsonParseLinesPerSecond(c) {
  const parseOnce =
    c.json !== null
      ? () => JSON.parse(c.json)
      : () => {
          for (const l of c.ndjson.split("\n")) if (l !== "") JSON.parse(l);
        };
  for (let i = 0; i < 5; i++) parseOnce();
  let n = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(Math.max(0.5, SECONDS / 3) * 1e9));
  while (process.hrtime.bigint() - t0 < limit) {
    parseOnce();
    n++;
  }
  return (n * LINES) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const nullStore = countingNullStore();

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { url, headers, body, clients, seconds } = workerData;
(async () => {
  let ok = 0, failed = 0, lastError = "";
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const res = await fetch(url, { method: "POST", headers, body });
      const text = await res.text();
      if (res.status < 300) ok++; else { failed++; lastError = res.status + " " + text.slice(0, 200); }
    }
  }));
  parentPort.postMessage({ ok, failed, lastError });
})();`;

const results = {};
const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-http-"));
try {
  for (const c of CASES) {
    const principal = { id: "bench", name: "bench", kind: "service", tenant: "default", roles: ["ingest"], tenants: "*" };
    const ctx = benchServerContext(dataDir, { http: "127.0.0.1:0", syslog: "", forward: "" }, nullStore, async (s) => (s === "bench" ? principal : undefined));
    const app = await buildApp(ctx, [c.module]);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${app.server.address().port}${c.path}`;
    const headers = { "content-type": c.type, authorization: "Bearer bench" };
    const check = await fetch(url, { method: "POST", headers, body: c.body });
    if (check.status >= 300) throw new Error(`${c.name}: warm-up request failed: ${check.status} ${await check.text()}`);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = process.hrtime.bigint();
    const worker = new Worker(WORKER, { eval: true, workerData: { url, headers, body: c.body, clients: CLIENTS, seconds: SECONDS } });
    const out = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    await worker.terminate();
    await app.close();
    const linesPerSecond = (out.ok * LINES) / elapsed;
    // The server thread's busy time: lines per busy second is the rate one fully used core would reach.
    const busySeconds = elu.active / 1000;
    const linesPerBusySecond = (out.ok * LINES) / busySeconds;
    const parseRate = jsonParseLinesPerSecond(c);
    results[c.name] = {
      linesPerSecond: Math.round(linesPerSecond),
      serverThreadUtilization: Math.round(elu.utilization * 1000) / 1000,
      linesPerServerCoreSecond: Math.round(linesPerBusySecond),
      requests: out.ok,
      failedRequests: out.failed,
      ...(out.failed > 0 ? { lastError: out.lastError } : {}),
      bodyBytes: typeof c.body === "string" ? Buffer.byteLength(c.body) : c.body.length,
      // CPU of the whole process (server thread + load worker); the server thread is the bottleneck being measured.
      processCpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      jsonParseLinesPerSecond: Math.round(parseRate),
      ratioToJsonParse: Math.round((linesPerBusySecond / parseRate) * 1000) / 1000,
    };
    process.stderr.write(
      `${c.name}: ${results[c.name].linesPerSecond} lines/s, ${results[c.name].linesPerServerCoreSecond} per server-core second (JSON.parse ${results[c.name].jsonParseLinesPerSecond})\n`,
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ benchmark: "ingest-http-receivers", store: "null", seconds: SECONDS, linesPerRequest: LINES, clients: CLIENTS, results }));

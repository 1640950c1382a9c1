#!/usr/bin/env node
// Lines/s the OTLP/gRPC receiver takes on the server's one thread (identity and gzip), compared in the same run with
// the OTLP/HTTP protobuf receiver fed the same ExportLogsServiceRequest and with the bare protobuf decode of it. Load
// comes from a worker thread (grpc-js client / fetch keep-alive) over loopback; the store is a null sink, so the
// numbers are the receivers' own cost. `linesPerServerCoreSecond` divides by the server thread's busy time.
// Prints one JSON object. Usage: node bench/ingest-otlp-grpc.mjs [--seconds 3] [--lines 1000] [--clients 4]
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchOptions, benchServerContext, countingNullStore } from "./lib-receiver-bench.mjs";

const opt = benchOptions();
const SECONDS = Number(opt("seconds", "3"));
const LINES = Number(opt("lines", "1000"));
const CLIENTS = Number(opt("clients", "4"));

const dist = new URL("../apps/server/dist/", import.meta.url);
const imp = (p) => import(new URL(p, dist).href);
const [{ buildApp }, wire, otlp, otlpProto, grpcModule, grpcService] = await Promise.all([
  imp("http/app.js"),
  imp("ingest/otlp/proto-wire.js"),
  imp("ingest/otlp/otlp-routes.js"),
  imp("ingest/otlp/otlp-proto.js"),
  imp("ingest/otlp-grpc/index.js"),
  imp("ingest/otlp-grpc/otlp-grpc-service.js"),
]);
const { ProtoWriter } = wire;

// ---- one ExportLogsServiceRequest of LINES records (built once) ----
const METHODS = ["GET", "POST", "PUT", "DELETE"];
const line = (i) =>
  `${METHODS[i % 4]} /api/v1/orders/${100000 + i} ${i % 17 === 0 ? 503 : 200} ${(i * 7) % 900}ms ua=curl/8.5 user=u${i % 300} trace=${(0x4bf92f35 + i).toString(16)}a3ce929d0e0e4736`;
const baseNs = BigInt(Date.now()) * 1_000_000n;
const str = (v) => new ProtoWriter().stringField(1, v).finish();
const kv = (k, v) => new ProtoWriter().stringField(1, k).bytesField(2, str(v)).finish();
const fixed64 = (field, v) => {
  const b = Buffer.alloc(9);
  b[0] = (field << 3) | 1;
  b.writeBigUInt64LE(v, 1);
  return b;
};
const scope = new ProtoWriter().bytesField(1, new ProtoWriter().stringField(1, "bench-lib").finish());
for (let i = 0; i < LINES; i++) {
  const rec = Buffer.concat([
    fixed64(1, baseNs + BigInt(i) * 1000n),
    new ProtoWriter()
      .varintField(2, i % 17 === 0 ? 17 : 9)
      .bytesField(5, str(line(i)))
      .bytesField(6, kv("http.route", "/api/v1/orders"))
      .bytesField(6, kv("user.id", `u${i % 300}`))
      .finish(),
  ]);
  scope.bytesField(2, rec);
}
const resource = new ProtoWriter().bytesField(1, kv("service.name", "checkout")).bytesField(1, kv("k8s.namespace.name", "shop")).finish();
const body = new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(1, resource).bytesField(2, scope.finish()).finish()).finish();

function decodeLinesPerSecond() {
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (process.hrtime.bigint() - t0 < 1_000_000_000n) n += otlpProto.decodeLogsRequestProto(body)[0].scopeLogs[0].logRecords.length;
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { Client, credentials, Metadata } = require(workerData.grpcPath);
(async () => {
  const { kind, target, body, clients, seconds, gzip } = workerData;
  const payload = Buffer.from(body);
  const end = Date.now() + seconds * 1000;
  let ok = 0, failed = 0, lastError = "";
  await Promise.all(Array.from({ length: clients }, async () => {
    if (kind === "http") {
      while (Date.now() < end) {
        const res = await fetch(target, { method: "POST", headers: { "content-type": "application/x-protobuf", authorization: "Bearer bench" }, body: payload });
        await res.arrayBuffer();
        if (res.status < 300) ok++; else { failed++; lastError = String(res.status); }
      }
      return;
    }
    const client = new Client(target, credentials.createInsecure(), gzip ? { "grpc.default_compression_algorithm": 2 } : {});
    const md = new Metadata();
    md.set("authorization", "Bearer bench");
    while (Date.now() < end) {
      await new Promise((resolve) => client.makeUnaryRequest(workerData.path, (b) => b, (b) => b, payload, md, (err) => {
        if (err) { failed++; lastError = err.details; } else ok++;
        resolve();
      }));
    }
    client.close();
  }));
  parentPort.postMessage({ ok, failed, lastError });
})();`;

const grpcPath = new URL("../node_modules/@grpc/grpc-js/build/src/index.js", import.meta.url).pathname;
const principal = { id: "bench", name: "bench", kind: "service", tenant: "default", roles: ["ingest"], tenants: "*" };
const results = {};
const dataDir = mkdtempSync(join(tmpdir(), "meshlog-bench-otlp-grpc-"));
try {
  for (const c of [
    { name: "otlp-http-proto", kind: "http" },
    { name: "otlp-grpc", kind: "grpc", gzip: false },
    { name: "otlp-grpc-gzip", kind: "grpc", gzip: true },
  ]) {
    const store = countingNullStore();
    const ctx = benchServerContext(dataDir, { http: "127.0.0.1:0", syslog: "", forward: "", otlpGrpc: { listen: "127.0.0.1:0" } }, store, async (s) =>
      s === "bench" ? principal : undefined,
    );
    const app = await buildApp(ctx, [otlp.otlpRoutes]);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const grpc = await grpcModule.otlpGrpcModule.start(ctx);
    const target = c.kind === "http" ? `http://127.0.0.1:${app.server.address().port}/v1/logs` : ctx.services.get("otlp-grpc.address");
    const elu0 = performance.eventLoopUtilization();
    const t0 = process.hrtime.bigint();
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { kind: c.kind, target, body, clients: CLIENTS, seconds: SECONDS, gzip: c.gzip === true, grpcPath, path: grpcService.LOGS_EXPORT_PATH },
    });
    const out = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const elu = performance.eventLoopUtilization(elu0);
    await worker.terminate();
    await grpc.stop();
    await app.close();
    if (out.ok === 0) throw new Error(`${c.name}: no request succeeded (${out.lastError})`);
    results[c.name] = {
      linesPerSecond: Math.round((out.ok * LINES) / elapsed),
      serverThreadUtilization: Math.round(elu.utilization * 1000) / 1000,
      linesPerServerCoreSecond: Math.round((out.ok * LINES) / (elu.active / 1000)),
      requests: out.ok,
      failedRequests: out.failed,
      stored: store.stored,
      ...(out.failed > 0 ? { lastError: out.lastError } : {}),
    };
    process.stderr.write(`${c.name}: ${results[c.name].linesPerSecond} lines/s, ${results[c.name].linesPerServerCoreSecond} per server-core second\n`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const decodeRate = decodeLinesPerSecond();
const perCore = (n) => results[n].linesPerServerCoreSecond;
console.log(
  JSON.stringify({
    benchmark: "ingest-otlp-grpc",
    store: "null",
    seconds: SECONDS,
    linesPerRequest: LINES,
    requestBytes: body.length,
    clients: CLIENTS,
    protobufDecodeLinesPerSecond: Math.round(decodeRate),
    results,
    ratios: {
      grpcToHttpProto: Math.round((perCore("otlp-grpc") / perCore("otlp-http-proto")) * 1000) / 1000,
      grpcGzipToHttpProto: Math.round((perCore("otlp-grpc-gzip") / perCore("otlp-http-proto")) * 1000) / 1000,
      grpcToProtobufDecode: Math.round((perCore("otlp-grpc") / decodeRate) * 1000) / 1000,
    },
  }),
);

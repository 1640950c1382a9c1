// OTLP/gRPC receiver with the real OpenTelemetry gRPC exporters and a raw grpc-js client: fields, partial success,
// auth and tenants, hostile and oversized messages, gzip, backpressure; the status mapping; Loki's /otlp/v1/logs path.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server } from "node:net";
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter as OTLPLogExporterGrpc } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as OTLPLogExporterHttp } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterGrpc } from "@opentelemetry/exporter-trace-otlp-grpc";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeshlogError } from "@meshlog/core";
import { StorageErrors } from "@meshlog/storage";
import { ServerErrors } from "../../errors.js";
import { ProtoReader, ProtoWriter } from "../otlp/proto-wire.js";
import { INGEST_TENANT, startReceiverHarness, TOKENS } from "../testing/receiver-harness.js";
import { DEFAULT_OTLP_GRPC_LISTEN } from "../../config/server-config.js";
import { otlpGrpcModule } from "./index.js";
import { GrpcCode, grpcFailureOf } from "./grpc-status.js";
import { LOGS_EXPORT_PATH, peerAddress, TRACES_EXPORT_PATH } from "./otlp-grpc-service.js";
import { INGEST, logsRequest, MAX_MESSAGE_BYTES, meta, rawCall, startGrpc, statusDetails, type Started } from "./otlp-grpc-test-kit.js";

describe("OTLP/gRPC receiver", () => {
  let s: Started;
  before(async () => {
    s = await startGrpc();
  });
  after(async () => {
    await s.grpc.stop();
    await s.h.close();
  });

  test("listens on an ephemeral loopback port and publishes the bound address", () => {
    assert.match(s.address, /^127\.0\.0\.1:[1-9]\d*$/);
  });

  for (const compression of ["none", "gzip"] as const) {
    test(`stores logs and spans from the real gRPC exporters (compression ${compression}) with every field`, async () => {
      const resource = resourceFromAttributes({ "service.name": `grpc-${compression}`, "k8s.namespace.name": "shop", "host.name": "node-1" });
      const comp = compression as NonNullable<NonNullable<ConstructorParameters<typeof OTLPLogExporterGrpc>[0]>["compression"]>;
      const common = { url: `http://${s.address}`, metadata: meta(INGEST), compression: comp };
      const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporterGrpc(common))] });
      const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporterGrpc(common) })] });
      const span = tracerProvider
        .getTracer("pay-lib", "3.0")
        .startSpan(`authorize-${compression}`, { kind: SpanKind.SERVER, attributes: { "http.route": "/pay" } });
      span.setStatus({ code: SpanStatusCode.ERROR, message: "insufficient funds" });
      const when = new Date("2026-05-06T07:08:09.123Z");
      loggerProvider.getLogger("pay-lib", "3.0").emit({
        body: `payment refused ${compression}`,
        severityNumber: SeverityNumber.ERROR,
        severityText: "ERROR",
        timestamp: when,
        attributes: { "user.id": "u-42", attempt: 3 },
        context: trace.setSpan(context.active(), span),
      });
      span.end();
      await loggerProvider.forceFlush();
      await tracerProvider.forceFlush();
      await loggerProvider.shutdown();
      await tracerProvider.shutdown();
      const { traceId, spanId } = span.spanContext();
      const linked = (await s.h.records()).filter((r) => r.traceId === traceId);
      assert.equal(linked.length, 2, "the log and the span arrived, linked by trace id");
      const log = linked.find((r) => r.labels.kind === undefined);
      const spanRec = linked.find((r) => r.labels.kind === "span");
      assert.ok(log && spanRec);
      assert.equal(log.body, `payment refused ${compression}`);
      assert.equal(log.timestamp, BigInt(when.getTime()) * 1_000_000n);
      assert.equal(log.severityNumber, 17);
      assert.equal(log.severityText, "ERROR");
      assert.equal(log.spanId, spanId);
      assert.equal(log.attributes["user.id"], "u-42");
      assert.equal(log.attributes.attempt, "3");
      assert.equal(log.attributes["otel.scope.name"], "pay-lib");
      assert.deepEqual(log.resource, { "service.name": `grpc-${compression}`, "k8s.namespace.name": "shop", "host.name": "node-1" });
      assert.deepEqual({ ...log.labels }, { source: "otlp", service: `grpc-${compression}`, namespace: "shop", level: "error" });
      assert.equal(log.tenant, INGEST_TENANT);
      assert.equal(spanRec.body, `authorize-${compression}`);
      assert.equal(spanRec.spanId, spanId);
      assert.equal(spanRec.severityNumber, 17, "an error span is stored as an error record");
      const audit = s.h.audit.filter((e) => e.action === "ingest" && e.details?.receiver === "otlp-grpc" && e.route === LOGS_EXPORT_PATH);
      assert.ok(
        audit.some((e) => e.principal === "shipper" && e.tenant === INGEST_TENANT && e.result === "ok" && e.rows === 1),
        "each export is audited with principal, tenant and rows",
      );
    });
  }

  test("Loki's OTLP path /otlp/v1/logs takes the real OTLP/HTTP exporter", async () => {
    const base = s.h.url;
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ "service.name": "loki-path" }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporterHttp({ url: `${base}/otlp/v1/logs`, headers: INGEST }) })],
    });
    provider.getLogger("l").emit({ body: "through the loki otlp path", severityNumber: SeverityNumber.INFO });
    await provider.forceFlush();
    await provider.shutdown();
    const [r] = (await s.h.records()).filter((x) => x.body === "through the loki otlp path");
    assert.ok(r);
    assert.equal(r.labels.service, "loki-path");
    assert.equal(r.labels.level, "info");
    const unauth = await fetch(`${base}/otlp/v1/logs`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(unauth.status, 401, "the alias is authenticated like /v1/logs");
    assert.ok(
      s.h.audit.some((e) => e.route === "/otlp/v1/logs" && e.action === "ingest" && e.result === "ok"),
      "and audited",
    );
  });

  test("a raw client with Basic auth (token as password) and an empty request gets an empty response", async () => {
    const basic = `Basic ${Buffer.from(`anyone:${TOKENS.ingest}`).toString("base64")}`;
    const { err, res } = await rawCall(s.address, LOGS_EXPORT_PATH, Buffer.alloc(0), { authorization: basic });
    assert.equal(err, null);
    assert.equal(res?.length, 0);
  });

  test("answers partial_success naming the first rejected record and stores the rest", async () => {
    const body = logsRequest("partial", ["raw good", "raw bad trace"], (w, i) => {
      if (i === 1) w.bytesField(9, Buffer.from("abcdef", "hex"));
    });
    const { err, res } = await rawCall(s.address, LOGS_EXPORT_PATH, body, INGEST);
    assert.equal(err, null);
    assert.ok(res);
    const r = new ProtoReader(res);
    assert.deepEqual(r.tag(), [1, 2]);
    const ps = r.message();
    assert.deepEqual(ps.tag(), [1, 0]);
    assert.equal(ps.varint32(), 1, "rejected_log_records = 1");
    assert.deepEqual(ps.tag(), [2, 2]);
    assert.match(ps.string(), /logRecords\[1\]: traceId "abcdef" is not 32 hex characters/);
    const bodies = (await s.h.records()).map((x) => x.body);
    assert.ok(bodies.includes("raw good"));
    assert.ok(!bodies.includes("raw bad trace"));
  });

  const failures: [string, string, Buffer, Record<string, string>, number, RegExp][] = [
    [
      "malformed protobuf",
      LOGS_EXPORT_PATH,
      Buffer.from([0x0a, 0xff, 0xff, 0x01]),
      INGEST,
      GrpcCode.INVALID_ARGUMENT,
      /ExportLogsServiceRequest is not valid protobuf/,
    ],
    [
      "a truncated trace request",
      TRACES_EXPORT_PATH,
      Buffer.from([0x0a, 0x05, 0x12]),
      INGEST,
      GrpcCode.INVALID_ARGUMENT,
      /ExportTraceServiceRequest is not valid protobuf/,
    ],
    ["hostile nesting", LOGS_EXPORT_PATH, nested(40), INGEST, GrpcCode.INVALID_ARGUMENT, /nested deeper than 32/],
    ["a wrong token", LOGS_EXPORT_PATH, logsRequest("x", ["never"]), { authorization: "Bearer nope" }, GrpcCode.UNAUTHENTICATED, /unknown, expired or revoked/],
    ["no credentials", LOGS_EXPORT_PATH, logsRequest("x", ["never"]), {}, GrpcCode.UNAUTHENTICATED, /authentication required/],
    [
      "a token without the ingest role",
      LOGS_EXPORT_PATH,
      logsRequest("x", ["never"]),
      { authorization: `Bearer ${TOKENS.analyst}` },
      GrpcCode.PERMISSION_DENIED,
      /needs the role ingest/,
    ],
    [
      "another tenant",
      LOGS_EXPORT_PATH,
      logsRequest("x", ["never"]),
      { ...INGEST, "x-scope-orgid": "team-b" },
      GrpcCode.PERMISSION_DENIED,
      /may not act on tenant "team-b"/,
    ],
    [
      "the audit tenant",
      LOGS_EXPORT_PATH,
      logsRequest("x", ["never"]),
      { ...INGEST, "x-scope-orgid": "_audit" },
      GrpcCode.PERMISSION_DENIED,
      /may not act on tenant "_audit"/,
    ],
    [
      "an invalid tenant id",
      LOGS_EXPORT_PATH,
      logsRequest("x", ["never"]),
      { ...INGEST, "x-scope-orgid": "a/b" },
      GrpcCode.INVALID_ARGUMENT,
      /X-Scope-OrgID "a\/b" is not a valid tenant id/,
    ],
  ];
  for (const [what, path, body, md, code, message] of failures) {
    test(`refuses ${what} with gRPC status ${code} and a message saying what failed`, async () => {
      const before = (await s.h.records()).length;
      const { err } = await rawCall(s.address, path, body, md);
      assert.ok(err, "the call fails");
      assert.equal(err.code, code, err.details);
      assert.match(err.details, message);
      const d = statusDetails(err);
      assert.equal(d.code, code);
      assert.equal(d.retrySeconds, undefined, "no RetryInfo: resending cannot succeed");
      assert.equal((await s.h.records()).length, before, "nothing is stored");
    });
  }

  test("an admin token selects the tenant with x-scope-orgid; other tenants never see the data", async () => {
    const { err } = await rawCall(s.address, LOGS_EXPORT_PATH, logsRequest("iso", ["for team-b only"]), {
      authorization: `Bearer ${TOKENS.admin}`,
      "x-scope-orgid": "team-b",
    });
    assert.equal(err, null);
    assert.deepEqual(
      (await s.h.records("team-b")).map((r) => r.body),
      ["for team-b only"],
    );
    assert.ok(!(await s.h.records(INGEST_TENANT)).some((r) => r.body === "for team-b only"));
  });

  for (const gzip of [false, true]) {
    test(`refuses a message over otlpGrpc.maxMessageBytes with RESOURCE_EXHAUSTED naming the setting (${gzip ? "gzip" : "identity"})`, async () => {
      const big = logsRequest("big", ["x".repeat(MAX_MESSAGE_BYTES + 100)]);
      const { err } = await rawCall(s.address, LOGS_EXPORT_PATH, big, INGEST, { gzip });
      assert.ok(err);
      assert.equal(err.code, GrpcCode.RESOURCE_EXHAUSTED);
      assert.match(err.details, /otlpGrpc\.maxMessageBytes/);
      assert.match(err.details, new RegExp(String(MAX_MESSAGE_BYTES)));
      assert.equal(statusDetails(err).retrySeconds, undefined);
      assert.ok(!(await s.h.records()).some((r) => r.labels.service === "big"));
    });
  }

  test("a gzip-compressed request under the limit is accepted", async () => {
    const body = logsRequest("zipped", ["z".repeat(MAX_MESSAGE_BYTES / 2)]);
    const { err } = await rawCall(s.address, LOGS_EXPORT_PATH, body, INGEST, { gzip: true });
    assert.equal(err, null);
    const [r] = (await s.h.records()).filter((x) => x.labels.service === "zipped");
    assert.equal(r?.body.length, MAX_MESSAGE_BYTES / 2);
  });

  test("storage backpressure answers UNAVAILABLE with RetryInfo, and nothing is stored", async () => {
    s.h.store.refuse = true;
    try {
      const { err } = await rawCall(s.address, LOGS_EXPORT_PATH, logsRequest("pushed-back", ["later"]), INGEST);
      assert.ok(err);
      assert.equal(err.code, GrpcCode.UNAVAILABLE);
      assert.match(err.details, /saturated/);
      assert.equal(statusDetails(err).retrySeconds, 7);
    } finally {
      s.h.store.refuse = false;
    }
    assert.ok(!(await s.h.records()).some((r) => r.labels.service === "pushed-back"));
  });

  test("an unknown method is UNIMPLEMENTED", async () => {
    const { err } = await rawCall(s.address, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", Buffer.alloc(0), INGEST);
    assert.equal(err?.code, 12);
  });
});

/** AnyValue kvlists nested `depth` deep as a log body. */
function nested(depth: number): Buffer {
  let v = new ProtoWriter().stringField(1, "leaf").finish();
  for (let i = 0; i < depth; i++) {
    const kv = new ProtoWriter().stringField(1, "k").bytesField(2, v).finish();
    v = new ProtoWriter().bytesField(6, new ProtoWriter().bytesField(1, kv).finish()).finish();
  }
  const rec = new ProtoWriter().bytesField(5, v).finish();
  const scope = new ProtoWriter().bytesField(2, rec).finish();
  return new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(2, scope).finish()).finish();
}

describe("OTLP/gRPC status mapping", () => {
  test("maps meshlog errors to the codes OTLP exporters act on", () => {
    const cases: [MeshlogError, number, number | undefined][] = [
      [new MeshlogError(ServerErrors.AUTH_INVALID, "x"), GrpcCode.UNAUTHENTICATED, undefined],
      [new MeshlogError(ServerErrors.AUTH_FORBIDDEN, "x"), GrpcCode.PERMISSION_DENIED, undefined],
      [new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "x"), GrpcCode.INVALID_ARGUMENT, undefined],
      [new MeshlogError(ServerErrors.INGEST_RATE_LIMITED, "x", { details: { retryAfterSeconds: 2.2 } }), GrpcCode.RESOURCE_EXHAUSTED, 3],
      [new MeshlogError(ServerErrors.AUTH_RATE_LIMITED, "x", { details: { retryAfterSeconds: 9 } }), GrpcCode.RESOURCE_EXHAUSTED, 9],
      [new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, "x"), GrpcCode.RESOURCE_EXHAUSTED, undefined],
      [new MeshlogError(StorageErrors.STORAGE_BACKPRESSURE, "x"), GrpcCode.UNAVAILABLE, 1],
    ];
    for (const [err, code, retry] of cases) {
      const f = grpcFailureOf(err);
      assert.equal(f.code, code, err.code);
      assert.equal(f.retryAfterSeconds, retry, err.code);
    }
    assert.deepEqual(grpcFailureOf(new Error("boom")), { code: GrpcCode.INTERNAL, message: "internal error", httpStatus: 500, retryAfterSeconds: undefined });
  });

  test("peer addresses are reduced to the host for throttling and audit", () => {
    assert.equal(peerAddress("127.0.0.1:5000"), "127.0.0.1");
    assert.equal(peerAddress("[::1]:5000"), "::1");
    assert.equal(peerAddress("unknown"), "unknown");
  });
});

describe("OTLP/gRPC listen address in use", () => {
  const occupy = async (port: number): Promise<Server | undefined> => {
    const srv = createServer();
    return new Promise((resolve) => {
      srv.once("error", () => resolve(undefined)); // already held by another process: just as good
      srv.listen({ host: "127.0.0.1", port }, () => resolve(srv));
    });
  };

  test("the default address taken by another process is skipped with a warning, not fatal", async () => {
    const blocker = await occupy(Number(DEFAULT_OTLP_GRPC_LISTEN.split(":")[1]));
    try {
      const h = await startReceiverHarness([], { otlpGrpc: { listen: DEFAULT_OTLP_GRPC_LISTEN } });
      try {
        const handle = await otlpGrpcModule.start(h.ctx);
        assert.equal(h.ctx.services.get("otlp-grpc.address"), undefined, "no receiver runs");
        await handle.stop();
      } finally {
        await h.close();
      }
    } finally {
      await new Promise((r) => (blocker === undefined ? r(undefined) : blocker.close(r)));
    }
  });

  test("an address chosen on purpose that is taken fails the start, naming the setting", async () => {
    const blocker = await occupy(0);
    assert.ok(blocker !== undefined);
    const port = (blocker.address() as AddressInfo).port;
    const h = await startReceiverHarness([], { otlpGrpc: { listen: `127.0.0.1:${port}` } });
    try {
      await assert.rejects(otlpGrpcModule.start(h.ctx), /otlpGrpc\.listen: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    } finally {
      await h.close();
      await new Promise((r) => blocker.close(r));
    }
  });
});

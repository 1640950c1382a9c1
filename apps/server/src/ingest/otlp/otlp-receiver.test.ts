import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter as OTLPLogExporterJson } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as OTLPLogExporterProto } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { INGEST_TENANT, post, startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { decodeLogsRequestProto } from "./otlp-proto.js";
import { otlpRoutes } from "./otlp-routes.js";
import { ProtoReader, ProtoWireError, ProtoWriter } from "./proto-wire.js";

/** ExportLogsServiceRequest bodies captured from @opentelemetry/exporter-logs-otlp-{http,proto}@0.223.1. */
const CAPTURED_LOGS_JSON =
  '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},{"key":"k8s.pod.name","value":{"stringValue":"p1"}}],"droppedAttributesCount":0},"scopeLogs":[{"scope":{"name":"lib","version":"1.0"},"logRecords":[{"timeUnixNano":"1795528737065000000","observedTimeUnixNano":"1795528737065000000","severityNumber":9,"severityText":"INFO","body":{"stringValue":"hello json"},"attributes":[{"key":"http.response.status_code","value":{"intValue":200}}],"droppedAttributesCount":0}]}]}]}';
const CAPTURED_LOGS_PROTO =
  "0a8e010a2f0a150a0c736572766963652e6e616d6512050a037376630a140a0c6b38732e706f642e6e616d6512040a0270311000125b0a0a0a036c69621203312e30124d09c084d68ddfffea1810091a04494e464f2a0d0a0b68656c6c6f2070726f746f32200a19687474702e726573706f6e73652e7374617475735f636f6465120318c801380059c084d68ddfffea18";
/** ExportTraceServiceRequest captured from @opentelemetry/exporter-trace-otlp-http@0.223.1. */
const CAPTURED_TRACES_JSON =
  '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"t"},"spans":[{"traceId":"79424a658fdb7c3d6ce29d34fec90a3b","spanId":"a3b72305e858447a","name":"GET /x","kind":2,"startTimeUnixNano":"1795528740553000000","endTimeUnixNano":"1795528740553089543","attributes":[],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],"droppedLinksCount":0,"flags":257}]}]}]}';

const auth = { authorization: `Bearer ${TOKENS.ingest}` };
const JSON_H = { "content-type": "application/json", ...auth };
const PROTO_H = { "content-type": "application/x-protobuf", ...auth };

describe("OTLP/HTTP receiver", () => {
  let h: ReceiverHarness;
  before(async () => {
    h = await startReceiverHarness([otlpRoutes]);
  });
  after(async () => {
    await h.close();
  });
  const byBody = async (body: string) => (await h.records()).filter((r) => r.body === body);

  test("stores the captured JSON logs request field by field and answers {} as JSON", async () => {
    const res = await post(`${h.url}/v1/logs`, CAPTURED_LOGS_JSON, JSON_H);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.text, "{}");
    const [r, ...more] = await byBody("hello json");
    assert.equal(more.length, 0);
    assert.ok(r);
    assert.equal(r.timestamp, 1795528737065000000n);
    assert.equal(r.observedTimestamp, 1795528737065000000n);
    assert.equal(r.severityNumber, 9);
    assert.equal(r.severityText, "INFO");
    assert.deepEqual(r.resource, { "service.name": "svc", "k8s.pod.name": "p1" });
    assert.deepEqual(r.attributes, { "http.response.status_code": "200", "otel.scope.name": "lib", "otel.scope.version": "1.0" });
    assert.deepEqual({ ...r.labels }, { source: "otlp", service: "svc", level: "info" });
    assert.equal(r.traceId, "");
    assert.equal(r.tenant, INGEST_TENANT);
  });

  test("stores the captured protobuf logs request and answers an empty protobuf message", async () => {
    const res = await fetch(`${h.url}/v1/logs`, { method: "POST", body: Buffer.from(CAPTURED_LOGS_PROTO, "hex"), headers: PROTO_H });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-protobuf");
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    const [r] = await byBody("hello proto");
    assert.ok(r);
    assert.equal(r.timestamp, Buffer.from("c084d68ddfffea18", "hex").readBigUInt64LE());
    assert.equal(r.severityNumber, 9);
    assert.deepEqual(r.attributes, { "http.response.status_code": "200", "otel.scope.name": "lib", "otel.scope.version": "1.0" });
    assert.deepEqual(r.resource, { "service.name": "svc", "k8s.pod.name": "p1" });
  });

  test("stores the captured JSON trace as a span record linked by trace and span id", async () => {
    const res = await post(`${h.url}/v1/traces`, gzipSync(CAPTURED_TRACES_JSON), { ...JSON_H, "content-encoding": "gzip" });
    assert.equal(res.status, 200, res.text);
    const [r] = await byBody("GET /x");
    assert.ok(r);
    assert.equal(r.traceId, "79424a658fdb7c3d6ce29d34fec90a3b");
    assert.equal(r.spanId, "a3b72305e858447a");
    assert.equal(r.timestamp, 1795528740553000000n);
    assert.deepEqual(r.attributes, { "span.kind": "server", "span.status_code": "unset", "span.duration_ns": "89543", "otel.scope.name": "t" });
    assert.deepEqual({ ...r.labels }, { source: "otlp", kind: "span", service: "svc" });
  });

  for (const [name, Exporter] of [
    ["JSON", OTLPLogExporterJson],
    ["protobuf", OTLPLogExporterProto],
  ] as const) {
    test(`receives logs from the real ${name} log exporter, linked to the trace of the active span`, async () => {
      const resource = resourceFromAttributes({ "service.name": `checkout-${name}`, "k8s.namespace.name": "shop" });
      const tracerProvider = new BasicTracerProvider({
        resource,
        spanProcessors: [
          new SimpleSpanProcessor(new (name === "JSON" ? OTLPTraceExporterJson : OTLPTraceExporterProto)({ url: `${h.url}/v1/traces`, headers: auth })),
        ],
      });
      const loggerProvider = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor({ exporter: new Exporter({ url: `${h.url}/v1/logs`, headers: auth }) })],
      });
      const span = tracerProvider.getTracer("shop-lib", "2.1").startSpan(`charge-${name}`, { kind: SpanKind.CLIENT, attributes: { "payment.amount": 42 } });
      span.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
      const when = new Date("2026-03-04T05:06:07.891Z");
      loggerProvider.getLogger("shop-lib", "2.1").emit({
        body: { event: "charge", ok: false, tries: [1, 2] },
        severityNumber: SeverityNumber.WARN,
        severityText: "WARN",
        timestamp: when,
        attributes: { "user.id": "u-7", retry: true, ratio: 0.5 },
        context: trace.setSpan(context.active(), span),
      });
      span.end();
      await loggerProvider.forceFlush();
      await tracerProvider.forceFlush();
      const { traceId, spanId } = span.spanContext();
      const linked = (await h.records()).filter((r) => r.traceId === traceId);
      assert.equal(linked.length, 2, "the log and the span share the trace id");
      const log = linked.find((r) => r.labels.kind === undefined);
      const spanRec = linked.find((r) => r.labels.kind === "span");
      assert.ok(log && spanRec);
      assert.equal(log.body, '{"event":"charge","ok":false,"tries":[1,2]}');
      assert.equal(log.timestamp, BigInt(when.getTime()) * 1_000_000n);
      assert.equal(log.severityNumber, 13);
      assert.equal(log.spanId, spanId);
      assert.equal(log.attributes["user.id"], "u-7");
      assert.equal(log.attributes.retry, "true");
      assert.equal(log.attributes.ratio, "0.5");
      assert.equal(log.attributes["otel.scope.name"], "shop-lib");
      assert.equal(log.attributes["otel.scope.version"], "2.1");
      assert.deepEqual({ ...log.labels }, { source: "otlp", service: `checkout-${name}`, namespace: "shop", level: "warn" });
      assert.equal(log.resource["k8s.namespace.name"], "shop");
      assert.equal(spanRec.body, `charge-${name}`);
      assert.equal(spanRec.spanId, spanId);
      assert.equal(spanRec.severityNumber, 17);
      assert.equal(spanRec.attributes["span.kind"], "client");
      assert.equal(spanRec.attributes["span.status_code"], "error");
      assert.equal(spanRec.attributes["span.status_message"], "card declined");
      assert.equal(spanRec.attributes["payment.amount"], "42");
      assert.deepEqual({ ...spanRec.labels }, { source: "otlp", kind: "span", service: `checkout-${name}`, namespace: "shop" });
      await loggerProvider.shutdown();
      await tracerProvider.shutdown();
    });
  }

  test("answers partialSuccess with the rejected count for invalid records in JSON, storing the valid ones", async () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: "1795528737065000001",
                  body: { stringValue: "partial ok" },
                  traceId: "5B8EFFF798038103D269B633813FC60C",
                  spanId: "EEE19B7EC3C1B174",
                },
                { body: { stringValue: "partial bad trace" }, traceId: "xyz" },
                { body: { stringValue: "partial bad severity" }, severityNumber: 99 },
              ],
            },
          ],
        },
      ],
    });
    const res = await post(`${h.url}/v1/logs`, body, JSON_H);
    assert.equal(res.status, 200);
    const parsed = JSON.parse(res.text) as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
    assert.equal(parsed.partialSuccess.rejectedLogRecords, "2");
    assert.match(parsed.partialSuccess.errorMessage, /logRecords\[1\]: traceId "xyz" is not 32 hex characters/);
    const [ok] = await byBody("partial ok");
    assert.equal(ok?.traceId, "5b8efff798038103d269b633813fc60c", "hex ids are case-insensitive and stored lowercase");
    assert.equal(ok?.spanId, "eee19b7ec3c1b174");
    assert.equal((await byBody("partial bad trace")).length, 0);
  });

  test("answers partial_success in protobuf for invalid spans", async () => {
    const span = (traceId: Buffer, name: string) =>
      new ProtoWriter().bytesField(1, traceId).bytesField(2, Buffer.from("0102030405060708", "hex")).stringField(5, name).finish();
    const scopeSpans = new ProtoWriter()
      .bytesField(2, span(Buffer.from("0102030405060708090a0b0c0d0e0f10", "hex"), "proto span ok"))
      .bytesField(2, span(Buffer.from("0102", "hex"), "proto span short id"))
      .finish();
    const body = new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(2, scopeSpans).finish()).finish();
    const res = await fetch(`${h.url}/v1/traces`, { method: "POST", body, headers: PROTO_H });
    assert.equal(res.status, 200);
    const r = new ProtoReader(new Uint8Array(await res.arrayBuffer()));
    const [f, w] = r.tag();
    assert.deepEqual([f, w], [1, 2]);
    const ps = r.message();
    assert.deepEqual(ps.tag(), [1, 0]);
    assert.equal(ps.varint32(), 1, "rejected_spans = 1");
    assert.deepEqual(ps.tag(), [2, 2]);
    assert.match(ps.string(), /spans\[1\]: traceId "0102" must be 32 hex characters/);
    assert.equal((await byBody("proto span ok")).length, 1);
  });

  test("renders every AnyValue kind of a body and attributes as text", async () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  body: {
                    kvlistValue: {
                      values: [
                        { key: "n", value: { intValue: "9007199254740993" } },
                        { key: "b", value: { bytesValue: "AQID" } },
                        { key: "d", value: { doubleValue: 1.5 } },
                        { key: "a", value: { arrayValue: { values: [{ boolValue: true }, { stringValue: "s" }] } } },
                      ],
                    },
                  },
                  attributes: [
                    { key: "big", value: { intValue: "-12" } },
                    { key: "arr", value: { arrayValue: { values: [{ intValue: 1 }] } } },
                    { key: "empty", value: {} },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await post(`${h.url}/v1/logs`, body, JSON_H);
    assert.equal(res.status, 200);
    const r = (await h.records()).find((x) => x.body.startsWith('{"n":'));
    assert.equal(r?.body, '{"n":"9007199254740993","b":"AQID","d":1.5,"a":[true,"s"]}');
    assert.deepEqual(r?.attributes, { big: "-12", arr: "[1]", empty: "" });
  });

  const errors: [string, string, Buffer | string, Record<string, string>, number, RegExp][] = [
    [
      "JSON with a string where an array belongs",
      "/v1/logs",
      '{"resourceLogs":[{"scopeLogs":"x"}]}',
      JSON_H,
      400,
      /resourceLogs\[0\]\.scopeLogs: must be an array/,
    ],
    [
      "JSON with a non-integer enum",
      "/v1/traces",
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SERVER"}]}]}]}',
      JSON_H,
      400,
      /kind: must be an integer/,
    ],
    ["JSON that is not JSON", "/v1/logs", "{nope", JSON_H, 400, /not valid JSON/],
    ["an unsupported content type", "/v1/logs", "x", { ...auth, "content-type": "text/plain" }, 415, /unsupported Content-Type/],
  ];
  for (const [title, path, body, headers, status, message] of errors) {
    test(`answers ${title} with ${status} and a google.rpc.Status JSON body`, async () => {
      const res = await post(h.url + path, body, headers);
      assert.equal(res.status, status);
      const parsed = JSON.parse(res.text) as { code: number; message: string };
      assert.equal(parsed.code, 3);
      assert.match(parsed.message, message);
    });
  }

  const nest = (depth: number): Uint8Array => {
    let v: Uint8Array = new ProtoWriter().stringField(1, "leaf").finish();
    for (let i = 0; i < depth; i++) v = new ProtoWriter().bytesField(5, new ProtoWriter().bytesField(1, v).finish()).finish();
    return v;
  };
  const logWithBody = (anyValue: Uint8Array) =>
    new ProtoWriter()
      .bytesField(1, new ProtoWriter().bytesField(2, new ProtoWriter().bytesField(2, new ProtoWriter().bytesField(5, anyValue).finish()).finish()).finish())
      .finish();
  const hostile: [string, Uint8Array, RegExp][] = [
    ["AnyValue arrays nested 100 deep", logWithBody(nest(100)), /nested deeper than 32/],
    ["a length prefix past the end", Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x00]), /truncated/],
    ["a varint longer than 10 bytes", Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /varint longer than 10 bytes/],
    ["wire type 7", Buffer.from([0x0f, 0x00]), /unsupported wire type 7/],
    ["field number 0", Buffer.from([0x00, 0x00]), /invalid field number 0/],
  ];
  for (const [title, body, message] of hostile) {
    test(`answers protobuf with ${title} with 400 and a google.rpc.Status protobuf body`, async () => {
      const res = await fetch(`${h.url}/v1/logs`, { method: "POST", body, headers: PROTO_H });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("content-type"), "application/x-protobuf");
      const r = new ProtoReader(new Uint8Array(await res.arrayBuffer()));
      assert.deepEqual(r.tag(), [1, 0]);
      assert.equal(r.varint32(), 3);
      assert.deepEqual(r.tag(), [2, 2]);
      assert.match(r.string(), message);
    });
  }

  test("an empty request is a success with nothing stored", async () => {
    const before = (await h.records()).length;
    for (const [path, headers, body] of [
      ["/v1/logs", JSON_H, "{}"],
      ["/v1/traces", PROTO_H, ""],
      ["/v1/logs", JSON_H, ""],
    ] as const) {
      const res = await post(h.url + path, body, headers);
      assert.equal(res.status, 200);
    }
    assert.equal((await h.records()).length, before);
  });

  test("the protobuf decoder only ever fails with a wire error on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeLogsRequestProto(bytes);
        } catch (err) {
          assert.ok(err instanceof ProtoWireError || err instanceof RangeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

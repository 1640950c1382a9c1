import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { once, type EventEmitter } from "node:events";
import { gzipSync } from "node:zlib";
import { Annotation, BatchRecorder, ExplicitContext, InetAddress, jsonEncoder, Tracer } from "zipkin";
import { HttpLogger } from "zipkin-transport-http";
import { ProtoWriter } from "../otlp/proto-wire.js";
import { post, startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { zipkinRoutes } from "./zipkin-routes.js";

/** Bodies captured from @opentelemetry/exporter-zipkin@2.12.1 and zipkin-transport-http@0.22.0 (JSON_V2). */
const CAPTURED_OTEL_ZIPKIN =
  '[{"traceId":"79424a658fdb7c3d6ce29d34fec90a3b","name":"GET /x","id":"a3b72305e858447a","kind":"SERVER","timestamp":1795528740553000,"duration":90,"localEndpoint":{"serviceName":"svc"},"tags":{"service.name":"svc"}}]';
const CAPTURED_ZIPKIN_JS =
  '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","name":"get","kind":"SERVER","timestamp":1795528742221256,"duration":18,"localEndpoint":{"serviceName":"zsvc"}}]';

const H = { "content-type": "application/json", authorization: `Bearer ${TOKENS.ingest}` };

describe("Zipkin v2 receiver", () => {
  let h: ReceiverHarness;
  before(async () => {
    h = await startReceiverHarness([zipkinRoutes]);
  });
  after(async () => {
    await h.close();
  });
  const byBody = async (body: string) => (await h.records()).filter((r) => r.body === body);

  test("stores spans from the real zipkin tracer and HTTP transport (JSON_V2)", async () => {
    const logger = new HttpLogger({
      endpoint: `${h.url}/api/v2/spans`,
      jsonEncoder: jsonEncoder.JSON_V2,
      httpInterval: 20,
      headers: { authorization: `Bearer ${TOKENS.ingest}` },
    });
    const tracer = new Tracer({ ctxImpl: new ExplicitContext(), recorder: new BatchRecorder({ logger }), localServiceName: "inventory" });
    const sent = once(logger as unknown as EventEmitter, "success");
    let traceId = "";
    let spanId = "";
    tracer.scoped(() => {
      const id = tracer.createRootId();
      tracer.setId(id);
      traceId = id.traceId;
      spanId = id.spanId;
      tracer.recordServiceName("inventory");
      tracer.recordRpc("reserve-stock");
      tracer.recordAnnotation(new Annotation.ServerRecv());
      tracer.recordAnnotation(new Annotation.LocalAddr({ host: new InetAddress("10.1.2.3"), port: 8080 }));
      tracer.recordBinary("sku", "A-17");
      tracer.recordBinary("error", "out of stock");
      tracer.recordAnnotation(new Annotation.ServerSend());
    });
    await sent;
    const [r] = await byBody("reserve-stock");
    assert.ok(r);
    assert.equal(r.traceId, traceId.padStart(32, "0"), "64-bit trace ids are left-padded to 32 hex");
    assert.equal(r.spanId, spanId);
    assert.equal(r.attributes.sku, "A-17");
    assert.equal(r.attributes["span.kind"], "server");
    assert.equal(r.attributes["span.status_code"], "error");
    assert.equal(r.attributes["span.status_message"], "out of stock");
    assert.equal(r.attributes["zipkin.local_endpoint.ipv4"], "10.1.2.3");
    assert.equal(r.severityNumber, 17);
    assert.deepEqual(r.resource, { "service.name": "inventory" });
    assert.deepEqual({ ...r.labels }, { source: "zipkin", kind: "span", service: "inventory" });
  });

  test("replays the captured OpenTelemetry Zipkin exporter request with microsecond times", async () => {
    const res = await post(`${h.url}/api/v2/spans`, CAPTURED_OTEL_ZIPKIN, H);
    assert.equal(res.status, 202);
    assert.equal(res.text, "");
    const [r] = await byBody("GET /x");
    assert.ok(r);
    assert.equal(r.traceId, "79424a658fdb7c3d6ce29d34fec90a3b");
    assert.equal(r.spanId, "a3b72305e858447a");
    assert.equal(r.timestamp, 1795528740553000000n);
    assert.deepEqual(r.attributes, { "service.name": "svc", "span.kind": "server", "span.status_code": "unset", "span.duration_ns": "90000" });
    assert.equal(r.severityNumber, 9);
  });

  test("replays the captured zipkin-js request (64-bit trace id), gzip-compressed", async () => {
    const res = await post(`${h.url}/api/v2/spans`, gzipSync(CAPTURED_ZIPKIN_JS), { ...H, "content-encoding": "gzip" });
    assert.equal(res.status, 202);
    const [r] = await byBody("get");
    assert.equal(r?.traceId, "0000000000000000e1a322f83d15dc66");
    assert.equal(r?.timestamp, 1795528742221256000n);
    assert.equal(r?.attributes["span.duration_ns"], "18000");
    assert.equal(r?.labels.service, "zsvc");
  });

  test("accepts proto3 ListOfSpans", async () => {
    const endpoint = new ProtoWriter()
      .stringField(1, "proto-svc")
      .bytesField(2, Buffer.from([192, 168, 0, 9]))
      .varintField(4, 443)
      .finish();
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(1795528742221256n);
    const w = new ProtoWriter()
      .bytesField(1, Buffer.from("0102030405060708090a0b0c0d0e0f10", "hex"))
      .bytesField(2, Buffer.from("1111111111111111", "hex"))
      .bytesField(3, Buffer.from("2222222222222222", "hex"))
      .varintField(4, 1)
      .stringField(5, "proto span")
      .bytesField(8, endpoint)
      .bytesField(11, new ProtoWriter().stringField(1, "http.method").stringField(2, "POST").finish())
      .varintField(7, 1500);
    const span = Buffer.concat([w.finish(), Buffer.from([0x31]), ts]); // field 6, fixed64
    const body = new ProtoWriter().bytesField(1, span).finish();
    const res = await post(`${h.url}/api/v2/spans`, body, { ...H, "content-type": "application/x-protobuf" });
    assert.equal(res.status, 202, res.text);
    const [r] = await byBody("proto span");
    assert.ok(r);
    assert.equal(r.traceId, "0102030405060708090a0b0c0d0e0f10");
    assert.equal(r.spanId, "2222222222222222");
    assert.equal(r.attributes["span.parent_id"], "1111111111111111");
    assert.equal(r.attributes["span.kind"], "client");
    assert.equal(r.attributes["span.duration_ns"], "1500000");
    assert.equal(r.attributes["http.method"], "POST");
    assert.equal(r.attributes["zipkin.local_endpoint.ipv4"], "192.168.0.9");
    assert.equal(r.timestamp, 1795528742221256000n);
    assert.equal(r.labels.service, "proto-svc");
  });

  const bad: [string, string, string, RegExp][] = [
    ["the v1 endpoint", "/api/v1/spans", "[]", /only|not accepted/],
    [
      "v1 spans with annotation endpoints",
      "/api/v2/spans",
      '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","annotations":[{"timestamp":1,"value":"sr","endpoint":{"serviceName":"a"}}]}]',
      /Zipkin v1/,
    ],
    ["an uppercase kind outside the enum", "/api/v2/spans", '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","kind":"SIDEWAYS"}]', /kind "SIDEWAYS"/],
    ["a span without an id", "/api/v2/spans", '[{"traceId":"e1a322f83d15dc66"}]', /spans\[0\]\.id/],
    [
      "a negative timestamp",
      "/api/v2/spans",
      '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","timestamp":-5}]',
      /timestamp must be a non-negative integer/,
    ],
    ["a port out of range", "/api/v2/spans", '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","localEndpoint":{"port":70000}}]', /port/],
  ];
  for (const [title, path, body, message] of bad) {
    test(`rejects ${title} with 400 and a plain-text reason`, async () => {
      const before = (await h.records()).length;
      const res = await post(h.url + path, body, H);
      assert.equal(res.status, 400);
      assert.match(res.text, message);
      assert.equal((await h.records()).length, before);
    });
  }
});

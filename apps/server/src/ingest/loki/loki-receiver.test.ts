import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import winston from "winston";
import LokiTransport from "winston-loki";
import { compress } from "snappyjs";
import { ProtoWriter } from "../otlp/proto-wire.js";
import { INGEST_TENANT, post, startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { decodePushProto, snappyDecode } from "./loki-push.js";
import { lokiPushRoutes } from "./loki-routes.js";

const basic = (token: string) => `Basic ${Buffer.from(`loki:${token}`).toString("base64")}`;

/** winston-loki 6.1.7 protobuf+snappy push captured on loopback (labels {level="info",app="w"}). */
const CAPTURED_WINSTON_PROTO =
  "556c0a530a217b6c6576656c3d22696e666f222c6170703d2277222c6c761113c07d122e0a0c08a4b096d80610c090ca9e02121e77696e73746f6e2068656c6c6f207b226c6576656c223a22696e666f227d";
/** pino-loki JSON push captured on loopback. */
const CAPTURED_PINO_JSON =
  '{"streams":[{"stream":{"level":"info","hostname":"vm","app":"p"},"values":[["1795528741416000000","{\\"level\\":30,\\"time\\":1795528741416,\\"pid\\":17506,\\"k\\":\\"v\\",\\"msg\\":\\"pino hello\\"}"]]}]}';

/** Encodes a logproto.PushRequest with our own writer (independent of the decoder under test). */
function pushRequest(streams: { labels: string; entries: { seconds: bigint; nanos: number; line: string; meta?: [string, string][] }[] }[]): Buffer {
  const w = new ProtoWriter();
  for (const s of streams) {
    const sw = new ProtoWriter().stringField(1, s.labels);
    for (const e of s.entries) {
      const ts = new ProtoWriter().varintField(1, e.seconds).varintField(2, e.nanos).finish();
      const ew = new ProtoWriter().bytesField(1, ts).stringField(2, e.line);
      for (const [n, v] of e.meta ?? []) ew.bytesField(3, new ProtoWriter().stringField(1, n).stringField(2, v).finish());
      sw.bytesField(2, ew.finish());
    }
    w.bytesField(1, sw.finish());
  }
  return Buffer.from(compress(w.finish()));
}

describe("Loki push receiver", () => {
  let h: ReceiverHarness;
  let url: string;
  before(async () => {
    h = await startReceiverHarness([lokiPushRoutes]);
    url = `${h.url}/loki/api/v1/push`;
  });
  after(async () => {
    await h.close();
  });

  test("decodes the captured winston-loki protobuf+snappy request field by field", () => {
    const streams = decodePushProto(snappyDecode(Buffer.from(CAPTURED_WINSTON_PROTO, "hex"), 1 << 20, () => new Error("too large")));
    assert.equal(streams.length, 1);
    assert.equal(streams[0]?.labels, '{level="info",app="w",lvl="info"}');
    assert.equal(streams[0]?.entries.length, 1);
    assert.equal(streams[0]?.entries[0]?.line, 'winston hello {"level":"info"}');
    assert.equal(streams[0]?.entries[0]?.timestampNs, 1795528740601000000n);
    assert.deepEqual(streams[0]?.entries[0]?.metadata, {});
  });

  test("stores records from a real winston-loki transport (protobuf + snappy) with labels, body and millisecond timestamp", async () => {
    const transport = new LokiTransport({
      host: h.url,
      basicAuth: `loki:${TOKENS.ingest}`,
      labels: { app: "winston-test" },
      batching: false,
      json: false,
      replaceTimestamp: false,
      onConnectionError: (e) => assert.fail(String(e)),
    });
    const logger = winston.createLogger({ transports: [transport] });
    logger.warn({ message: "disk almost full", timestamp: "2026-01-02T03:04:05.678Z", disk: "/var" });
    await transport.flush();
    const got = (await h.records()).filter((r) => r.labels.app === "winston-test");
    assert.equal(got.length, 1);
    const r = got[0]!;
    assert.deepEqual({ ...r.labels }, { app: "winston-test", level: "warn", source: "loki" });
    assert.equal(r.body, 'disk almost full {"disk":"/var","level":"warn"}');
    assert.equal(r.timestamp, BigInt(Date.parse("2026-01-02T03:04:05.678Z")) * 1_000_000n);
    assert.equal(r.severityNumber, 13);
    assert.equal(r.tenant, INGEST_TENANT);
    logger.close();
  });

  test("stores records from winston-loki in JSON mode", async () => {
    const transport = new LokiTransport({
      host: h.url,
      basicAuth: `loki:${TOKENS.ingest}`,
      labels: { app: "winston-json" },
      batching: false,
      json: true,
      replaceTimestamp: false,
      onConnectionError: (e) => assert.fail(String(e)),
    });
    const logger = winston.createLogger({ transports: [transport] });
    logger.error({ message: "json mode", timestamp: "2026-01-02T03:04:05.001Z" });
    await transport.flush();
    const got = (await h.records()).filter((r) => r.labels.app === "winston-json");
    assert.equal(got.length, 1);
    assert.equal(got[0]?.body, 'json mode {"level":"error"}');
    assert.equal(got[0]?.labels.level, "error");
    assert.equal(got[0]?.timestamp, BigInt(Date.parse("2026-01-02T03:04:05.001Z")) * 1_000_000n);
    logger.close();
  });

  test("keeps nanosecond timestamps and structured metadata from protobuf pushes", async () => {
    const body = pushRequest([
      {
        labels: '{app="nano", env="prod"}',
        entries: [
          {
            seconds: 1_795_528_740n,
            nanos: 123_456_789,
            line: "precise",
            meta: [
              ["trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"],
              ["user", "u1"],
            ],
          },
        ],
      },
    ]);
    const res = await post(url, body, { "content-type": "application/x-protobuf", authorization: basic(TOKENS.ingest) });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, "");
    const r = (await h.records()).find((x) => x.labels.app === "nano");
    assert.ok(r);
    assert.equal(r.timestamp, 1_795_528_740_123_456_789n);
    assert.deepEqual(r.attributes, { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", user: "u1" });
    assert.deepEqual({ ...r.labels }, { app: "nano", env: "prod", source: "loki" });
  });

  test("accepts the captured pino-loki JSON push, gzip-compressed, with structured metadata in a third element", async () => {
    let res = await post(url, gzipSync(CAPTURED_PINO_JSON), {
      "content-type": "application/json",
      "content-encoding": "gzip",
      authorization: `Bearer ${TOKENS.ingest}`,
    });
    assert.equal(res.status, 204, res.text);
    const pino = (await h.records()).find((x) => x.labels.app === "p");
    assert.ok(pino);
    assert.equal(pino.timestamp, 1795528741416000000n);
    assert.equal(pino.body, '{"level":30,"time":1795528741416,"pid":17506,"k":"v","msg":"pino hello"}');
    assert.deepEqual({ ...pino.labels }, { app: "p", hostname: "vm", level: "info", source: "loki" });
    res = await post(url, JSON.stringify({ streams: [{ stream: { app: "sm" }, values: [["1795528741416000001", "with meta", { pod: "p-1" }]] }] }), {
      "content-type": "application/json",
      authorization: `Bearer ${TOKENS.ingest}`,
    });
    assert.equal(res.status, 204, res.text);
    const sm = (await h.records()).find((x) => x.labels.app === "sm");
    assert.deepEqual(sm?.attributes, { pod: "p-1" });
    assert.equal(sm?.timestamp, 1795528741416000001n);
  });

  test("keeps a sender-set source label instead of overriding it", async () => {
    const res = await post(url, JSON.stringify({ streams: [{ stream: { app: "own", source: "promtail" }, values: [["1795528741416000000", "x"]] }] }), {
      "content-type": "application/json",
      authorization: `Bearer ${TOKENS.ingest}`,
    });
    assert.equal(res.status, 204);
    assert.equal((await h.records()).find((x) => x.labels.app === "own")?.labels.source, "promtail");
  });

  test("stores the valid streams of a push and answers 400 in plain text naming the rejected ones", async () => {
    const body = pushRequest([
      { labels: '{app="good"}', entries: [{ seconds: 1_795_528_740n, nanos: 0, line: "ok line" }] },
      { labels: '{app="bad"', entries: [{ seconds: 1_795_528_740n, nanos: 0, line: "lost" }] },
    ]);
    const res = await post(url, body, { "content-type": "application/x-protobuf", authorization: `Bearer ${TOKENS.ingest}` });
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(res.text, /1 of 2 entries rejected:\nstream 1: error parsing labels/);
    assert.equal((await h.records()).filter((x) => x.labels.app === "good").length, 1);
  });

  test("rejects lines over ingest.maxLineBytes individually", async () => {
    const long = "x".repeat(h.ctx.config.ingest.maxLineBytes + 1);
    const res = await post(
      url,
      JSON.stringify({
        streams: [
          {
            stream: { app: "long" },
            values: [
              ["1795528741416000000", long],
              ["1795528741416000001", "short"],
            ],
          },
        ],
      }),
      { "content-type": "application/json", authorization: `Bearer ${TOKENS.ingest}` },
    );
    assert.equal(res.status, 400);
    assert.match(res.text, /stream 0 entry 0: line is \d+ bytes, the limit is/);
    assert.deepEqual(
      (await h.records()).filter((x) => x.labels.app === "long").map((r) => r.body),
      ["short"],
    );
  });

  const hostile: [string, Buffer, number, RegExp][] = [
    ["a snappy preamble claiming 3 GiB", Buffer.from([0x80, 0x80, 0x80, 0x80, 0x0c, 0x00]), 413, /after snappy/],
    ["valid snappy around bytes that are not protobuf", Buffer.from(compress(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))), 400, /logproto\.PushRequest/],
    [
      "a stream without labels",
      Buffer.from(compress(new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(2, Buffer.alloc(0)).finish()).finish())),
      400,
      /labels are missing/,
    ],
    ["a timestamp with negative nanos", pushRequest([{ labels: '{a="b"}', entries: [{ seconds: 1n, nanos: -5, line: "x" }] }]), 400, /nanos/],
    [
      "a truncated snappy block",
      pushRequest([{ labels: '{a="b"}', entries: [{ seconds: 1n, nanos: 0, line: "hello world hello world" }] }]).subarray(0, 12),
      400,
      /snappy/,
    ],
  ];
  for (const [title, body, status, message] of hostile) {
    test(`rejects ${title} with ${status}`, async () => {
      const before = (await h.records()).length;
      const res = await post(url, body, { "content-type": "application/x-protobuf", authorization: `Bearer ${TOKENS.ingest}` });
      assert.equal(res.status, status, res.text);
      assert.match(res.text, message);
      assert.equal((await h.records()).length, before);
    });
  }

  test("also serves the legacy /api/prom/push path", async () => {
    const res = await post(
      `${h.url}/api/prom/push`,
      pushRequest([{ labels: '{app="legacy"}', entries: [{ seconds: 1_795_528_740n, nanos: 1, line: "old path" }] }]),
      { "content-type": "application/x-protobuf", authorization: `Bearer ${TOKENS.ingest}` },
    );
    assert.equal(res.status, 204);
    assert.equal((await h.records()).find((x) => x.labels.app === "legacy")?.body, "old path");
  });
});

// Bus message codec: round trips, splitting to the message limit, and malformed, truncated, oversized and hostile frames.

import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { decodeBusBatch, encodeBusBatch, encodeBusBatches } from "./bus-batch-codec.js";

function rec(i: number, service: string, extra: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: 1_700_000_000_000_000_000n + BigInt(i),
    observedTimestamp: 1_700_000_000_000_000_500n + BigInt(i),
    severityNumber: 9,
    severityText: "INFO",
    body: `line ${i} of ${service}`,
    attributes: { i: String(i) },
    resource: { "service.name": service },
    traceId: "",
    spanId: "",
    tenant: "acme",
    labels: { service, source: "native" },
    ...extra,
  };
}

function isCorrupt(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof MeshlogError && err.code === "BUS_MESSAGE_CORRUPT";
  }
}

/** Builds a frame around an arbitrary payload with a correct length and CRC (so only the content is hostile). */
function frameOf(payload: Buffer): Buffer {
  const f = Buffer.alloc(12 + payload.length);
  f.writeUInt32LE(0x314d5746, 0);
  f.writeUInt32LE(payload.length, 4);
  payload.copy(f, 12);
  f.writeUInt32LE(crc32(f.subarray(12), crc32(f.subarray(4, 8))), 8);
  return f;
}

test("a batch round-trips with every field, keeping the order of each stream", () => {
  const recs = [
    rec(1, "api"),
    rec(2, "db"),
    rec(3, "api", { body: "ünïcode \u{1F600}\nsecond line", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" }),
    rec(4, "db", { labels: { source: "native", service: "db" } }),
    rec(5, "api", { body: "", attributes: {}, resource: {} }),
  ];
  const got = decodeBusBatch(encodeBusBatch("acme", recs));
  assert.equal(got.tenant, "acme");
  assert.equal(got.records.length, 5);
  const api = got.records.filter((r) => r.labels.service === "api");
  assert.deepEqual(api, [recs[0], recs[2], recs[4]]);
  assert.deepEqual(
    got.records.filter((r) => r.labels.service === "db").map((r) => r.body),
    ["line 2 of db", "line 4 of db"],
    "label sets equal up to key order are one stream",
  );
});

test("records of another tenant field are carried as the batch's tenant", () => {
  const got = decodeBusBatch(encodeBusBatch("acme", [rec(1, "api", { tenant: "other" })]));
  assert.equal(got.records[0]?.tenant, "acme");
});

test("a large batch is split into messages under the limit, losing nothing and keeping order", () => {
  const recs = Array.from({ length: 3000 }, (_, i) => rec(i, i % 3 === 0 ? "api" : "db", { body: `${"x".repeat(i % 200)} ${i}` }));
  const frames = encodeBusBatches("acme", recs, 64 * 1024);
  assert.ok(frames.length > 1);
  for (const f of frames) assert.ok(f.length <= 64 * 1024, `frame of ${f.length} bytes`);
  const back = frames.flatMap((f) => decodeBusBatch(f).records);
  for (const service of ["api", "db"]) {
    assert.deepEqual(
      back.filter((r) => r.labels.service === service).map((r) => r.body),
      recs.filter((r) => r.labels.service === service).map((r) => r.body),
    );
  }
  assert.equal(encodeBusBatches("acme", recs.slice(0, 10), 64 * 1024).length, 1, "a small batch is one message");
  assert.deepEqual(encodeBusBatches("acme", [], 64 * 1024), []);
});

test("a record larger than the message limit is refused with BUS_RECORD_TOO_LARGE", () => {
  assert.throws(
    () => encodeBusBatches("acme", [rec(1, "api"), rec(2, "api", { body: "y".repeat(20_000) })], 8192),
    (e: unknown) => e instanceof MeshlogError && e.code === "BUS_RECORD_TOO_LARGE" && /bus.maxBatchBytes/.test(e.message),
  );
});

test("every truncation of a frame is reported as corrupt, never decoded", () => {
  const frame = encodeBusBatch("acme", [rec(1, "api"), rec(2, "db")]);
  for (let n = 0; n < frame.length; n++)
    assert.ok(
      isCorrupt(() => decodeBusBatch(frame.subarray(0, n))),
      `prefix of ${n} bytes`,
    );
  assert.ok(
    isCorrupt(() => decodeBusBatch(Buffer.concat([frame, Buffer.from([0])]))),
    "a trailing byte",
  );
});

test("flipped bits, bad markers and wrong lengths are reported as corrupt", () => {
  const frame = encodeBusBatch("acme", [rec(1, "api")]);
  for (let i = 0; i < frame.length; i += 7) {
    const bad = Buffer.from(frame);
    bad[i] = (bad[i] as number) ^ 0x10;
    assert.ok(
      isCorrupt(() => decodeBusBatch(bad)),
      `bit flip at byte ${i}`,
    );
  }
  assert.ok(isCorrupt(() => decodeBusBatch(Buffer.from("not a frame at all, just text"))));
});

test("hostile payloads with a valid CRC are rejected without crashing or allocating wildly", () => {
  const huge = Buffer.alloc(32);
  huge.writeBigInt64LE(0n, 0);
  huge[8] = 4; // tenant length 4
  huge.write("acme", 9);
  huge[13] = 0xff; // stream count varint: many streams
  huge[14] = 0xff;
  huge[15] = 0xff;
  huge[16] = 0x7f;
  assert.ok(
    isCorrupt(() => decodeBusBatch(frameOf(huge))),
    "a stream count beyond the payload",
  );
  let seed = 7;
  for (let round = 0; round < 300; round++) {
    const p = Buffer.alloc(1 + (round % 64));
    for (let i = 0; i < p.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      p[i] = seed >>> 24;
    }
    const f = frameOf(p);
    try {
      decodeBusBatch(f);
    } catch (err) {
      assert.ok(err instanceof MeshlogError && err.code === "BUS_MESSAGE_CORRUPT", `random payload ${round}: ${String(err)}`);
    }
  }
});

test("a frame naming an invalid tenant is corrupt", () => {
  for (const tenant of ["", "../etc", "a b", "x".repeat(100)]) {
    const f = encodeBusBatch(tenant, [rec(1, "api")]);
    assert.ok(
      isCorrupt(() => decodeBusBatch(f)),
      JSON.stringify(tenant),
    );
  }
});

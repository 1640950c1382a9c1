// WAL record codec tests: the fast writer gives the documented layout for every string and delta shape; decoding is strict.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { ByteWriter } from "../block/byte-writer.js";
import { decodeWalRecords, WalRecordWriter } from "./wal-record-codec.js";
import { decodeWalPayloadSections, encodeWalFrameSections, FRAME_HEADER_SIZE } from "./wal-format.js";

const labels = { service: "api", source: "native" };

/** The layout as storage-format.md writes it, with the general-purpose ByteWriter. */
function reference(records: readonly LogRecord[]): Buffer {
  const w = new ByteWriter(64);
  const map = (m: Record<string, string>): void => {
    const keys = Object.keys(m);
    w.uvarint(keys.length);
    for (const k of keys) {
      w.str(k);
      w.str(m[k] as string);
    }
  };
  for (const r of records) {
    w.i64(r.timestamp);
    w.bigSvarint(r.observedTimestamp - r.timestamp);
    w.u8(r.severityNumber);
    w.str(r.severityText);
    w.str(r.body);
    map(r.attributes);
    map(r.resource);
    w.str(r.traceId);
    w.str(r.spanId);
  }
  return Buffer.from(w.finish());
}

function record(body: string, over: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: 1_700_000_000_000_000_000n,
    observedTimestamp: 1_700_000_000_000_000_500n,
    severityNumber: 9,
    severityText: "INFO",
    body,
    attributes: { k: "v" },
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "t1",
    labels,
    ...over,
  };
}

const encode = (records: readonly LogRecord[]): Buffer => {
  const w = new WalRecordWriter(16);
  for (const r of records) w.record(r);
  return Buffer.from(w.view());
};

test("strings of every length class and script encode exactly as the reference layout and decode back", () => {
  const bodies = [
    "",
    "a",
    "x".repeat(127),
    "x".repeat(128),
    "é",
    "é".repeat(42),
    "é".repeat(43),
    "ü".repeat(64),
    "日本語のログ",
    "😀 emoji",
    "y".repeat(16383),
    "y".repeat(16384),
    "z".repeat(70_000),
  ];
  const records = bodies.map((b, i) => record(b, { attributes: { [`k${i}`]: b.slice(0, 200), "é-key": "ö" } }));
  assert.deepEqual(encode(records), reference(records));
  assert.deepEqual(decodeWalRecords(encode(records), records.length, "t1", labels), records);
});

test("timestamp deltas use the zigzag varint for small, negative and 64-bit-wide values", () => {
  const deltas = [0n, 1n, -1n, 63n, -64n, 2n ** 52n - 1n, -(2n ** 52n) + 1n, 2n ** 52n, -(2n ** 52n), 2n ** 62n, -(2n ** 62n)];
  const records = deltas.map((d) => record("d", { observedTimestamp: 1_000_000_000_000_000_000n + d, timestamp: 1_000_000_000_000_000_000n }));
  assert.deepEqual(encode(records), reference(records));
  assert.deepEqual(decodeWalRecords(encode(records), records.length, "t1", labels), records);
});

test("a __proto__ attribute key survives the round trip as a plain property", () => {
  const attributes = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
  const [back] = decodeWalRecords(encode([record("p", { attributes })]), 1, "t1", labels);
  assert.deepEqual(Object.keys(back?.attributes ?? {}), ["__proto__", "a"]);
  assert.equal(Object.getPrototypeOf(back?.attributes), Object.prototype);
});

test("random records encode as the reference layout and round-trip (property)", () => {
  const str = fc.string({ unit: "binary", maxLength: 300 });
  const rec = fc.record({
    body: str,
    // Records hold plain objects (the dictionaries may come with a null prototype).
    attributes: fc.dictionary(fc.string({ maxLength: 12 }), str, { maxKeys: 5 }).map((d) => ({ ...d })),
    resource: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((d) => ({ ...d })),
    delta: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
    sev: fc.integer({ min: 0, max: 24 }),
  });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 8 }), (xs) => {
      const records = xs.map((x) =>
        record(x.body, { attributes: x.attributes, resource: x.resource, severityNumber: x.sev, observedTimestamp: 1_700_000_000_000_000_000n + x.delta }),
      );
      const bytes = encode(records);
      assert.deepEqual(bytes, reference(records));
      assert.deepEqual(decodeWalRecords(bytes, records.length, "t1", labels), records);
    }),
    { numRuns: 300 },
  );
});

test("frame sections point at each stream's records, on encode and on decode", () => {
  const a = [record("one"), record("two")];
  const b = [record("three", { labels: { service: "db", source: "native" } })];
  const scratch = new WalRecordWriter(16);
  const { frame, sections } = encodeWalFrameSections(
    {
      seq: 7,
      tenant: "t1",
      streams: [
        { labels, records: a },
        { labels: b[0]?.labels ?? {}, records: b },
      ],
    },
    scratch,
  );
  assert.equal(sections.length, 2);
  const [s0, s1] = sections as [readonly [number, number], readonly [number, number]];
  assert.deepEqual(decodeWalRecords(frame.subarray(s0[0], s0[1]), 2, "t1", labels), a);
  const decoded = decodeWalPayloadSections(frame.subarray(FRAME_HEADER_SIZE));
  assert.equal(decoded.batch.seq, 7);
  assert.deepEqual(Buffer.from(decoded.sections[1] as Uint8Array), frame.subarray(s1[0], s1[1]));
  // The scratch writer is reused: a second frame does not disturb the first one's bytes.
  const copy = Buffer.from(frame);
  encodeWalFrameSections({ seq: 8, tenant: "t1", streams: [{ labels, records: [record("other")] }] }, scratch);
  assert.deepEqual(frame, copy);
});

test("malformed, truncated and oversized record bytes are rejected, never half-decoded", () => {
  const good = encode([record("abc"), record("def")]);
  for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeWalRecords(good.subarray(0, cut), 2, "t1", labels));
  assert.throws(() => decodeWalRecords(good, 1, "t1", labels), /bytes left/);
  assert.throws(() => decodeWalRecords(good, 3, "t1", labels));
  assert.throws(() => decodeWalRecords(good, 1_000_000, "t1", labels), /exceeds/);
  const hostile = Buffer.concat([good.subarray(0, 9), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  assert.throws(() => decodeWalRecords(hostile, 1, "t1", labels));
});

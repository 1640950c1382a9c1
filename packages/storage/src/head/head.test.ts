// Head tests: records kept encoded come back exactly, in time order, as snapshots; memory accounting and merges.

import { test } from "node:test";
import assert from "node:assert/strict";
import { recordSize, type LogRecord } from "@meshlog/core";
import { Head, HeadBuffer } from "./head.js";
import { WalRecordWriter } from "../wal/wal-record-codec.js";
import { prng, sampleRecord } from "../engine/sample-records.js";

const labels = { service: "api", source: "native" };
const T0 = 1_700_000_000_000_000_000n;

function records(n: number, seed: number, at = (i: number) => T0 + BigInt(i) * 1000n): LogRecord[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => sampleRecord(rnd, "t1", labels, at(i)));
}

function encoded(rs: readonly LogRecord[]): Uint8Array {
  const w = new WalRecordWriter(64);
  for (const r of rs) w.record(r);
  return Uint8Array.from(w.view());
}

test("records added with or without their encoding come back equal, in arrival order, across many slabs", () => {
  const b = new HeadBuffer("t1", "s1", labels, 0);
  const all: LogRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const rs = records(50, i, (k) => T0 + BigInt(i * 50 + k));
    b.add(rs, i + 1, i % 3 === 0 ? undefined : encoded(rs));
    all.push(...rs);
  }
  assert.equal(b.count, 2000);
  assert.ok(b.encodedBytes > 256 * 1024, "enough bytes to span several slabs");
  assert.deepEqual(b.records(), all);
  assert.equal(
    b.bytes,
    all.reduce((n, r) => n + recordSize(r), 0),
  );
  assert.equal(b.minSeq, 1);
  assert.equal(b.maxSeq, 40);
  assert.deepEqual(b.sortedView(), all);
});

test("snapshots are sorted stably by time and do not see later appends", () => {
  const b = new HeadBuffer("t1", "s1", labels, 0);
  const times = [5n, 3n, 5n, 1n, 3n];
  const rs = times.map((t, i) => ({ ...(records(1, i)[0] as LogRecord), timestamp: T0 + t, observedTimestamp: T0 + t, body: `r${i}` }));
  b.add(rs, 1, encoded(rs));
  assert.equal(b.minTime, T0 + 1n);
  assert.equal(b.maxTime, T0 + 5n);
  const snap = b.snapshot();
  b.add(
    records(3, 9, () => T0),
    2,
  );
  assert.deepEqual(
    snap().map((r) => r.body),
    ["r3", "r1", "r4", "r0", "r2"],
  );
  assert.equal(snap().length, 5, "a snapshot can be read again");
  assert.equal(b.sortedView().length, 8);
});

test("repeated reads of a growing buffer reuse decoded records and never see records past their snapshot", () => {
  const b = new HeadBuffer("t1", "s1", labels, 0);
  const first = records(30, 1);
  b.add(first, 1, encoded(first));
  const early = b.snapshot();
  const a = b.sortedView();
  const more = records(10, 2, (i) => T0 + 1_000_000n + BigInt(i));
  b.add(more, 2, encoded(more));
  const later = b.sortedView();
  assert.equal(later.length, 40);
  assert.equal(later[0], a[0], "the first records were decoded once and are shared");
  assert.deepEqual(later.slice(30), more);
  assert.equal(early().length, 30, "an older snapshot still ends where it was taken");
  assert.deepEqual(b.records(), [...first, ...more]);
});

test("a restored buffer absorbs the newer one: records, order flag, times, sequences and head bytes", () => {
  const head = new Head(() => 0);
  const old = records(10, 1, (i) => T0 + 100n + BigInt(i));
  head.add("t1", "s1", labels, old, 3, encoded(old));
  const detached = head.detach("t1", "s1") as HeadBuffer;
  const newer = records(5, 2, (i) => T0 + BigInt(i));
  head.add("t1", "s1", labels, newer, 4, encoded(newer));
  const bytes = head.bytes;
  head.restore(detached);
  assert.equal(head.bytes, bytes, "restoring moves bytes, it does not add them");
  const [b] = head.buffersOf("t1", "s1");
  assert.equal(b, detached);
  assert.equal(detached.count, 15);
  assert.deepEqual(detached.records(), [...old, ...newer]);
  assert.deepEqual(
    detached.sortedView().map((r) => r.timestamp),
    [...newer, ...old].map((r) => r.timestamp),
  );
  assert.equal(detached.minTime, T0);
  assert.equal(detached.maxSeq, 4);
  assert.equal(head.minUnsealedSeq(), 3);
  head.release(head.detach("t1", "s1") as HeadBuffer);
  assert.equal(head.bytes, 0);
  assert.equal(head.minUnsealedSeq(), undefined);
});

test("encoded() gives a fresh transferable copy each time", () => {
  const b = new HeadBuffer("t1", "s1", labels, 0);
  const rs = records(20, 4);
  b.add(rs, 1, encoded(rs));
  const a = b.encoded();
  structuredClone(a, { transfer: [a.buffer as ArrayBuffer] });
  assert.equal(a.byteLength, 0, "the first copy was transferred away");
  assert.deepEqual(b.records(), rs, "the buffer still holds its bytes");
});

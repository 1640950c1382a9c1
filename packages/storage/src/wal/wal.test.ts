// WAL tests: group commit, torn tails, crashes without fsync, mid-segment corruption, hostile input.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { Wal } from "./wal.js";
import { encodeWalFrame, scanSegment, encodeWalHeader, type WalBatch } from "./wal-format.js";
import { prng, sampleRecord } from "../engine/sample-records.js";

const DIR = "/data/wal";
const QDIR = "/data/wal/quarantine";
const labels = { service: "api", source: "native" };

function records(n: number, seed: number): LogRecord[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => sampleRecord(rnd, "t1", labels, 1_700_000_000_000_000_000n + BigInt(i) * 1000n));
}

async function openWal(fs: FaultyFileSystem): Promise<{ wal: Wal; batches: WalBatch[]; report: Awaited<ReturnType<typeof Wal.open>>["report"] }> {
  const batches: WalBatch[] = [];
  const { wal, report } = await Wal.open({ fs, dir: DIR, quarantineDir: QDIR, nowMs: () => 1 }, (b) => batches.push(b));
  return { wal, batches, report };
}

test("concurrent appends share fsyncs and all replay in sequence order", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await openWal(fs);
  const before = fs.counts.syncs;
  const order: number[] = [];
  const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append("t1", [{ labels, records: records(3, i) }], (s) => order.push(s))));
  assert.deepEqual(
    seqs,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.deepEqual(order, seqs, "onDurable runs in sequence order");
  assert.ok(fs.counts.syncs - before <= 2, `50 appends used ${fs.counts.syncs - before} fsyncs`);
  await wal.close();
  const again = await openWal(fs);
  assert.equal(again.batches.length, 50);
  assert.deepEqual(
    again.batches.map((b) => b.seq),
    seqs,
  );
  assert.deepEqual(again.batches[7]?.streams[0]?.records, records(3, 7));
  assert.equal(again.report.problems.length, 0);
  assert.equal(again.wal.nextSeq, 51);
  await again.wal.close();
});

test("a torn last frame is truncated at the last valid frame and reported", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await openWal(fs);
  for (let i = 0; i < 3; i++) await wal.append("t1", [{ labels, records: records(2, i) }]);
  const seg = fs.files().find((f) => f.endsWith(".wal")) as string;
  const good = (await fs.readFile(seg)).length;
  const h = await fs.open(seg, "a");
  await h.write(encodeWalFrame({ seq: 4, tenant: "t1", streams: [{ labels, records: records(5, 9) }] }));
  fs.crash({ keepUnsynced: "half" });
  assert.ok((await fs.readFile(seg)).length > good);
  const again = await openWal(fs);
  assert.equal(again.batches.length, 3);
  assert.equal(again.report.problems.length, 1);
  assert.equal(again.report.problems[0]?.kind, "torn-tail");
  assert.equal(again.report.problems[0]?.offset, good);
  assert.equal((await fs.readFile(seg)).length, good, "file truncated to the last valid frame");
  await again.wal.close();
});

test("a crash while an append waits for fsync loses only that unacknowledged append", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await openWal(fs);
  await wal.append("t1", [{ labels, records: records(2, 1) }]);
  fs.pauseSyncs();
  let acked = false;
  const pending = wal.append("t1", [{ labels, records: records(2, 2) }]).then(
    () => (acked = true),
    (e: { code?: string }) => e.code,
  );
  await new Promise((r) => setImmediate(r));
  fs.crash({ keepUnsynced: 0 });
  assert.equal(acked, false);
  assert.equal(await pending, "WAL_WRITE_FAILED", "the dead writer never acknowledges it");
  const again = await openWal(fs);
  assert.deepEqual(
    again.batches.map((b) => b.seq),
    [1],
  );
  assert.equal(again.report.problems.length, 0);
  await again.wal.close();
});

test("corruption in the middle of a segment is reported, quarantined and later frames kept", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await openWal(fs);
  for (let i = 0; i < 5; i++) await wal.append("t1", [{ labels, records: records(2, i) }]);
  await wal.close();
  const seg = fs.files().find((f) => f.endsWith(".wal")) as string;
  const buf = await fs.readFile(seg);
  const second = scanSegment(buf).frames[1];
  assert.ok(second !== undefined);
  fs.flipByte(seg, second.offset + 30);
  const again = await openWal(fs);
  assert.deepEqual(
    again.batches.map((b) => b.seq),
    [1, 3, 4, 5],
  );
  const p = again.report.problems[0];
  assert.equal(p?.kind, "corrupt-frame");
  assert.equal(p?.offset, second.offset);
  assert.ok(
    fs.files().some((f) => f.startsWith(QDIR + "/") && f.includes("corrupt")),
    "a copy is quarantined",
  );
  const rescanned = scanSegment(await fs.readFile(seg));
  assert.equal(rescanned.corruptions.length, 0);
  assert.equal(rescanned.frames.length, 4);
  await again.wal.close();
});

test("a failed write rejects only its batch and the log stays usable", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await openWal(fs);
  await wal.append("t1", [{ labels, records: records(1, 1) }]);
  fs.failSyncs = 1;
  await assert.rejects(wal.append("t1", [{ labels, records: records(1, 2) }]), { code: "WAL_WRITE_FAILED" });
  await wal.append("t1", [{ labels, records: records(1, 3) }]);
  await wal.close();
  const again = await openWal(fs);
  assert.deepEqual(
    again.batches.map((b) => b.seq),
    [1, 3],
  );
  assert.equal(again.report.problems.length, 0);
  await again.wal.close();
});

test("segments are rotated and removed only once their sequences are sealed", async () => {
  const fs = new FaultyFileSystem();
  const { wal } = await Wal.open({ fs, dir: DIR, quarantineDir: QDIR, segmentMaxBytes: 2000 }, () => {});
  for (let i = 0; i < 10; i++) await wal.append("t1", [{ labels, records: records(3, i) }]);
  const segs = wal.segments();
  assert.ok(segs.length >= 3, `expected rotation, got ${segs.length} segments`);
  assert.deepEqual(await wal.removeSealed(0), segs[0] === undefined ? [] : await wal.removeSealed(0));
  const removed = await wal.removeSealed(4);
  assert.ok(removed.length >= 1);
  const left: WalBatch[] = [];
  await wal.close();
  await Wal.open({ fs, dir: DIR, quarantineDir: QDIR }, (b) => left.push(b)).then((r) => r.wal.close());
  assert.ok(left.every((b) => b.seq > 0) && left.some((b) => b.seq === 10));
  assert.ok(left.length < 10 && left.length >= 6, `replayed ${left.length}`);
});

test("scanning hostile bytes never throws and never yields a frame that fails its CRC", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (junk, withHeader) => {
      const buf = withHeader ? Buffer.concat([encodeWalHeader(), junk]) : Buffer.from(junk);
      const s = scanSegment(buf);
      if (!withHeader) assert.ok(s.headerProblem !== undefined || s.frames.length === 0);
      assert.ok(s.validEnd <= buf.length);
    }),
    { numRuns: 300 },
  );
  const frame = encodeWalFrame({ seq: 1, tenant: "t", streams: [{ labels, records: records(1, 1) }] });
  for (const cut of [1, 11, 12, frame.length - 1]) {
    const s = scanSegment(Buffer.concat([encodeWalHeader(), frame.subarray(0, cut)]));
    assert.equal(s.frames.length, 0);
    assert.equal(s.tornTail?.kind, "torn-tail");
  }
  const huge = Buffer.from(frame);
  huge.writeUInt32LE(0xffffffff, 4);
  assert.equal(scanSegment(Buffer.concat([encodeWalHeader(), huge])).frames.length, 0);
  assert.match(scanSegment(Buffer.from("MLOGWAL\0\x09\x00\x00\x00", "latin1")).headerProblem?.message ?? "", /version 9/);
});

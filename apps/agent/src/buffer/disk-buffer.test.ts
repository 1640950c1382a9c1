// Tests for the disk buffer: ordering, per-reader cursors, restart recovery, torn frames, size cap policies.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger, type LogRecord } from "@meshlog/core";
import { CheckpointStore } from "../checkpoints/checkpoint-store.js";
import { M, Metrics } from "../runtime/metrics.js";
import { DiskBuffer, type DiskBufferOptions } from "./disk-buffer.js";
import { checkFrame, encodeFrame, segmentFileName } from "./segment-file.js";
import { decodeRecord, encodeRecord } from "./record-codec.js";

const rec = (body: string): LogRecord => ({
  timestamp: 1_700_000_000_000_000_001n,
  observedTimestamp: 2n,
  severityNumber: 9,
  severityText: "info",
  body,
  attributes: { a: "1" },
  resource: { "host.name": "h" },
  traceId: "",
  spanId: "",
  tenant: "t",
  labels: { source: "agent" },
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-buf-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openBuffer(dir: string, over: Partial<DiskBufferOptions> = {}): Promise<{ buf: DiskBuffer; cps: CheckpointStore; metrics: Metrics }> {
  const cps = await CheckpointStore.load(dir);
  const metrics = new Metrics();
  const buf = await DiskBuffer.open({
    dir: join(dir, "buffer"),
    maxBytes: 1 << 20,
    segmentBytes: 4096,
    whenFull: "block",
    sync: false,
    readers: ["a", "b"],
    checkpoints: cps,
    logger: silentLogger,
    metrics,
    ...over,
  });
  return { buf, cps, metrics };
}

async function drain(buf: DiskBuffer, reader: string, max = 7): Promise<string[]> {
  const out: string[] = [];
  for (let b = await buf.read(reader, max); b !== undefined; b = await buf.read(reader, max)) {
    out.push(...b.records.map((r) => r.body));
    await buf.ack(reader, b);
  }
  return out;
}

test("the record codec round-trips every field, bigint timestamps included", () => {
  const r = rec("x\ny\u0000é");
  assert.deepEqual(decodeRecord(JSON.parse(JSON.stringify(encodeRecord(r)))), r);
});

test("frames detect truncation, bit flips and absurd lengths", () => {
  const f = encodeFrame(Buffer.from("hello"));
  assert.equal(checkFrame(f, 0).ok, true);
  assert.equal(checkFrame(f.subarray(0, 10), 0).ok, false);
  const flipped = Buffer.from(f);
  flipped[9] = (flipped[9] ?? 0) ^ 1;
  assert.deepEqual(checkFrame(flipped, 0), { ok: false, reason: "checksum mismatch" });
  const huge = Buffer.from(f);
  huge.writeUInt32BE(0xffffffff, 0);
  assert.equal(checkFrame(huge, 0).ok, false);
});

test("each reader gets every record once, in order, across segment rolls", async () => {
  await withDir(async (dir) => {
    const { buf } = await openBuffer(dir);
    const bodies = Array.from({ length: 300 }, (_, i) => `line-${i}-${"z".repeat(40)}`);
    for (let i = 0; i < bodies.length; i += 10) await buf.write(bodies.slice(i, i + 10).map(rec));
    assert.deepEqual(await drain(buf, "a"), bodies);
    assert.deepEqual(await drain(buf, "b", 1000), bodies);
    const segs = (await readdir(join(dir, "buffer"))).filter((n) => n.endsWith(".seg"));
    assert.equal(segs.length, 1, "consumed segments are deleted");
    await buf.close();
  });
});

test("unacknowledged records and checkpoints survive a restart; acknowledged ones are not replayed", async () => {
  await withDir(async (dir) => {
    const first = await openBuffer(dir);
    await first.buf.write(["r1", "r2"].map(rec), { "src/k": { offset: 10 } });
    await first.buf.write(["r3"].map(rec), { "src/k": { offset: 20 } });
    const b = await first.buf.read("a", 2);
    assert.ok(b);
    await first.buf.ack("a", b);
    // no close(): simulates a crash; checkpoints.json was never written after the writes
    const second = await openBuffer(dir);
    assert.deepEqual(second.cps.get("src/k"), { offset: 20 }, "checkpoint recovered from the buffer frames");
    assert.deepEqual(await drain(second.buf, "a"), ["r3"]);
    assert.deepEqual(await drain(second.buf, "b"), ["r1", "r2", "r3"]);
    await second.buf.close();
    await first.buf.close();
  });
});

test("a torn tail is truncated at the last valid frame, kept aside and counted", async () => {
  await withDir(async (dir) => {
    const first = await openBuffer(dir);
    await first.buf.write(["ok1"].map(rec), { "s/x": 1 });
    await first.buf.close();
    const seg = join(dir, "buffer", segmentFileName(1));
    await appendFile(seg, encodeFrame(Buffer.from('{"s":99,"c":{"s/x":2}}\n[]')).subarray(0, 12));
    const second = await openBuffer(dir);
    assert.equal(second.metrics.get(M.bufferCorrupt[0]), 1);
    assert.equal(second.cps.get("s/x"), 1, "the torn frame's checkpoint is not applied");
    assert.deepEqual(await drain(second.buf, "a"), ["ok1"]);
    assert.ok((await readdir(join(dir, "buffer"))).some((n) => n.includes(".corrupt")));
    await second.buf.write(["after"].map(rec));
    assert.deepEqual(await drain(second.buf, "a"), ["after"]);
    await second.buf.close();
  });
});

test("a segment with a foreign header is quarantined, not read", async () => {
  await withDir(async (dir) => {
    const first = await openBuffer(dir);
    await first.buf.close();
    await writeFile(join(dir, "buffer", segmentFileName(7)), "not a segment at all");
    const second = await openBuffer(dir);
    assert.equal(second.metrics.get(M.bufferCorrupt[0]), 1);
    assert.ok((await readdir(join(dir, "buffer"))).includes(`${segmentFileName(7)}.corrupt`));
    await second.buf.close();
  });
});

test("block policy: a write waits while the buffer is full and continues once a reader frees space", async () => {
  await withDir(async (dir) => {
    const { buf, metrics } = await openBuffer(dir, { maxBytes: 16 * 1024, segmentBytes: 2048, readers: ["a"] });
    const big = "q".repeat(500);
    let i = 0;
    while (!buf.isFull()) await buf.write([rec(`${i++}${big}`)]);
    let done = false;
    const pending = buf.write([rec("last")]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, "the write waits");
    assert.equal(metrics.get(M.bufferBlocked[0]), 1);
    const got = await drain(buf, "a", 5);
    await pending;
    got.push(...(await drain(buf, "a", 5)));
    assert.equal(got.length, i + 1);
    assert.equal(got.at(-1), "last");
    await buf.close();
  });
});

test("drop_oldest: a full buffer drops its oldest segment and counts the records", async () => {
  await withDir(async (dir) => {
    const { buf, metrics } = await openBuffer(dir, { maxBytes: 16 * 1024, segmentBytes: 2048, readers: ["a"], whenFull: "drop_oldest" });
    for (let i = 0; i < 200; i++) await buf.write([rec(`${String(i).padStart(3, "0")}${"q".repeat(300)}`)]);
    const dropped = metrics.get(M.bufferDropped[0]);
    const got = await drain(buf, "a", 50);
    assert.ok(dropped > 0);
    assert.equal(got.length + dropped, 200, "kept + dropped = written");
    assert.equal(got[0]?.slice(0, 3), String(dropped).padStart(3, "0"), "the oldest are the dropped ones");
    await buf.close();
  });
});

test("writes after close are refused with a clear error", async () => {
  await withDir(async (dir) => {
    const { buf } = await openBuffer(dir);
    await buf.close();
    await assert.rejects(buf.write([rec("x")]), /AGENT_BUFFER_CLOSED|closed/);
  });
});

test("a read is bounded by bytes too, but always returns at least one record", async () => {
  await withDir(async (dir) => {
    const { buf } = await openBuffer(dir, { readers: ["a"] });
    await buf.write(["x".repeat(1000), "y".repeat(1000), "z"].map(rec));
    const b1 = await buf.read("a", 100, 10);
    assert.deepEqual(
      b1?.records.map((r) => r.body[0]),
      ["x"],
    );
    if (b1 !== undefined) await buf.ack("a", b1);
    const b2 = await buf.read("a", 100, 1500);
    assert.deepEqual(
      b2?.records.map((r) => r.body[0]),
      ["y", "z"].slice(0, b2?.records.length),
    );
    assert.ok(b2 !== undefined && b2.records.length >= 1);
    await buf.close();
  });
});

// BatchWriter: ordering, batching, pausing the source, retrying pushed-back writes, rejections and UDP drops.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, silentLogger, type LogRecord } from "@meshlog/core";
import "@meshlog/storage";
import { BatchWriter, type BatchOutcome } from "./batch-writer.js";

const rec = (body: string): LogRecord => ({
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 0,
  severityText: "",
  body,
  attributes: {},
  resource: {},
  traceId: "",
  spanId: "",
  tenant: "t",
  labels: { source: "native" },
});

describe("BatchWriter", () => {
  it("writes in order, batching what arrives during a write, and reports each batch once", async () => {
    const writes: string[][] = [];
    let release: () => void = () => {};
    let first = true;
    const w = new BatchWriter({
      write: async (rs) => {
        writes.push(rs.map((r) => r.body));
        if (first) {
          first = false;
          await new Promise<void>((r) => (release = r));
        }
      },
      log: silentLogger,
      highWaterRecords: 100,
      maxRetryMs: 1000,
    });
    const outcomes: [string, BatchOutcome][] = [];
    w.push([rec("a")], (o) => outcomes.push(["a", o]));
    w.push([rec("b")], (o) => outcomes.push(["b", o]));
    w.push([rec("c"), rec("d")], (o) => outcomes.push(["c", o]));
    release();
    await w.idle();
    assert.deepEqual(writes, [["a"], ["b", "c", "d"]]);
    assert.deepEqual(outcomes, [
      ["a", "stored"],
      ["b", "stored"],
      ["c", "stored"],
    ]);
  });

  it("pauses the source at the high-water mark and while retrying, and resumes after", async () => {
    const events: string[] = [];
    let fails = 2;
    const w = new BatchWriter({
      write: async () => {
        if (fails-- > 0) throw new MeshlogError("STORAGE_BACKPRESSURE", "full", { details: { retryAfterSeconds: 0.001 } });
      },
      pause: () => events.push("pause"),
      resume: () => events.push("resume"),
      log: silentLogger,
      highWaterRecords: 2,
      maxRetryMs: 10_000,
      sleep: async () => {},
    });
    let outcome: BatchOutcome | undefined;
    w.push([rec("a"), rec("b")], (o) => (outcome = o));
    await w.idle();
    assert.equal(outcome, "stored");
    assert.deepEqual(events, ["pause", "resume"]);
  });

  it("fails a batch whose retries exceed maxRetryMs, and rejects invalid data without retrying", async () => {
    let calls = 0;
    const w = new BatchWriter({
      write: async () => {
        calls++;
        throw new MeshlogError("STORAGE_BACKPRESSURE", "full");
      },
      log: silentLogger,
      highWaterRecords: 10,
      maxRetryMs: 0,
      sleep: async () => {},
    });
    const got: BatchOutcome[] = [];
    w.push([rec("a")], (o) => got.push(o));
    await w.idle();
    assert.deepEqual(got, ["failed"]);
    assert.equal(calls, 1);
    const bad = new BatchWriter({
      write: async () => {
        calls++;
        throw new MeshlogError("RECORD_INVALID", "bad record");
      },
      log: silentLogger,
      highWaterRecords: 10,
      maxRetryMs: 10_000,
    });
    bad.push([rec("a")], (o) => got.push(o));
    await bad.idle();
    assert.deepEqual(got, ["failed", "rejected"]);
    assert.equal(calls, 2);
  });

  it("stops an endless retry when closed: the batch fails instead of blocking shutdown", async () => {
    const w = new BatchWriter({
      write: async () => {
        throw new MeshlogError("STORAGE_BACKPRESSURE", "full", { details: { retryAfterSeconds: 3600 } });
      },
      log: silentLogger,
      highWaterRecords: 10,
      maxRetryMs: Number.POSITIVE_INFINITY,
      sleep: () => new Promise(() => {}),
    });
    const got: BatchOutcome[] = [];
    w.push([rec("a")], (o) => got.push(o));
    await new Promise((r) => setImmediate(r));
    await w.close();
    assert.deepEqual(got, ["failed"]);
  });

  it("drops pushes beyond the high-water mark in dropWhenFull mode (UDP)", async () => {
    let release: () => void = () => {};
    const w = new BatchWriter({
      write: () => new Promise<void>((r) => (release = r)),
      log: silentLogger,
      highWaterRecords: 3,
      dropWhenFull: true,
      maxRetryMs: 0,
    });
    assert.equal(w.push([rec("a"), rec("b")]), true);
    assert.equal(w.push([rec("c")]), true);
    assert.equal(w.push([rec("d")]), false);
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await w.idle();
    assert.equal(w.pendingRecords, 0);
  });
});

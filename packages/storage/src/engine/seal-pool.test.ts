// Seal pool tests: WAL-encoded records sealed on a worker or on the calling thread give the same, time-ordered block.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { silentLogger, type LogRecord } from "@meshlog/core";
import { openBlock, plaintextRootOf, type SealInput } from "../block/block-codec.js";
import { parseBlockHeader } from "../block/block-format.js";
import { WalRecordWriter } from "../wal/wal-record-codec.js";
import { blockCipher } from "./block-cipher.js";
import { prng, sampleRecord } from "./sample-records.js";
import { SealPool } from "./seal-pool.js";

const labels = Object.freeze({ service: "api", source: "native" });
const T0 = 1_700_000_000_000_000_000n;

function arrivals(): LogRecord[] {
  const rnd = prng(5);
  // Out of time order, with equal timestamps (their arrival order must be kept) and non-ASCII text.
  const offsets = [30n, 10n, 20n, 10n, 0n, 30n, 5n];
  return offsets.map((o, i) => ({ ...sampleRecord(rnd, "t1", labels, T0 + o), body: `${i} héllo 日本 ${o}` }));
}

function encode(records: readonly LogRecord[]): Uint8Array {
  const w = new WalRecordWriter(64);
  for (const r of records) w.record(r);
  return Uint8Array.from(w.view());
}

function input(dataKey: Buffer): SealInput {
  return {
    blockId: "0000000000000000000001",
    tenant: "t1",
    streamId: "s1",
    labels,
    keyId: "k1",
    dataKey,
    wrappedKey: randomBytes(40),
    retentionClass: "default",
    legalHold: false,
    prevBlockHash: "",
    createdAt: T0,
    walSeqMax: 9,
  };
}

for (const workers of [1, 0]) {
  test(`encoded records sealed ${workers === 0 ? "on the calling thread" : "on a worker"} come back sorted by time, stable, and verify`, async () => {
    const pool = new SealPool(silentLogger, workers);
    try {
      const records = arrivals();
      const key = randomBytes(32);
      const encoded = encode(records);
      const bytes = await pool.sealEncoded(records.length, encoded, input(key));
      if (workers > 0) assert.equal(encoded.byteLength, 0, "the bytes were transferred to the worker, not copied");
      const header = parseBlockHeader(bytes);
      const opened = openBlock(bytes, header, key, blockCipher, true);
      assert.deepEqual(
        opened.records.map((r) => r.body),
        ["4 héllo 日本 0", "6 héllo 日本 5", "1 héllo 日本 10", "3 héllo 日本 10", "2 héllo 日本 20", "0 héllo 日本 30", "5 héllo 日本 30"],
      );
      assert.equal(plaintextRootOf(opened), header.meta.plaintextRoot);
      assert.equal(header.meta.minTime, T0);
      assert.equal(header.meta.maxTime, T0 + 30n);
    } finally {
      await pool.close();
    }
  });
}

test("a record count that does not match the bytes fails the seal instead of writing a short block", async () => {
  const pool = new SealPool(silentLogger, 1);
  try {
    const records = arrivals();
    await assert.rejects(pool.sealEncoded(records.length + 1, encode(records), input(randomBytes(32))));
    await assert.rejects(pool.sealEncoded(records.length - 1, encode(records), input(randomBytes(32))), /bytes left/);
  } finally {
    await pool.close();
  }
});

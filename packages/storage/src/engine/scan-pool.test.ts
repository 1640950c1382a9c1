// Scan workers: the same rows as the calling thread, in order, with limits; damaged blocks still quarantined.

import { test } from "node:test";
import assert from "node:assert/strict";
import { streamIdOf, type LogRecord } from "@meshlog/core";
import { emptySelectStats } from "../contract.js";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { RowNeedles } from "../block/row-match.js";
import { EmbeddedStore } from "./embedded-store.js";
import { MemorySecurity } from "./memory-security.js";
import { prng, sampleRecord } from "./sample-records.js";

const T0 = 1_700_000_000_000_000_000n;
const labels = { service: "api", source: "native" };
const id = streamIdOf("t1", labels);

async function world(): Promise<{ fs: FaultyFileSystem; security: MemorySecurity; records: LogRecord[] }> {
  const fs = new FaultyFileSystem();
  const security = new MemorySecurity();
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, security, sealTimer: false, sealWorker: false, scanWorkers: 0 });
  const rnd = prng(21);
  const records = Array.from({ length: 1200 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 1_000_000n));
  for (let i = 0; i < records.length; i += 200) {
    await store.append("t1", records.slice(i, i + 200));
    await store.flush();
  }
  await store.close();
  return { fs, security, records };
}

async function select(store: EmbeddedStore, needles: string[], direction: "forward" | "backward" = "forward", limit?: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const req = {
    tenant: "t1",
    streamIds: [id],
    start: T0 + 5_000_000n,
    end: T0 * 2n,
    direction,
    requiredSubstrings: needles,
    ...(limit === undefined ? {} : { limit }),
  };
  for await (const b of store.select(req, emptySelectStats())) for (const e of b) out.push(e.record);
  return out;
}

test("scans on worker threads return exactly the rows of the calling thread, in order and within limits", async () => {
  const w = await world();
  const open = (scanWorkers: number) =>
    EmbeddedStore.open({ dataDir: "/data", fs: w.fs, security: w.security, sealTimer: false, sealWorker: false, scanWorkers });
  const main = await open(0);
  const pooled = await open(2);
  try {
    for (const needles of [["status="], ["USER-1"], ["payment authorized"], ["~~~"], ["GET", "/api"]]) {
      const want = await select(main, needles);
      assert.deepEqual(await select(pooled, needles), want, JSON.stringify(needles));
      assert.deepEqual(await select(pooled, needles, "backward", 7), want.slice().reverse().slice(0, 7));
      // Second run: served from the block cache the workers filled.
      assert.deepEqual(await select(pooled, needles), want);
    }
    const rn = new RowNeedles(["status="]);
    const want = w.records.filter((r) => r.timestamp >= T0 + 5_000_000n && rn.matches(r.body, r.traceId, r.spanId, r.attributes, r.resource));
    assert.ok(want.length > 0);
    assert.deepEqual(await select(pooled, ["status="]), want);
  } finally {
    await main.close();
    await pooled.close();
  }
});

test("a damaged block scanned on a worker is quarantined and skipped", async () => {
  const w = await world();
  const store = await EmbeddedStore.open({ dataDir: "/data", fs: w.fs, security: w.security, sealTimer: false, sealWorker: false, scanWorkers: 2 });
  try {
    const blocks = store.catalog("t1")?.stream(id)?.blocks ?? [];
    assert.equal(blocks.length, 6);
    const blk = blocks[2]?.blockId as string;
    const path = store.layout().blockFile("t1", blk);
    w.fs.flipByte(path, (await w.fs.readFile(path)).length - 5);
    const got = await select(store, ["status="]);
    assert.ok(got.length > 0);
    assert.ok(got.every((r) => r.timestamp < T0 + 400_000_000n || r.timestamp >= T0 + 600_000_000n));
    assert.ok(w.fs.files().some((f) => f.includes("/quarantine/") && f.includes(blk)));
    assert.equal((await store.stats("t1")).blocks, 5);
  } finally {
    await store.close();
  }
});

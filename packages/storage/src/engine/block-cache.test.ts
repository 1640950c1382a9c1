// Decrypted-block cache: LRU by bytes, forgetting, and the engine serving repeated queries from it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { streamIdOf, type LogRecord } from "@meshlog/core";
import { emptySelectStats, type SelectStats } from "../contract.js";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import type { BlockMeta } from "../block/block-format.js";
import { BlockCache } from "./block-cache.js";
import { EmbeddedStore } from "./embedded-store.js";
import { MemoryKeyRing, MemorySecurity } from "./memory-security.js";
import { prng, sampleRecord } from "./sample-records.js";

const T0 = 1_700_000_000_000_000_000n;
const labels = { service: "api", source: "native" };
const id = streamIdOf("t1", labels);
const meta = {} as BlockMeta;

test("the cache keeps the most recently used blocks within its byte budget", () => {
  const c = new BlockCache(100);
  const put = (k: string, n: number): void => c.put(k, { meta, plain: Buffer.alloc(n), view: undefined }, n);
  put("t/a/h", 40);
  put("t/b/h", 40);
  assert.ok(c.get("t/a/h") !== undefined); // a is now the most recent
  put("t/c/h", 40); // evicts b
  assert.equal(c.get("t/b/h"), undefined);
  assert.ok(c.get("t/a/h") !== undefined && c.get("t/c/h") !== undefined);
  assert.equal(c.bytes, 80);
  put("t/d/h", 500); // larger than the budget: not cached, nothing evicted
  assert.equal(c.get("t/d/h"), undefined);
  assert.equal(c.size, 2);
  put("t/a/h", 70); // re-sized entry (a view was attached): c is evicted to fit
  assert.equal(c.bytes, 70);
  assert.equal(c.get("t/c/h"), undefined);
  c.forget("t", "a");
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
  const off = new BlockCache(0);
  off.put("t/a/h", { meta, plain: Buffer.alloc(1), view: undefined }, 1);
  assert.equal(off.size, 0);
});

async function filled(security = new MemorySecurity(), cacheBytes?: number): Promise<{ store: EmbeddedStore; records: LogRecord[] }> {
  const store = await EmbeddedStore.open({
    dataDir: "/data",
    fs: new FaultyFileSystem(),
    security,
    sealTimer: false,
    sealWorker: false,
    ...(cacheBytes === undefined ? {} : { blockCacheBytes: cacheBytes }),
  });
  const rnd = prng(4);
  const records = Array.from({ length: 900 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 1_000_000n));
  for (let i = 0; i < records.length; i += 300) {
    await store.append("t1", records.slice(i, i + 300));
    await store.flush();
  }
  return { store, records };
}

async function select(store: EmbeddedStore, needles: string[] = [], stats: SelectStats = emptySelectStats()): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const req = {
    tenant: "t1",
    streamIds: [id],
    start: 0n,
    end: T0 * 2n,
    direction: "forward" as const,
    ...(needles.length > 0 ? { requiredSubstrings: needles } : {}),
  };
  for await (const b of store.select(req, stats)) for (const e of b) out.push(e.record);
  return out;
}

test("repeated queries are served from the cache with the same results, and deleted blocks leave it", async () => {
  const { store, records } = await filled();
  try {
    const cold = emptySelectStats();
    const first = await select(store, ["status="], cold);
    assert.equal(cold.blocksScanned, 3);
    assert.equal(cold.blockCacheHits ?? 0, 0);
    const warm = emptySelectStats();
    assert.deepEqual(await select(store, ["status="], warm), first);
    assert.equal(warm.blockCacheHits, 3);
    assert.deepEqual(await select(store), records);
    assert.ok(first.length > 0 && first.every((r) => r.body.toLowerCase().includes("status=")));
    const blocks = [...(store.catalog("t1")?.blocks() ?? [])];
    await store.deleteBlocks("t1", [blocks[0]?.blockId as string], { reason: "test" });
    const after = emptySelectStats();
    assert.equal((await select(store, [], after)).length, 600);
    assert.equal(after.blocksScanned, 2);
  } finally {
    await store.close();
  }
});

test("a destroyed key makes cached blocks unreadable at once, and a zero-byte cache is off", async () => {
  const security = new MemorySecurity();
  const keyRing: MemoryKeyRing = security.keyRing;
  const { store } = await filled(security);
  try {
    assert.equal((await select(store)).length, 900);
    for (const b of store.catalog("t1")?.blocks() ?? []) keyRing.destroy(b.keyId);
    assert.equal((await select(store)).length, 0);
  } finally {
    await store.close();
  }
  const off = await filled(new MemorySecurity(), 0);
  try {
    await select(off.store);
    const stats = emptySelectStats();
    assert.equal((await select(off.store, [], stats)).length, 900);
    assert.equal(stats.blockCacheHits ?? 0, 0);
  } finally {
    await off.store.close();
  }
});

test("blooms are loaded in the background after open, so needle searches prune without reading blocks", async () => {
  for (const prewarmBlooms of [true, false]) {
    const security = new MemorySecurity();
    const files = new FaultyFileSystem();
    const opts = { dataDir: "/data", fs: files, security, sealTimer: false, sealWorker: false };
    const first = await EmbeddedStore.open(opts);
    const rnd = prng(8);
    await first.append(
      "t1",
      Array.from({ length: 300 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 1_000_000n)),
    );
    await first.flush();
    await first.close();
    const reopened = await EmbeddedStore.open({ ...opts, prewarmBlooms });
    try {
      await reopened.bloomsLoaded();
      // With the files gone, only blooms already in memory can prune.
      for (const b of reopened.catalog("t1")?.blocks() ?? []) await files.unlink(reopened.layout().blockFile("t1", b.blockId));
      const stats = emptySelectStats();
      assert.deepEqual(await select(reopened, ["absent-needle-xyz"], stats), []);
      assert.equal(stats.blocksPrunedByBloom, prewarmBlooms ? 1 : 0);
    } finally {
      await reopened.close();
    }
  }
});

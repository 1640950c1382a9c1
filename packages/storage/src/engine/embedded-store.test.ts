// Engine tests: visibility, ordering, limits, pruning, sealing, restart/replay, backpressure, corruption.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, streamIdOf, type LogRecord } from "@meshlog/core";
import { emptySelectStats, type SelectRequest, type StoredEntry } from "../contract.js";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { Signer } from "../ledger/signer.js";
import { EmbeddedStore, type EmbeddedStoreOptions } from "./embedded-store.js";
import { LedgerAdapter } from "./ledger-adapter.js";
import { MemoryKeyRing } from "./memory-security.js";
import type { SecurityProvider } from "./security-ports.js";
import { prng, sampleRecord } from "./sample-records.js";
import { testRecord } from "@meshlog/testkit";

const T0 = 1_700_000_000_000_000_000n;
const A = { service: "api", source: "native" };
const B = { service: "db", source: "native" };
const idA = streamIdOf("t1", A);
const idB = streamIdOf("t1", B);

/** A test world: one in-memory filesystem and key ring that survive store reopen (like a disk). */
function world(): {
  fs: FaultyFileSystem;
  clock: ManualClock;
  security: SecurityProvider;
  open: (o?: Partial<EmbeddedStoreOptions>) => Promise<EmbeddedStore>;
} {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  const keyRing = new MemoryKeyRing();
  let signer: Promise<Signer> | undefined;
  const security: SecurityProvider = {
    keyRing,
    openLedger: async (tenant, dir) => LedgerAdapter.open(fs, dir, tenant, await (signer ??= Signer.open(fs, "/data/keys")), clock),
  };
  return { fs, clock, security, open: (o = {}) => EmbeddedStore.open({ dataDir: "/data", fs, clock, security, sealTimer: false, ...o }) };
}

const rec = (labels: Record<string, string>, ts: bigint, body: string): LogRecord => testRecord({ labels, timestamp: ts, body, attributes: { k: "v" } });

async function all(store: EmbeddedStore, req: Partial<SelectRequest> = {}, stats = emptySelectStats()): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  for await (const batch of store.select({ tenant: "t1", streamIds: [idA, idB], start: 0n, end: T0 * 2n, direction: "forward", ...req }, stats))
    out.push(...batch);
  return out;
}

const bodies = (es: readonly StoredEntry[]): string[] => es.map((e) => e.record.body);

test("an appended record is visible to select and tail as soon as append resolves", async () => {
  const w = world();
  const store = await w.open();
  const seen: string[] = [];
  const stop = store.tail("t1", (es) => seen.push(...bodies(es)));
  await store.append("t1", [rec(A, T0 + 1n, "hello")]);
  assert.deepEqual(seen, ["hello"]);
  assert.deepEqual(bodies(await all(store)), ["hello"]);
  stop();
  await store.append("t1", [rec(A, T0 + 2n, "again")]);
  assert.deepEqual(seen, ["hello"]);
  assert.deepEqual(await store.tenants(), ["t1"]);
  await store.close();
});

test("select merges head and blocks of several streams in order, per direction, with limits and ranges", async () => {
  const w = world();
  const store = await w.open();
  await store.append("t1", [rec(A, T0 + 10n, "a10"), rec(B, T0 + 5n, "b5"), rec(A, T0 + 30n, "a30")]);
  await store.flush();
  await store.append("t1", [rec(B, T0 + 20n, "b20"), rec(A, T0 + 1n, "a1-late"), rec(B, T0 + 40n, "b40")]);
  const cases: [Partial<SelectRequest>, string[]][] = [
    [{}, ["a1-late", "b5", "a10", "b20", "a30", "b40"]],
    [{ direction: "backward" }, ["b40", "a30", "b20", "a10", "b5", "a1-late"]],
    [{ limit: 2 }, ["a1-late", "b5"]],
    [{ direction: "backward", limit: 3 }, ["b40", "a30", "b20"]],
    [{ start: T0 + 5n, end: T0 + 30n }, ["b5", "a10", "b20"]],
    [{ streamIds: [idB] }, ["b5", "b20", "b40"]],
    [{ streamIds: ["nope"] }, []],
    [{ start: T0 + 30n, end: T0 + 30n }, []],
  ];
  for (const [req, want] of cases)
    assert.deepEqual(
      bodies(await all(store, req)),
      want,
      JSON.stringify(req, (_, v) => (typeof v === "bigint" ? String(v) : v)),
    );
  const stats = emptySelectStats();
  await all(store, {}, stats);
  assert.equal(stats.blocksTotal, 2);
  assert.equal(stats.blocksScanned, 2);
  assert.equal(stats.headRecordsScanned, 3);
  const streams = await store.streams("t1", 0n, T0 * 2n);
  assert.equal(streams.length, 2);
  assert.equal(streams.find((s) => s.id === idA)?.minTime, T0 + 1n);
  const st = await store.stats("t1");
  assert.equal(st.records, 6);
  assert.equal(st.blocks, 2);
  assert.ok(st.storedBytes > 0);
  await store.close();
});

test("blocks are pruned by time range and by the substring bloom", async () => {
  const w = world();
  const store = await w.open();
  const rnd = prng(1);
  for (let blk = 0; blk < 4; blk++) {
    const rows = Array.from({ length: 300 }, (_, i) => sampleRecord(rnd, "t1", A, T0 + BigInt(blk * 1000 + i)));
    if (blk === 2) rows[17] = { ...rows[17]!, body: "payment failed for order ZX-NEEDLE-9931" };
    await store.append("t1", rows);
    await store.flush();
  }
  const stats = emptySelectStats();
  const found = await all(store, { streamIds: [idA], requiredSubstrings: ["zx-needle-9931"] }, stats);
  assert.ok(bodies(found).includes("payment failed for order ZX-NEEDLE-9931"));
  assert.equal(stats.blocksTotal, 4);
  assert.equal(stats.blocksPrunedByBloom, 3);
  assert.equal(stats.blocksScanned, 1);
  const s2 = emptySelectStats();
  const late = await all(store, { streamIds: [idA], start: T0 + 3000n }, s2);
  assert.equal(late.length, 300);
  assert.equal(s2.blocksPrunedByTime, 3);
  const s3 = emptySelectStats();
  assert.equal((await all(store, { streamIds: [idA], limit: 5 }, s3)).length, 5);
  assert.equal(s3.blocksScanned, 1, "a limited query opens only the blocks it needs");
  await store.close();
});

test("buffers are sealed by size and by age", async () => {
  const w = world();
  const store = await w.open({ sealMaxBytes: 20_000, sealMaxAgeMs: 60_000 });
  const rnd = prng(2);
  await store.append(
    "t1",
    Array.from({ length: 200 }, (_, i) => sampleRecord(rnd, "t1", A, T0 + BigInt(i))),
  );
  await store.sealsIdle();
  assert.equal((await store.stats("t1")).blocks, 1, "size-triggered seal");
  await store.append("t1", [rec(B, T0, "small")]);
  assert.equal(await store.sealDue(), 0);
  w.clock.advance(61_000_000_000n);
  assert.equal(await store.sealDue(), 1);
  assert.equal((await store.stats("t1")).blocks, 2);
  await store.close();
});

test("a restart after a crash replays the WAL without losing or duplicating records", async () => {
  const w = world();
  let store = await w.open();
  await store.append("t1", [rec(A, T0 + 1n, "one"), rec(B, T0 + 2n, "two")]);
  await store.flush();
  await store.append("t1", [rec(A, T0 + 3n, "three")]);
  w.fs.crash();
  store = await w.open();
  assert.deepEqual(bodies(await all(store)), ["one", "two", "three"]);
  assert.equal(store.openReport().wal.problems.length, 0);
  await store.append("t1", [rec(B, T0 + 4n, "four")]);
  await store.close();
  store = await w.open();
  assert.deepEqual(bodies(await all(store)), ["one", "two", "three", "four"]);
  assert.equal((await store.stats("t1")).blocks, 4);
  const ledger = await store.ledger("t1");
  assert.equal(ledger.blockHeaderHashes().size, 4);
  await store.close();
});

test("appends are refused with STORAGE_BACKPRESSURE when the head is full", async () => {
  const w = world();
  const store = await w.open({ maxHeadBytes: 1000, sealMaxBytes: 1 << 30 });
  await store.append("t1", [rec(A, T0, "x".repeat(2000))]);
  await assert.rejects(
    store.append("t1", [rec(A, T0, "y")]),
    (e: { code?: string; details?: { retryAfterSeconds?: number } }) => e.code === "STORAGE_BACKPRESSURE" && e.details?.retryAfterSeconds === 1,
  );
  await store.flush();
  await store.append("t1", [rec(A, T0 + 1n, "z")]);
  await store.close();
  await assert.rejects(store.append("t1", [rec(A, T0, "late")]), { code: "STORAGE_CLOSED" });
  const again = await w.open();
  await assert.rejects(again.append("bad/tenant", [rec(A, T0, "q")]), { code: "STORAGE_RECORD_INVALID" });
  await again.close();
});

test("a corrupt block is quarantined and skipped, never crashing select", async () => {
  const w = world();
  let store = await w.open();
  await store.append("t1", [rec(A, T0 + 1n, "first")]);
  await store.flush();
  await store.append("t1", [rec(A, T0 + 2n, "second")]);
  await store.flush();
  const blk = store.catalog("t1")?.stream(idA)?.blocks[0]?.blockId as string;
  const path = store.layout().blockFile("t1", blk);
  w.fs.flipByte(path, (await w.fs.readFile(path)).length - 5);
  assert.deepEqual(bodies(await all(store)), ["second"]);
  assert.ok(w.fs.files().some((f) => f.includes("/quarantine/") && f.includes(blk)));
  assert.equal((await store.stats("t1")).blocks, 1);
  await store.close();
  store = await w.open();
  assert.deepEqual(bodies(await all(store)), ["second"]);
  await store.close();
});

test("the catalog is rebuilt from block headers when missing or corrupt", async () => {
  const w = world();
  let store = await w.open();
  await store.append("t1", [rec(A, T0 + 1n, "a"), rec(B, T0 + 2n, "b")]);
  await store.flush();
  await store.append("t1", [rec(A, T0 + 3n, "c")]);
  await store.close();
  const catalogFile = store.layout().catalogFile("t1");
  await w.fs.unlink(catalogFile);
  store = await w.open();
  assert.match(store.openReport().catalogsRebuilt[0]?.reason ?? "", /missing/);
  assert.deepEqual(bodies(await all(store)), ["a", "b", "c"]);
  assert.equal(store.catalog("t1")?.stream(idA)?.blocks.length, 2);
  assert.equal(store.catalog("t1")?.lastHeaderHash(idA), store.catalog("t1")?.stream(idA)?.blocks[1]?.headerHash);
  await store.close();
  w.fs.flipByte(catalogFile, 30);
  store = await w.open();
  assert.match(store.openReport().catalogsRebuilt[0]?.reason ?? "", /corrupt/);
  assert.deepEqual(bodies(await all(store)), ["a", "b", "c"]);
  await store.close();
});

test("an aborted select stops yielding", async () => {
  const w = world();
  const store = await w.open();
  await store.append(
    "t1",
    Array.from({ length: 5000 }, (_, i) => rec(A, T0 + BigInt(i), `r${i}`)),
  );
  const ac = new AbortController();
  let n = 0;
  for await (const batch of store.select({ tenant: "t1", streamIds: [idA], start: 0n, end: T0 * 2n, direction: "forward", signal: ac.signal })) {
    n += batch.length;
    ac.abort();
  }
  assert.equal(n, 1000);
  await store.close();
});

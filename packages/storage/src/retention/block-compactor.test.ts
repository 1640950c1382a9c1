// Compaction: exactly the right blocks merge, queries stay exact throughout, the ledger proves it, crashes resolve.

import { test } from "node:test";
import assert from "node:assert/strict";
import { streamIdOf } from "@meshlog/core";
import type { LedgerEntry } from "../ledger/ledger-format.js";
import type { Ledger } from "../ledger/ledger.js";
import { verifyDataDir } from "../verify/verify-data-dir.js";
import { EmbeddedStore } from "../engine/embedded-store.js";
import type { CompactionStep } from "../engine/block-compact.js";
import { Compactor, type CompactionTarget } from "./block-compactor.js";
import { DeletionRequests } from "./deletion-request.js";
import { HoldStore } from "./legal-hold.js";
import { DAY, rec, retentionWorld, T0, testSelector, type RetentionWorld } from "./retention-test-kit.js";

const API = { service: "api" };
const WEB = { service: "web" };
const HELD = { service: "held" };
const MONTH2 = T0 + 20n * DAY; // 2023-12-04: another key period than T0 (2023-11-14)

const compactor = (w: RetentionWorld, extra: Partial<ConstructorParameters<typeof Compactor>[0]> = {}): Compactor =>
  new Compactor({ fs: w.fs, dataDir: "/data", target: w.store, holds: w.holds, clock: w.clock, targetBlockBytes: 8000, ...extra });

/** Appends one batch and seals it: one block per stream touched. */
async function block(w: RetentionWorld, labels: Record<string, string>, ts: bigint, body: string): Promise<void> {
  await w.store.append("t1", [rec("t1", labels, ts, body), rec("t1", labels, ts + 1n, `${body}+`)]);
  await w.store.flush();
}

async function all(store: EmbeddedStore): Promise<string[]> {
  const ids = [API, WEB, HELD].map((l) => streamIdOf("t1", l));
  const out: string[] = [];
  for await (const b of store.select({ tenant: "t1", streamIds: ids, start: 0n, end: T0 * 2n, direction: "forward" })) out.push(...b.map((e) => e.record.body));
  return out.sort();
}

const entries = async (store: EmbeddedStore): Promise<readonly LedgerEntry[]> => ((await store.ledger("t1")).raw as Ledger).entries();
const blocksOf = (store: EmbeddedStore, labels: Record<string, string>) =>
  [...(store.catalog("t1")?.blocks() ?? [])].filter((b) => b.streamId === streamIdOf("t1", labels));

test("compaction merges runs of small adjacent blocks of one stream, class and key period, and nothing else", async () => {
  const w = await retentionWorld();
  await block(w, API, T0 + 1n, "a1"); // class r90d, 2023-11
  await block(w, API, T0 + 2n, "a2");
  await block(w, API, T0 + 3n, "big " + "x".repeat(3000)); // not small: breaks the run
  await block(w, API, T0 + 4n, "a4");
  await block(w, API, T0 + 5n, "a5");
  w.policies.set({ tenant: "t1", default: "400d", rules: [], version: 1, updatedAt: "", updatedBy: "test" });
  await block(w, API, T0 + 6n, "a6"); // class r400d
  await block(w, API, T0 + 7n, "a7");
  await block(w, API, MONTH2, "a8"); // r400d, 2023-12
  await block(w, API, MONTH2 + 1n, "a9");
  await block(w, WEB, T0 + 1n, "w1"); // a lone block: nothing to merge with
  await block(w, HELD, T0 + 1n, "h1");
  await block(w, HELD, T0 + 2n, "h2");
  await w.holds.place({ tenant: "t1", selector: '{service="held"}', reason: "case 1", principal: "admin" });
  const before = await all(w.store);
  const c = compactor(w);
  const plan = await c.plan("t1");
  // Blocks are named by their first timestamp: the runs a1-a2 and a4-a5 (class r90d), a6-a7 (r400d, 2023-11), a8-a9 (r400d, 2023-12).
  assert.deepEqual(
    plan.map((g) => g.map((r) => r.minTime - T0)),
    [
      [1n, 2n],
      [4n, 5n],
      [6n, 7n],
      [MONTH2 - T0, MONTH2 + 1n - T0],
    ],
  );
  const report = await c.run();
  assert.deepEqual(
    { merged: report.merged, sourceBlocks: report.sourceBlocks, newBlocks: report.newBlocks, records: report.records, held: report.heldBlocks },
    { merged: 4, sourceBlocks: 8, newBlocks: 1 * 4, records: 16, held: 2 },
  );
  assert.equal(blocksOf(w.store, API).length, 5);
  assert.equal(blocksOf(w.store, WEB).length, 1);
  assert.equal(blocksOf(w.store, HELD).length, 2);
  assert.deepEqual(await all(w.store), before, "queries return the same records after compaction");
  // The ledger proves it: one compaction tombstone per merge, naming sources and the replacement.
  const tombstones = (await entries(w.store)).flatMap((e) => (e.type === "tombstone" ? [e.tombstone] : []));
  assert.equal(tombstones.length, 4);
  for (const t of tombstones) {
    assert.equal(t.reason, "compaction");
    assert.equal(t.blockIds.length, 2);
    assert.equal(t.replacedBy?.records, 4);
    assert.ok(w.store.catalog("t1")?.block(t.replacedBy?.blockIds[0] ?? "") !== undefined);
  }
  // Compaction deletes nothing: no certificate.
  assert.deepEqual(await w.enforcer.certifyTenant("t1"), []);
  assert.equal((await c.run()).merged, 0, "a second run finds nothing to merge");
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

test("a run merges at most maxBlocksPerRun blocks, and a merged block spans at most maxSpanMs", async () => {
  const w = await retentionWorld();
  for (let i = 0; i < 6; i++) await block(w, API, T0 + BigInt(i) * DAY, `a${i}`);
  const spans = await compactor(w, { maxSpanMs: 36 * 3_600_000 }).plan("t1");
  assert.deepEqual(
    spans.map((g) => g.length),
    [2, 2, 2],
    "blocks a day apart pair up under a 36 h span",
  );
  const report = await compactor(w, { maxBlocksPerRun: 4, maxSpanMs: 30 * 86_400_000 }).run();
  assert.deepEqual([report.merged, report.sourceBlocks], [1, 4]);
  assert.equal(blocksOf(w.store, API).length, 3);
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

test("a query sees every record exactly once before, during and after each step of a merge", async () => {
  const w = await retentionWorld();
  // Five blocks of 600 lines each, in separate time ranges: a query reads them one after another.
  for (let b = 0; b < 5; b++) {
    const start = T0 + BigInt(b) * 1_000_000n;
    await w.store.append(
      "t1",
      Array.from({ length: 600 }, (_, i) => rec("t1", API, start + BigInt(i), `b${b} line ${i}`)),
    );
    await w.store.flush();
  }
  const expected = await all(w.store);
  assert.equal(expected.length, 3000);
  const seen: Record<string, string[]> = {};
  // A query that snapshots the blocks before the merge, reads its first 1000 lines, and the rest after the merge.
  const early = w.store.select({ tenant: "t1", streamIds: [streamIdOf("t1", API)], start: 0n, end: T0 * 2n, direction: "forward" });
  const it = early[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.done, false);
  const c = compactor(w, {
    targetBlockBytes: 4 * 1024 * 1024,
    unlinkDelayMs: 60_000, // source files outlive the swap, for queries that listed them before it
    onStep: async (_t, step: CompactionStep) => {
      seen[step] = await all(w.store);
    },
  });
  assert.equal((await c.run()).merged, 1);
  const late: string[] = first.value === undefined ? [] : first.value.map((e) => e.record.body);
  assert.ok(late.length < 3000, "the early query had read only part of the data before the merge");
  for (let r = await it.next(); r.done !== true; r = await it.next()) late.push(...r.value.map((e) => e.record.body));
  assert.deepEqual(late.sort(), expected, "a query started before the merge");
  for (const step of ["written", "ledgered", "tombstoned", "swapped"]) assert.deepEqual(seen[step], expected, `a query after step ${step}`);
  assert.deepEqual(await all(w.store), expected);
  const files = (): string[] => w.fs.files().filter((f) => f.endsWith(".blk"));
  assert.equal(files().length, 6, "the source files wait for queries that listed them");
  await c.flushPendingUnlinks();
  assert.equal(files().length, 1);
  await w.store.close();
});

test("verify fails when a merged block is removed without a tombstone, or a compaction tombstone's replacement is not ledgered", async () => {
  const w = await retentionWorld();
  for (let i = 0; i < 3; i++) await block(w, API, T0 + BigInt(i), `a${i}`);
  await block(w, WEB, T0, "w");
  await compactor(w).run();
  const merged = blocksOf(w.store, API)[0]?.blockId as string;
  await w.store.close();
  const file = `/data/tenants/t1/blocks/${merged}.blk`;
  const copy = await w.fs.readFile(file);
  await w.fs.unlink(file);
  const r = await verifyDataDir({ dataDir: "/data", fs: w.fs });
  assert.ok(r.problems.some((p) => p.kind === "block-missing" && p.block === merged));
  w.fs.setFile(file, copy);
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
  // A forged compaction tombstone: its replacement is not in the ledger, and the counts do not add up.
  const store = await EmbeddedStore.open({ dataDir: "/data", fs: w.fs, clock: w.clock, sealTimer: false, sealWorker: false });
  const web = blocksOf(store, WEB)[0];
  const ledger = (await store.ledger("t1")).raw as Ledger;
  await ledger.appendTombstone({
    reason: "compaction",
    blockIds: [web?.blockId ?? ""],
    headerHashes: [web?.headerHash ?? ""],
    keyIds: [web?.keyId ?? ""],
    time: "2023-11-14T22:13:20Z",
    replacedBy: { blockIds: ["ffffffffffffffffffffffff"], headerHashes: ["0".repeat(64)], records: 5 },
  });
  await ledger.checkpoint();
  await store.close();
  const kinds = (await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems.map((p) => p.kind);
  assert.ok(kinds.includes("compaction-replacement-missing"), kinds.join());
  assert.ok(kinds.includes("compaction-count-mismatch"), kinds.join());
});

test("verify passes after compaction, retention and a deletion request, and only the deletions are certified", async () => {
  const w = await retentionWorld();
  for (let i = 0; i < 4; i++) await block(w, API, T0 + BigInt(i), `old${i}`);
  for (let i = 0; i < 4; i++) await block(w, WEB, MONTH2 + 100n * DAY + BigInt(i), `web${i}`);
  assert.equal((await compactor(w).run()).merged, 2);
  const requests = new DeletionRequests({ fs: w.fs, dataDir: "/data", target: w.store, holds: w.holds, compile: testSelector, clock: w.clock });
  const dr = await requests.execute({ tenant: "t1", selector: '{service="web"}', start: 0n, end: T0 * 2n, reason: "erasure", principal: "admin" });
  assert.equal(dr.droppedRecords, 8);
  w.clock.set(T0 + 100n * DAY);
  const report = await w.enforcer.run();
  assert.equal(report.deletedBlocks, 1, "the merged old block expires as one");
  const kinds = (await w.certificates.list(["t1"])).map((c) => c.kind).sort();
  assert.deepEqual(kinds, ["deletion-request", "retention"]);
  await block(w, API, T0 + 101n * DAY, "new");
  assert.deepEqual(await all(w.store), ["new", "new+"]);
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

for (const step of ["written", "ledgered", "tombstoned", "swapped"] as const) {
  test(`a merge interrupted by a crash after step "${step}" is resolved at restart: every record once, verify passes`, async () => {
    const w = await retentionWorld();
    for (let i = 0; i < 3; i++) await block(w, API, T0 + BigInt(i), `a${i}`);
    await block(w, WEB, T0, "w");
    const expected = await all(w.store);
    let reached: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (reached = r));
    const c = compactor(w, {
      onStep: async (_t, s) => {
        if (s !== step) return;
        w.fs.crash();
        reached();
        await new Promise<never>(() => undefined); // the process is gone: nothing after this runs
      },
    });
    void c.run();
    await stopped;
    const store = await EmbeddedStore.open({ dataDir: "/data", fs: w.fs, clock: w.clock, sealTimer: false, sealWorker: false });
    const holds = await HoldStore.open(w.fs, "/data", w.clock, testSelector);
    const target: CompactionTarget = store;
    const resumed = await new Compactor({ fs: w.fs, dataDir: "/data", target, holds, clock: w.clock, targetBlockBytes: 8000 }).resume();
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0]?.outcome, step === "written" ? "not-started" : step === "ledgered" ? "rolled-forward" : "finished");
    assert.deepEqual(await all(store), expected, "every record exactly once");
    assert.equal(blocksOf(store, API).length, step === "written" ? 3 : 1);
    // The stream goes on: a new block chains to the ledger's last block of the stream.
    await store.append("t1", [rec("t1", API, T0 + 50n, "after")]);
    await store.flush();
    await store.close();
    assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
  });
}

test("a stream's chain is re-anchored on its last ledgered block after an unjournalled block was written but never ledgered", async () => {
  const w = await retentionWorld();
  for (let i = 0; i < 2; i++) await block(w, API, T0 + BigInt(i), `a${i}`);
  const ids = blocksOf(w.store, API).map((b) => b.blockId);
  let reached: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (reached = r));
  // An engine-level merge (no journal) whose process dies right after writing the merged file.
  void w.store.compactBlocks("t1", {
    sourceIds: ids,
    newBlockId: "0000000000000000000000ff",
    onStep: async (step) => {
      if (step !== "written") return;
      w.fs.crash();
      reached();
      await new Promise<never>(() => undefined);
    },
  });
  await stopped;
  const store = await EmbeddedStore.open({ dataDir: "/data", fs: w.fs, clock: w.clock, sealTimer: false, sealWorker: false });
  const holds = await HoldStore.open(w.fs, "/data", w.clock, testSelector);
  const c = new Compactor({ fs: w.fs, dataDir: "/data", target: store, holds, clock: w.clock, targetBlockBytes: 8000 });
  assert.deepEqual(await c.resume(), []);
  assert.equal(await store.alignChainTails("t1"), 0, "the store re-anchored the chain when it opened");
  await store.append("t1", [rec("t1", API, T0 + 50n, "after")]);
  await store.flush();
  assert.deepEqual(await all(store), ["a0", "a0+", "a1", "a1+", "after"]);
  await store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

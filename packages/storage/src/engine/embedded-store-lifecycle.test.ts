// Engine lifecycle tests: deletion with tombstones, orphan blocks, real disk restarts, concurrent seal and append.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ManualClock, streamIdOf, type LogRecord } from "@meshlog/core";
import type { StoredEntry } from "../contract.js";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { NodeFileSystem } from "../io/node-file-system.js";
import { verifyDataDir } from "../verify/verify-data-dir.js";
import { TenantCatalog } from "../index/catalog.js";
import { EmbeddedStore } from "./embedded-store.js";

const T0 = 1_700_000_000_000_000_000n;
const A = { service: "api", source: "native" };
const idA = streamIdOf("t1", A);

function rec(ts: bigint, body: string): LogRecord {
  return {
    timestamp: ts,
    observedTimestamp: ts,
    severityNumber: 9,
    severityText: "INFO",
    body,
    attributes: {},
    resource: { "service.name": "api" },
    traceId: "",
    spanId: "",
    tenant: "t1",
    labels: A,
  };
}

async function bodies(store: EmbeddedStore): Promise<string[]> {
  const out: StoredEntry[] = [];
  for await (const b of store.select({ tenant: "t1", streamIds: [idA], start: 0n, end: T0 * 2n, direction: "forward" })) out.push(...b);
  return out.map((e) => e.record.body);
}

test("deleted blocks are covered by a tombstone, so the data folder still verifies", async () => {
  const fs = new FaultyFileSystem();
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, clock: new ManualClock(T0), sealTimer: false });
  await store.append("t1", [rec(T0 + 1n, "old")]);
  await store.flush();
  await store.append("t1", [rec(T0 + 2n, "new")]);
  await store.flush();
  const oldId = store.catalog("t1")?.stream(idA)?.blocks[0]?.blockId as string;
  await assert.rejects(store.deleteBlocks("t1", ["nope"], { reason: "test" }), { code: "STORAGE_BLOCK_UNKNOWN" });
  const index = await store.deleteBlocks("t1", [oldId], { reason: "retention", policy: "default 90d" });
  assert.ok(index >= 2);
  assert.deepEqual(await bodies(store), ["new"]);
  assert.ok(!fs.files().some((f) => f.includes(oldId)));
  assert.ok((await store.ledger("t1")).tombstonedBlockIds().has(oldId));
  await store.close();
  const r = await verifyDataDir({ dataDir: "/data", fs });
  assert.deepEqual(r.problems, []);
  assert.equal(r.blocks, 1);
});

test("a block file written but never recorded in the ledger is quarantined at open and its records replayed", async () => {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  let store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  await store.append("t1", [rec(T0 + 1n, "kept")]);
  await store.flush();
  const blockFile = fs.files().find((f) => f.endsWith(".blk")) as string;
  const copy = await fs.readFile(blockFile);
  await store.append("t1", [rec(T0 + 2n, "in wal")]);
  fs.crash();
  // Simulate a seal that wrote its block file but crashed before the ledger append: a second copy under a new id.
  const forged = blockFile.replace(/[0-9a-f]{24}\.blk$/, "ffffffffffffffffffffffff.blk");
  fs.setFile(forged, copy);
  store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  assert.ok(store.openReport().quarantined.length >= 1, JSON.stringify(store.openReport()));
  assert.deepEqual(await bodies(store), ["kept", "in wal"]);
  await store.close();
});

test("a sealed block whose ledger append was lost is quarantined and its records come back from the WAL", async () => {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  let store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  await store.append("t1", [rec(T0 + 1n, "first")]);
  await store.flush();
  // The tenant ledger as it was before the second seal: restoring it below makes that seal's ledger append lost.
  const ledgerFiles = fs.files().filter((f) => f.includes("/ledger/"));
  const before = new Map(await Promise.all(ledgerFiles.map(async (f) => [f, await fs.readFile(f)] as const)));
  await store.append("t1", [rec(T0 + 2n, "second")]);
  await store.flush();
  assert.ok(
    fs.files().some((f) => f.includes("/wal/")),
    "the WAL still holds the second record",
  );
  fs.crash();
  for (const f of fs.files().filter((f) => f.includes("/ledger/"))) if (!before.has(f)) await fs.unlink(f);
  for (const [f, data] of before) fs.setFile(f, data);
  store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  assert.equal(store.openReport().quarantined.length, 1, JSON.stringify(store.openReport()));
  assert.deepEqual(await bodies(store), ["first", "second"], "the quarantined block's records are replayed from the WAL");
  await store.flush();
  await store.close();
  const report = await verifyDataDir({ dataDir: "/data", fs });
  assert.equal(report.ok, true, JSON.stringify(report.problems));
});

test("a crash during an unacknowledged append leaves a torn tail that the next open truncates and reports", async () => {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  let store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  await store.append("t1", [rec(T0 + 1n, "acked")]);
  fs.pauseSyncs();
  const pending = store.append("t1", [rec(T0 + 2n, "x".repeat(5000))]).then(
    () => "acked",
    (e: { code?: string }) => e.code,
  );
  await new Promise((r) => setImmediate(r));
  fs.crash({ keepUnsynced: "half" });
  assert.equal(await pending, "WAL_WRITE_FAILED");
  store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  assert.deepEqual(await bodies(store), ["acked"]);
  const problems = store.openReport().wal.problems;
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.kind, "torn-tail");
  await store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs })).problems, []);
});

test("over half of maxHeadBytes, the largest buffers are sealed early instead of refusing appends", async () => {
  const fs = new FaultyFileSystem();
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, clock: new ManualClock(T0), sealTimer: false, maxHeadBytes: 200_000, sealMaxBytes: 1 << 30 });
  for (let i = 0; i < 40; i++) {
    const labels = { service: `svc${i}`, source: "native" };
    await store.append("t1", [{ ...rec(T0 + BigInt(i), "y".repeat(3000)), labels }]);
    await store.sealsIdle();
  }
  const st = await store.stats("t1");
  assert.ok(st.blocks > 0, "early seals happened");
  assert.equal(st.records, 40);
  await store.close();
});

test("appends racing with seals lose and duplicate nothing", async () => {
  const fs = new FaultyFileSystem();
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, clock: new ManualClock(T0), sealTimer: false, sealMaxBytes: 3000 });
  let done = false;
  const appender = (async () => {
    for (let i = 0; i < 300; i += 3) {
      await Promise.all([0, 1, 2].map((k) => store.append("t1", [rec(T0 + BigInt(i + k), `r${i + k}`)])));
      if (i % 30 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    done = true;
  })();
  let flushes = 0;
  const flusher = (async () => {
    while (!done) {
      await store.flush();
      flushes++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  await Promise.all([appender, flusher]);
  await store.sealsIdle();
  assert.ok(flushes >= 2, `only ${flushes} flushes ran during the appends`);
  const got = await bodies(store);
  assert.equal(got.length, 300);
  assert.deepEqual(
    got,
    Array.from({ length: 300 }, (_, i) => `r${i}`),
  );
  assert.ok((await store.stats("t1")).blocks >= 2);
  await store.close();
});

test("on a real disk, data survives close and reopen, and the folder verifies", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-store-"));
  try {
    const masterKey = randomBytes(32);
    let store = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false });
    await store.append("t1", [rec(T0 + 1n, "one"), rec(T0 + 2n, "two")]);
    await store.flush();
    await store.append("t1", [rec(T0 + 3n, "three")]);
    await store.close();
    store = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false });
    assert.deepEqual(await bodies(store), ["one", "two", "three"]);
    await store.close();
    assert.deepEqual((await readdir(join(dir, "tenants", "t1", "blocks"))).length, 2);
    const r = await verifyDataDir({ dataDir: dir, masterKey });
    assert.deepEqual(r.problems, []);
    assert.equal(r.records, 3);
    const wrongKey = await verifyDataDir({ dataDir: dir, masterKey: randomBytes(32) });
    assert.equal(wrongKey.ok, false);
    assert.ok(wrongKey.problems.some((p) => p.kind === "keyring"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the catalog codec rejects damaged, truncated and foreign catalogs", () => {
  const c = new TenantCatalog("t1");
  c.add(
    {
      blockId: "b1",
      streamId: "s1",
      minTime: 5n,
      maxTime: 9n,
      rows: 2,
      bytes: 100,
      headerHash: "a".repeat(64),
      prevBlockHash: "",
      walSeqMax: 3,
      keyId: "k",
      retentionClass: "default",
      legalHold: false,
      createdAt: 1n,
    },
    A,
  );
  const bytes = c.encode();
  const back = TenantCatalog.decode(bytes, "t1");
  assert.deepEqual([...back.blocks()], [...c.blocks()]);
  assert.equal(back.stream("s1")?.minTime, 5n);
  assert.equal(back.sealedSeq("s1"), 3);
  const cases: [string, Buffer, RegExp][] = [
    ["empty", Buffer.alloc(0), /magic/],
    ["truncated", bytes.subarray(0, bytes.length - 1), /header says/],
    ["flipped", Buffer.from(bytes.map((b, i) => (i === 30 ? b ^ 1 : b))), /checksum/],
    ["version", Buffer.from(bytes.map((b, i) => (i === 8 ? 7 : b))), /version 7/],
  ];
  for (const [name, buf, re] of cases) assert.throws(() => TenantCatalog.decode(buf, "t1"), re, name);
  assert.throws(() => TenantCatalog.decode(bytes, "t2"), /belongs to tenant/);
});

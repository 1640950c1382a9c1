// Tamper tests: each kind of damage to a data folder must be reported, naming the block or file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, type LogRecord } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { EmbeddedStore } from "../engine/embedded-store.js";
import { Ledger } from "../ledger/ledger.js";
import { Signer } from "../ledger/signer.js";
import { LEDGER_CHECKPOINTS_FILE, LEDGER_ENTRIES_FILE } from "../ledger/ledger-format.js";
import { verifyDataDir, type VerifyReport } from "./verify-data-dir.js";
import { testRecord } from "@meshlog/testkit";

const T0 = 1_700_000_000_000_000_000n;
const A = { service: "api", source: "native" };
const B = { service: "db", source: "native" };

const rec = (labels: Record<string, string>, ts: bigint, body: string, tenant = "t1"): LogRecord =>
  testRecord({ tenant, labels, timestamp: ts, body, attributes: { user: `u${ts % 7n}` } });

/** A data folder with two tenants, three sealed blocks in t1 (two in stream A) and unsealed WAL data. */
async function fixture(): Promise<{ fs: FaultyFileSystem; store: EmbeddedStore; blocks: string[]; path: (id: string, tenant?: string) => string }> {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  await store.append("t1", [rec(A, T0 + 1n, "alpha one"), rec(B, T0 + 2n, "beta one")]);
  await store.flush();
  clock.advance(1_000_000n);
  await store.append("t1", [rec(A, T0 + 3n, "alpha two")]);
  await store.append("t2", [rec(A, T0 + 4n, "other tenant", "t2")]);
  await store.flush();
  await store.append("t1", [rec(A, T0 + 5n, "in the wal only")]);
  const blocks = [...(store.catalog("t1")?.blocks() ?? [])].map((b) => b.blockId);
  return { fs, store, blocks, path: (id, tenant = "t1") => store.layout().blockFile(tenant, id) };
}

const kinds = (r: VerifyReport): string[] => [...new Set(r.problems.map((p) => p.kind))].sort();

test("an untouched data folder verifies", async () => {
  const { fs, store } = await fixture();
  const r = await verifyDataDir({ dataDir: "/data", fs });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.tenants, 2);
  assert.equal(r.blocks, 4);
  assert.equal(r.records, 4);
  await store.close();
});

test("one flipped byte anywhere in a block is reported with the block's name", async () => {
  const { fs, store, blocks, path } = await fixture();
  const id = blocks[0] as string;
  const size = (await fs.readFile(path(id))).length;
  const offsets = [0, 9, 14, 40, 120, 400, Math.floor(size / 2), size - 20, size - 1];
  for (const off of offsets) {
    if (off >= size) continue;
    fs.flipByte(path(id), off);
    const r = await verifyDataDir({ dataDir: "/data", fs });
    fs.flipByte(path(id), off);
    assert.equal(r.ok, false, `flip at ${off} went unnoticed`);
    assert.ok(
      r.problems.some((p) => p.block === id && p.message.includes(`${id}.blk`)),
      `flip at ${off}: ${JSON.stringify(r.problems)}`,
    );
  }
  assert.equal((await verifyDataDir({ dataDir: "/data", fs })).ok, true);
  await store.close();
});

test("a deleted, truncated, swapped or moved block is reported", async () => {
  const cases: [string, (f: Awaited<ReturnType<typeof fixture>>) => Promise<void>, string[]][] = [
    ["deleted", async ({ fs, blocks, path }) => fs.unlink(path(blocks[1] as string)), ["block-missing"]],
    [
      "truncated",
      async ({ fs, blocks, path }) => fs.setFile(path(blocks[1] as string), (await fs.readFile(path(blocks[1] as string))).subarray(0, 200)),
      ["block-corrupt"],
    ],
    [
      "cut at the end",
      async ({ fs, blocks, path }) => {
        const b = await fs.readFile(path(blocks[1] as string));
        fs.setFile(path(blocks[1] as string), b.subarray(0, b.length - 3));
      },
      ["block-ciphertext-mismatch"],
    ],
    [
      "swapped",
      async ({ fs, blocks, path }) => {
        const a = await fs.readFile(path(blocks[0] as string));
        const b = await fs.readFile(path(blocks[2] as string));
        fs.setFile(path(blocks[0] as string), b);
        fs.setFile(path(blocks[2] as string), a);
      },
      ["block-misplaced"],
    ],
    [
      "moved to another tenant",
      async ({ fs, blocks, path }) => {
        await fs.rename(path(blocks[0] as string), path(blocks[0] as string, "t2"));
      },
      ["block-misplaced", "block-missing"],
    ],
  ];
  for (const [name, damage, want] of cases) {
    const f = await fixture();
    await damage(f);
    const r = await verifyDataDir({ dataDir: "/data", fs: f.fs });
    assert.equal(r.ok, false, name);
    assert.deepEqual(kinds(r), want, `${name}: ${JSON.stringify(r.problems)}`);
    assert.ok(
      r.problems.every((p) => p.block !== undefined && p.message.includes(".blk")),
      name,
    );
    await f.store.close();
  }
});

test("a flipped byte in a WAL segment is reported with the file and offset", async () => {
  const { fs, store } = await fixture();
  const seg = fs
    .files()
    .filter((f) => f.startsWith("/data/wal/") && f.endsWith(".wal"))
    .pop() as string;
  const size = (await fs.readFile(seg)).length;
  for (const off of [3, 14, 30, size - 2]) {
    fs.flipByte(seg, off);
    const r = await verifyDataDir({ dataDir: "/data", fs });
    fs.flipByte(seg, off);
    const p = r.problems.find((x) => x.file === seg);
    assert.ok(p !== undefined && /^wal-/.test(p.kind), `flip at ${off}: ${JSON.stringify(r.problems)}`);
    assert.match(p.message, /at offset \d+/);
    assert.ok(p.message.includes(seg.split("/").pop() as string));
  }
  await store.close();
});

test("a checkpoint re-signed with a foreign key is reported", async () => {
  const { fs, store } = await fixture();
  await store.close();
  const real = await Ledger.open(fs, "/data/tenants/t1/ledger", "t1", await Signer.open(fs, "/data/keys"));
  const entries = real.entries();
  const foreign = await Ledger.open(fs, "/forged/ledger", "t1", await Signer.open(fs, "/forged/keys"));
  for (const e of entries) if (e.type === "block") await foreign.appendBlock(e.block);
  await foreign.checkpoint();
  await foreign.close();
  await real.close();
  for (const f of [LEDGER_ENTRIES_FILE, LEDGER_CHECKPOINTS_FILE]) fs.setFile(`/data/tenants/t1/ledger/${f}`, await fs.readFile(`/forged/ledger/${f}`));
  const r = await verifyDataDir({ dataDir: "/data", fs });
  assert.equal(r.ok, false);
  assert.ok(
    r.problems.some((p) => p.kind === "ledger" && p.tenant === "t1"),
    JSON.stringify(r.problems),
  );
});

test("a ledger rolled back to an earlier state fails against the witness file", async () => {
  const fs = new FaultyFileSystem();
  const clock = new ManualClock(T0);
  const store = await EmbeddedStore.open({ dataDir: "/data", fs, clock, sealTimer: false });
  await store.append("t1", [rec(A, T0 + 1n, "one")]);
  await store.flush();
  const dir = "/data/tenants/t1/ledger";
  const saved = [await fs.readFile(`${dir}/${LEDGER_ENTRIES_FILE}`), await fs.readFile(`${dir}/${LEDGER_CHECKPOINTS_FILE}`)] as const;
  const savedBlocks = fs.files().filter((f) => f.startsWith("/data/tenants/t1/blocks/"));
  assert.equal((await verifyDataDir({ dataDir: "/data", fs, witnessFile: "/witness.json" })).ok, true);
  await store.append("t1", [rec(A, T0 + 2n, "two")]);
  await store.flush();
  await store.close();
  assert.equal((await verifyDataDir({ dataDir: "/data", fs, witnessFile: "/witness.json" })).ok, true);
  fs.setFile(`${dir}/${LEDGER_ENTRIES_FILE}`, saved[0]);
  fs.setFile(`${dir}/${LEDGER_CHECKPOINTS_FILE}`, saved[1]);
  for (const f of fs.files()) if (f.startsWith("/data/tenants/t1/blocks/") && !savedBlocks.includes(f)) await fs.unlink(f);
  assert.equal((await verifyDataDir({ dataDir: "/data", fs })).ok, true, "without the witness the rollback is consistent");
  const r = await verifyDataDir({ dataDir: "/data", fs, witnessFile: "/witness.json" });
  assert.equal(r.ok, false);
  assert.ok(
    r.problems.some((p) => p.kind === "ledger" && /rolled back|rewritten/.test(p.message)),
    JSON.stringify(r.problems),
  );
  const again = await verifyDataDir({ dataDir: "/data", fs, witnessFile: "/witness.json" });
  assert.equal(again.ok, false, "a failed run does not overwrite the witness");
});

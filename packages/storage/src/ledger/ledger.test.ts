// Ledger tests: appends and reopen, torn tails, corruption on open, checkpoint chain, proofs, write failures, input checks.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ManualClock, MeshlogError } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { canonicalJson } from "./canonical-json.js";
import { Ledger } from "./ledger.js";
import {
  GENESIS_CHECKPOINT_HASH,
  LEDGER_CHECKPOINTS_FILE,
  LEDGER_ENTRIES_FILE,
  LEDGER_HEADER_SIZE,
  checkpointBody,
  checkpointHash,
  type BlockEntry,
} from "./ledger-format.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { Signer } from "./signer.js";

const DIR = "/data/tenants/acme/ledger";
const ENTRIES = `${DIR}/${LEDGER_ENTRIES_FILE}`;
const CHECKPOINTS = `${DIR}/${LEDGER_CHECKPOINTS_FILE}`;

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
function block(i: number): BlockEntry {
  return {
    blockId: `b${String(i).padStart(8, "0")}`,
    headerHash: sha(`header-${i}`),
    streamId: "s1",
    records: 10 + i,
    minTime: `${1000 + i}`,
    maxTime: `${2000 + i}`,
  };
}

async function setup(): Promise<{ fs: FaultyFileSystem; signer: Signer; clock: ManualClock; ledger: Ledger }> {
  const fs = new FaultyFileSystem();
  const signer = await Signer.open(fs, "/data/keys");
  const clock = new ManualClock();
  return { fs, signer, clock, ledger: await Ledger.open(fs, DIR, "acme", signer, clock) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MeshlogError, String(e));
    return e.code;
  }
  return "resolved";
}

test("appends return leaf indexes in call order and survive a reopen", async () => {
  const { fs, signer, ledger } = await setup();
  const idx = await Promise.all([
    ledger.appendBlock(block(0)),
    ledger.appendTombstone({
      reason: "retention",
      policy: "default-90d",
      blockIds: ["b0"],
      headerHashes: [sha("header-0")],
      keyIds: ["kek:acme:default:2026-01:v1"],
      time: "2026-04-01T00:00:00Z",
    }),
    ledger.appendEvent({ kind: "kek.destroyed", data: { keyId: "kek:acme:default:2026-01:v1", big: 5n } }),
    ledger.appendBlock(block(3)),
  ]);
  assert.deepEqual(idx, [0, 1, 2, 3]);
  assert.equal(ledger.size(), 4);
  const entries = ledger.entries();
  assert.deepEqual(
    entries.map((e) => e.type),
    ["block", "tombstone", "event", "block"],
  );
  assert.deepEqual(entries[2], {
    index: 2,
    tenant: "acme",
    time: "2023-11-14T22:13:20.000000000Z",
    type: "event",
    event: { kind: "kek.destroyed", data: { keyId: "kek:acme:default:2026-01:v1", big: "5" } },
  });
  assert.equal(ledger.leafHashOf(0), leafHash(Buffer.from(canonicalJson(entries[0]))).toString("hex"), "leaf data is the entry's canonical JSON");
  const root = ledger.rootHash();
  await ledger.close();
  const again = await Ledger.open(fs, DIR, "acme", signer);
  assert.equal(again.rootHash(), root);
  assert.deepEqual(again.entries(), entries);
  assert.equal(await again.appendBlock(block(4)), 4);
  await again.close();
});

test("checkpoints are signed, numbered and chained, and proofs verify against them", async () => {
  const { fs, signer, clock, ledger } = await setup();
  const empty = await ledger.checkpoint();
  assert.equal(empty.treeSize, 0);
  assert.equal(empty.seq, 1);
  assert.equal(empty.prevCheckpointHash, GENESIS_CHECKPOINT_HASH);
  for (let i = 0; i < 5; i++) await ledger.appendBlock(block(i));
  clock.advance(1_000_000_000n);
  const c2 = await ledger.checkpoint();
  for (let i = 5; i < 13; i++) await ledger.appendBlock(block(i));
  clock.advance(1_000_000_000n);
  const c3 = await ledger.checkpoint();
  assert.deepEqual([c2.seq, c3.seq], [2, 3]);
  assert.equal(c2.prevCheckpointHash, checkpointHash(empty));
  assert.equal(c3.prevCheckpointHash, checkpointHash(c2));
  assert.equal(c3.origin, "meshlog.ledger/acme");
  assert.equal(c3.keyId, signer.keyId());
  assert.equal(c3.time, "2023-11-14T22:13:22.000000000Z");
  const { signature, ...unsigned } = c3;
  assert.ok(Signer.verify(signer.publicKeyPem(), checkpointBody(unsigned), Buffer.from(signature, "base64")));
  assert.equal(checkpointBody(unsigned).toString().split("\n")[1], "13", "C2SP body: origin, size, base64 root");

  const unhex = (h: string): Buffer => Buffer.from(h, "hex");
  for (const i of [0, 4, 7, 12]) {
    const proof = ledger.inclusionProofFor(i, c3.treeSize).map(unhex);
    assert.ok(verifyInclusion(i, c3.treeSize, unhex(ledger.leafHashOf(i)), proof, unhex(c3.rootHash)), `entry ${i}`);
  }
  const old = ledger.inclusionProofFor(2, c2.treeSize).map(unhex);
  assert.ok(verifyInclusion(2, c2.treeSize, unhex(ledger.leafHashOf(2)), old, unhex(c2.rootHash)));
  assert.ok(verifyConsistency(c2.treeSize, c3.treeSize, unhex(c2.rootHash), unhex(c3.rootHash), ledger.consistencyProof(c2.treeSize, c3.treeSize).map(unhex)));
  assert.ok(verifyConsistency(c2.treeSize, 13, unhex(c2.rootHash), unhex(ledger.rootHash()), ledger.consistencyProof(c2.treeSize).map(unhex)));
  assert.throws(() => ledger.inclusionProofFor(13), /outside a tree of size 13/);

  await ledger.close();
  const again = await Ledger.open(fs, DIR, "acme", signer);
  assert.deepEqual(again.latestCheckpoint(), c3);
  assert.equal((await again.checkpoint()).prevCheckpointHash, checkpointHash(c3));
  await again.close();
});

test("a torn tail from a crash mid-append is truncated on open and reported", async () => {
  for (const keep of [1, 7, 8, 30, "half"] as const) {
    const { fs, signer, ledger } = await setup();
    await ledger.appendBlock(block(0));
    await ledger.checkpoint();
    fs.pauseSyncs();
    const pending = [ledger.appendBlock(block(1)).catch(() => -1)];
    await new Promise((r) => setImmediate(r));
    fs.crash({ keepUnsynced: keep });
    await Promise.all(pending);
    const again = await Ledger.open(fs, DIR, "acme", signer);
    assert.equal(again.size(), 1, `keep ${keep}`);
    assert.ok(again.recovery.entriesTornBytes > 0, `keep ${keep}: torn bytes reported`);
    assert.equal(await again.appendBlock(block(1)), 1, "appends continue after the cut");
    await again.close();
    const third = await Ledger.open(fs, DIR, "acme", signer);
    assert.equal(third.size(), 2);
    assert.equal(third.recovery.entriesTornBytes, 0);
    await third.close();
  }
});

test("a zero-filled tail and an interrupted file creation are treated as torn", async () => {
  const { fs, signer, ledger } = await setup();
  await ledger.appendBlock(block(0));
  await ledger.close();
  fs.setFile(ENTRIES, Buffer.concat([await fs.readFile(ENTRIES), Buffer.alloc(100)]));
  fs.setFile(CHECKPOINTS, Buffer.from("MLOG"));
  const again = await Ledger.open(fs, DIR, "acme", signer);
  assert.deepEqual(again.recovery, { entriesTornBytes: 100, checkpointsTornBytes: 4 });
  assert.equal(again.size(), 1);
  await again.checkpoint();
  await again.close();
});

test("corruption that is not a torn tail makes open fail, naming file and offset", async () => {
  const { fs, signer, ledger } = await setup();
  for (let i = 0; i < 3; i++) await ledger.appendBlock(block(i));
  await ledger.checkpoint();
  await ledger.close();
  const good = await fs.readFile(ENTRIES);
  const goodCp = await fs.readFile(CHECKPOINTS);
  const frame0End = LEDGER_HEADER_SIZE + 8 + good.readUInt32LE(LEDGER_HEADER_SIZE);
  const cases: Array<[string, () => void, RegExp]> = [
    ["flipped payload byte", () => fs.flipByte(ENTRIES, LEDGER_HEADER_SIZE + 20), /entries.bin" is inconsistent at offset 12: frame checksum mismatch/],
    ["bad magic", () => fs.flipByte(ENTRIES, 0), /at offset 0: bad magic/],
    [
      "unsupported version",
      () => fs.setFile(ENTRIES, Buffer.concat([good.subarray(0, 8), Buffer.from([9, 0, 0, 0]), good.subarray(12)])),
      /unsupported format version 9/,
    ],
    [
      "huge frame length",
      () => fs.setFile(ENTRIES, Buffer.concat([good.subarray(0, frame0End), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]), good.subarray(frame0End + 8)])),
      new RegExp(`at offset ${frame0End}: frame length \\d+ exceeds`),
    ],
    ["last entry removed", () => fs.setFile(ENTRIES, good.subarray(0, good.length - (good.length - frame0End) / 2)), /covers 3 entries but .* holds only 2/],
    ["checkpoint flipped", () => fs.flipByte(CHECKPOINTS, goodCp.length - 3), /checkpoints.bin" is inconsistent at offset 12/],
  ];
  for (const [name, tamper, re] of cases) {
    fs.setFile(ENTRIES, good);
    fs.setFile(CHECKPOINTS, goodCp);
    tamper();
    await assert.rejects(Ledger.open(fs, DIR, "acme", signer), (e: MeshlogError) => {
      assert.equal(e.code, "LEDGER_FILE_CORRUPT", name);
      assert.match(e.message, re, name);
      return true;
    });
  }
  fs.setFile(ENTRIES, good);
  fs.setFile(CHECKPOINTS, goodCp);
  await assert.rejects(Ledger.open(fs, DIR, "other", signer), /entry 0: entry belongs to tenant "acme", not "other"/);
  await fs.unlink(CHECKPOINTS);
  await assert.rejects(Ledger.open(fs, DIR, "acme", signer), /checkpoints.bin" is inconsistent at offset 0: file is missing while .* holds 3 entries/);
  assert.equal(await fs.stat(CHECKPOINTS), undefined, "a failed open creates nothing");
});

test("a failed write is rolled back so later appends stay well-framed", async () => {
  const { fs, signer, ledger } = await setup();
  await ledger.appendBlock(block(0));
  fs.failSyncs = 1;
  assert.equal(await codeOf(ledger.appendBlock(block(1))), "LEDGER_WRITE_FAILED");
  fs.failWrites = 1;
  assert.equal(await codeOf(ledger.checkpoint()), "LEDGER_WRITE_FAILED");
  assert.equal(await ledger.appendBlock(block(2)), 1);
  assert.equal(ledger.size(), 2);
  const cp = await ledger.checkpoint();
  assert.equal(cp.seq, 1);
  await ledger.close();
  assert.equal(await codeOf(ledger.appendBlock(block(3))), "LEDGER_WRITE_FAILED", "closed");
  const again = await Ledger.open(fs, DIR, "acme", signer);
  assert.equal(again.size(), 2);
  const second = again.entries()[1];
  assert.equal(second?.type === "block" ? second.block.blockId : undefined, block(2).blockId);
  await again.close();
});

test("malformed appends are refused without touching the ledger", async () => {
  const { ledger } = await setup();
  const tomb = { reason: "r", blockIds: ["b1"], headerHashes: [sha("x")], keyIds: [], time: "t" };
  const cases: Array<[string, Promise<number>]> = [
    ["short header hash", ledger.appendBlock({ ...block(0), headerHash: "abc" })],
    ["upper-case hash", ledger.appendBlock({ ...block(0), headerHash: sha("x").toUpperCase() })],
    ["negative records", ledger.appendBlock({ ...block(0), records: -1 })],
    ["fractional records", ledger.appendBlock({ ...block(0), records: 1.5 })],
    ["empty block id", ledger.appendBlock({ ...block(0), blockId: "" })],
    ["huge stream id", ledger.appendBlock({ ...block(0), streamId: "s".repeat(10_000) })],
    ["tombstone hash count mismatch", ledger.appendTombstone({ ...tomb, headerHashes: [] })],
    ["tombstone bad hash", ledger.appendTombstone({ ...tomb, headerHashes: ["zz"] })],
    ["tombstone empty reason", ledger.appendTombstone({ ...tomb, reason: "" })],
    ["event bad kind", ledger.appendEvent({ kind: "Bad Kind", data: {} })],
    ["event NaN", ledger.appendEvent({ kind: "x", data: { n: Number.NaN } })],
    ["event Date", ledger.appendEvent({ kind: "x", data: { d: new Date() } })],
    ["event too large", ledger.appendEvent({ kind: "x", data: { s: "a".repeat(17 * 1024 * 1024) } })],
  ];
  for (const [name, p] of cases) assert.equal(await codeOf(p), "LEDGER_ARGUMENT_INVALID", name);
  assert.equal(ledger.size(), 0);
  await assert.rejects(Ledger.open(new FaultyFileSystem(), DIR, "../x", await Signer.open(new FaultyFileSystem(), "/k")), /invalid tenant/);
  await ledger.close();
});

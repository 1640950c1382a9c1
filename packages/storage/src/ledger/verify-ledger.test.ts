// verifyLedger tests: a clean ledger passes; tampering, removal, reordering, foreign signatures and rollback are named.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ManualClock } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { canonicalJsonBytes } from "./canonical-json.js";
import { Ledger } from "./ledger.js";
import {
  LEDGER_CHECKPOINTS_FILE,
  LEDGER_ENTRIES_FILE,
  checkpointBody,
  checkpointHash,
  encodeLedgerFrame,
  scanLedgerFrames,
  type BlockEntry,
  type Checkpoint,
} from "./ledger-format.js";
import { leafHash, merkleRoot } from "./merkle.js";
import { Signer } from "./signer.js";
import { verifyLedger } from "./verify-ledger.js";

const DIR = "/data/tenants/acme/ledger";
const ENTRIES = `${DIR}/${LEDGER_ENTRIES_FILE}`;
const CHECKPOINTS = `${DIR}/${LEDGER_CHECKPOINTS_FILE}`;
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const block = (i: number): BlockEntry => ({ blockId: `b${i}`, headerHash: sha(`h${i}`), streamId: "s", records: i, minTime: "1", maxTime: "2" });

interface World {
  fs: FaultyFileSystem;
  signer: Signer;
  checkpoints: Checkpoint[];
}

/** A ledger of 12 entries and 3 checkpoints (after 4, 9 and 12 entries). */
async function world(): Promise<World> {
  const fs = new FaultyFileSystem();
  const signer = await Signer.open(fs, "/data/keys");
  const clock = new ManualClock();
  const ledger = await Ledger.open(fs, DIR, "acme", signer, clock);
  const checkpoints: Checkpoint[] = [];
  for (let i = 0; i < 12; i++) {
    if (i === 5)
      await ledger.appendTombstone({ reason: "retention", blockIds: ["b0"], headerHashes: [sha("h0")], keyIds: ["kek:acme:default:2026-01:v1"], time: "t" });
    else if (i === 7) await ledger.appendEvent({ kind: "kek.destroyed", data: { keyId: "kek:acme:default:2026-01:v1" } });
    else await ledger.appendBlock(block(i));
    clock.advance(1_000_000n);
    if (i === 3 || i === 8 || i === 11) checkpoints.push(await ledger.checkpoint());
  }
  await ledger.close();
  return { fs, signer, checkpoints };
}

async function frames(fs: FaultyFileSystem, path: string): Promise<Buffer[]> {
  return scanLedgerFrames(await fs.readFile(path)).frames.map((f) => f.payload);
}

async function writeFrames(fs: FaultyFileSystem, path: string, payloads: Buffer[]): Promise<void> {
  const data = await fs.readFile(path);
  fs.setFile(path, Buffer.concat([data.subarray(0, 12), ...payloads.map((p) => encodeLedgerFrame(p))]));
}

/** Re-signs the whole checkpoint chain over the current entries with `signer` (what an attacker would do). */
async function resign(w: World, signer: Signer, overrideKeyId?: string): Promise<Checkpoint[]> {
  const leaves = (await frames(w.fs, ENTRIES)).map((p) => leafHash(p));
  let prev = "0".repeat(64);
  const out: Checkpoint[] = [];
  for (const cp of w.checkpoints) {
    const unsigned = {
      ...cp,
      rootHash: merkleRoot(leaves.slice(0, cp.treeSize)).toString("hex"),
      prevCheckpointHash: prev,
      keyId: overrideKeyId ?? signer.keyId(),
    };
    const { signature: _old, ...body } = unsigned;
    const next: Checkpoint = { ...body, signature: signer.sign(checkpointBody(body)).toString("base64") };
    out.push(next);
    prev = checkpointHash(next);
  }
  await writeFrames(
    w.fs,
    CHECKPOINTS,
    out.map((c) => canonicalJsonBytes(c)),
  );
  return out;
}

function expectProblem(r: { ok: boolean; problems: string[] }, ...patterns: RegExp[]): void {
  assert.equal(r.ok, false, "verification must fail");
  for (const re of patterns)
    assert.ok(
      r.problems.some((p) => re.test(p)),
      `no problem matches ${re}; got:\n${r.problems.join("\n")}`,
    );
}

test("an untouched ledger verifies with the keys folder's public key as default trust", async () => {
  const w = await world();
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  assert.deepEqual(r.problems, []);
  assert.ok(r.ok);
  assert.equal(r.entries.length, 12);
  assert.equal(r.treeSize, 12);
  assert.deepEqual(r.latest, w.checkpoints[2]);
  assert.equal(r.rootHash, w.checkpoints[2]?.rootHash);
  const explicit = await verifyLedger(w.fs, DIR, "acme", { trustedPublicKeys: [w.signer.publicKeyPem()], witness: w.checkpoints[1] as Checkpoint });
  assert.deepEqual(explicit.problems, []);
});

test("a flipped byte in the entries file is named with tenant, file, entry and offset", async () => {
  const w = await world();
  const data = await w.fs.readFile(ENTRIES);
  w.fs.flipByte(ENTRIES, Math.floor(data.length / 2));
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  expectProblem(
    r,
    /^tenant "acme": \/data\/tenants\/acme\/ledger\/entries.bin entry \d+ \(offset \d+\): frame checksum mismatch/,
    /checkpoint seq \d+ .*covers \d+ entries but .* holds only \d+ readable entries/,
  );
});

test("a flipped byte with a recomputed frame checksum is caught by the signed root", async () => {
  const w = await world();
  const payloads = await frames(w.fs, ENTRIES);
  payloads[2] = Buffer.from((payloads[2] as Buffer).toString().replace('"records":2', '"records":3'));
  await writeFrames(w.fs, ENTRIES, payloads);
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  expectProblem(r, /checkpoint seq 1 \(offset \d+\): root hash does not match the entries at tree size 4/);
  assert.equal(r.problems.filter((p) => p.includes("root hash")).length, 3, "every checkpoint covering entry 2 fails");
});

test("a removed entry is named by index and breaks every later checkpoint", async () => {
  const w = await world();
  const payloads = await frames(w.fs, ENTRIES);
  payloads.splice(6, 1);
  await writeFrames(w.fs, ENTRIES, payloads);
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  expectProblem(
    r,
    /entry 6 \(offset \d+\): entry claims index 7 at position 6/,
    /checkpoint seq 2 .*root hash does not match/,
    /checkpoint seq 3 .*covers 12 entries but .* holds only 11/,
  );
  assert.ok(!r.problems.some((p) => p.includes("checkpoint seq 1 ")), "checkpoint 1 predates the removal");
});

test("swapped entries are named and fail the root check", async () => {
  const w = await world();
  const payloads = await frames(w.fs, ENTRIES);
  [payloads[9], payloads[10]] = [payloads[10] as Buffer, payloads[9] as Buffer];
  await writeFrames(w.fs, ENTRIES, payloads);
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  expectProblem(r, /entry 9 .*claims index 10 at position 9/, /entry 10 .*claims index 9 at position 10/, /checkpoint seq 3 .*root hash does not match/);
});

test("a ledger rewritten and re-signed with a foreign key fails against the trusted key", async () => {
  const w = await world();
  const payloads = await frames(w.fs, ENTRIES);
  payloads.splice(4, 1);
  const renumbered = payloads.map((p, i) => canonicalJsonBytes({ ...(JSON.parse(p.toString()) as object), index: i }));
  await writeFrames(w.fs, ENTRIES, renumbered);
  w.checkpoints = w.checkpoints.map((c) => ({ ...c, treeSize: Math.min(c.treeSize, 11) }));
  const attacker = await Signer.open(new FaultyFileSystem(), "/evil");
  await resign(w, attacker);
  const trusted = await verifyLedger(w.fs, DIR, "acme", { trustedPublicKeys: [w.signer.publicKeyPem()] });
  expectProblem(trusted, new RegExp(`checkpoint seq 1 .*signed by key ${attacker.keyId()}, which is not a trusted key`));
  assert.ok(
    trusted.problems.every((p) => p.includes("not a trusted key")),
    "structure is self-consistent; only trust fails",
  );
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /not a trusted key/);
  // Claiming the trusted key id does not help.
  await resign(w, attacker, w.signer.keyId());
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /checkpoint seq 2 .*signature does not verify with trusted key/);
  // Trusting the attacker's key makes the forged ledger pass: trust must come from outside the data.
  await resign(w, attacker);
  assert.deepEqual((await verifyLedger(w.fs, DIR, "acme", { trustedPublicKeys: [attacker.publicKeyPem()] })).problems, []);
});

test("a ledger rolled back to an earlier state fails against a witness, and passes without one", async () => {
  const w = await world();
  const entries = await frames(w.fs, ENTRIES);
  const cps = await frames(w.fs, CHECKPOINTS);
  await writeFrames(w.fs, ENTRIES, entries.slice(0, 9));
  await writeFrames(w.fs, CHECKPOINTS, cps.slice(0, 2));
  const blind = await verifyLedger(w.fs, DIR, "acme", {});
  assert.deepEqual(blind.problems, [], "a consistent prefix is indistinguishable without a witness");
  const witnessed = await verifyLedger(w.fs, DIR, "acme", { witness: w.checkpoints[2] as Checkpoint });
  expectProblem(
    witnessed,
    /checkpoint seq 3: missing; the ledger has latest checkpoint seq 2 \(tree size 9\) but checkpoint seq 3 \(tree size 12\) was witnessed earlier \(rolled back\)/,
  );
  await writeFrames(w.fs, CHECKPOINTS, []);
  expectProblem(await verifyLedger(w.fs, DIR, "acme", { witness: w.checkpoints[0] as Checkpoint }), /the ledger has no checkpoint/);
});

test("history rewritten by the key holder is caught by a witness of the earlier checkpoint", async () => {
  const w = await world();
  const payloads = await frames(w.fs, ENTRIES);
  payloads[1] = canonicalJsonBytes({ ...(JSON.parse((payloads[1] as Buffer).toString()) as object), block: { ...block(1), records: 999 } });
  await writeFrames(w.fs, ENTRIES, payloads);
  await resign(w, w.signer);
  assert.deepEqual((await verifyLedger(w.fs, DIR, "acme", {})).problems, []);
  expectProblem(
    await verifyLedger(w.fs, DIR, "acme", { witness: w.checkpoints[1] as Checkpoint }),
    /checkpoint seq 2: differs from the witnessed checkpoint .*history was rewritten or forked/,
  );
});

test("removed, reordered or foreign checkpoints break the chain", async () => {
  const w = await world();
  const cps = await frames(w.fs, CHECKPOINTS);
  await writeFrames(w.fs, CHECKPOINTS, [cps[0] as Buffer, cps[2] as Buffer]);
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /checkpoint seq 3 .*seq follows 1; expected 2/, /checkpoint seq 3 .*chain broken/);
  await writeFrames(w.fs, CHECKPOINTS, [cps[1] as Buffer, cps[0] as Buffer, cps[2] as Buffer]);
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /checkpoint seq 2 .*expected 1/, /checkpoint seq 1 .*tree shrinks from 9 to 4/);
  await writeFrames(w.fs, CHECKPOINTS, cps);
  expectProblem(
    await verifyLedger(w.fs, DIR, "other", {}),
    /tenant "other": .*entry 0 .*belongs to tenant "acme"/,
    /checkpoint seq 1 .*belongs to another log/,
  );
});

test("missing trust, torn tails and unsigned recent entries are reported without false alarms", async () => {
  const w = await world();
  expectProblem(await verifyLedger(w.fs, DIR, "acme", { keysDir: "/nowhere" }), /no trusted public key found in \/nowhere/);
  const ledger = await Ledger.open(w.fs, DIR, "acme", w.signer);
  await ledger.appendBlock(block(100));
  await ledger.close();
  w.fs.setFile(ENTRIES, Buffer.concat([await w.fs.readFile(ENTRIES), Buffer.from([50, 0, 0])]));
  const r = await verifyLedger(w.fs, DIR, "acme", {});
  assert.deepEqual(r.problems, []);
  assert.ok(
    r.warnings.some((x) => /3 bytes of an interrupted append/.test(x)),
    r.warnings.join("\n"),
  );
  assert.ok(
    r.warnings.some((x) => /entries 12\.\.12 are not covered by a signed checkpoint yet/.test(x)),
    r.warnings.join("\n"),
  );
  assert.equal(r.entries.length, 13);
});

test("hostile files are reported, never thrown", async () => {
  const w = await world();
  const hostile: Array<[string, Buffer, RegExp]> = [
    ["empty", Buffer.alloc(0), /header: file is 0 bytes/],
    ["garbage", Buffer.from("this is not a ledger at all"), /header: bad magic/],
    [
      "non-JSON payload",
      Buffer.concat([(await w.fs.readFile(ENTRIES)).subarray(0, 12), encodeLedgerFrame(Buffer.from("{not json"))]),
      /entry 0 .*not valid JSON/,
    ],
    [
      "non-canonical payload",
      Buffer.concat([(await w.fs.readFile(ENTRIES)).subarray(0, 12), encodeLedgerFrame(Buffer.from(' {"index":0}'))]),
      /entry 0 .*entry (is not|claims|belongs|time)/,
    ],
    [
      "deep JSON",
      Buffer.concat([(await w.fs.readFile(ENTRIES)).subarray(0, 12), encodeLedgerFrame(Buffer.from("[".repeat(50000) + "]".repeat(50000)))]),
      /entry 0 .*not a JSON object/,
    ],
  ];
  for (const [, data, re] of hostile) {
    w.fs.setFile(ENTRIES, data);
    expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), re);
  }
  const entriesCopy = await w.fs.readFile(ENTRIES);
  await w.fs.unlink(ENTRIES);
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /entries.bin file: missing while checkpoints exist/);
  w.fs.setFile(ENTRIES, entriesCopy);
  await w.fs.unlink(CHECKPOINTS);
  expectProblem(await verifyLedger(w.fs, DIR, "acme", {}), /checkpoints.bin file: missing while entries exist/);
  expectProblem(
    await verifyLedger(w.fs, DIR, "acme", { witness: { ...(w.checkpoints[0] as Checkpoint), rootHash: "nope" } }),
    /witness checkpoint is malformed/,
  );
  const none = await verifyLedger(new FaultyFileSystem(), DIR, "acme", { trustedPublicKeys: [] });
  assert.deepEqual(none.problems, []);
  assert.equal(none.treeSize, 0);
});

test("checkpoints signed before a key rotation still verify under default trust, not under the new key alone", async () => {
  const w = await world();
  await w.signer.rotate();
  const ledger = await Ledger.open(w.fs, DIR, "acme", w.signer);
  await ledger.appendEvent({ kind: "signing-key.rotated", data: { keyId: w.signer.keyId() } });
  const cp = await ledger.checkpoint();
  await ledger.close();
  assert.equal(cp.keyId, w.signer.keyId());
  assert.deepEqual((await verifyLedger(w.fs, DIR, "acme", {})).problems, []);
  const newOnly = await verifyLedger(w.fs, DIR, "acme", { trustedPublicKeys: [w.signer.publicKeyPem()] });
  expectProblem(newOnly, /checkpoint seq 1 .*not a trusted key/);
  assert.ok(!newOnly.problems.some((p) => p.includes("checkpoint seq 4 ")));
});

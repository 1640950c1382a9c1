// Retention enforcement with an injected clock: exact expiry, legal holds, KEK shredding, certificates, verify.

import { test } from "node:test";
import assert from "node:assert/strict";
import { streamIdOf } from "@meshlog/core";
import { KeyRing } from "../crypto/keyring.js";
import { decodeKeyRing, KEY_RING_FILE } from "../crypto/key-files.js";
import { verifyDataDir } from "../verify/verify-data-dir.js";
import { certificateProblems } from "./deletion-certificate.js";
import { DAY, T0, rec, retentionWorld } from "./retention-test-kit.js";
import { retentionPaths } from "./retention-files.js";

const API = { service: "api", source: "native" };
const PAY = { service: "payments", source: "native" };
const AUDIT = { service: "gate", source: "audit" };

async function seeded(batchSize?: number) {
  const w = await retentionWorld(batchSize === undefined ? {} : { batchSize });
  w.policies.set({
    tenant: "t1",
    default: "90d",
    rules: [{ selector: '{service="payments"}', retention: "400d" }],
    version: 1,
    updatedAt: "",
    updatedBy: "test",
  });
  await w.store.append("t1", [rec("t1", API, T0 + 10n, "api one"), rec("t1", PAY, T0 + 20n, "pay one"), rec("t1", AUDIT, T0 + 30n, "audit one")]);
  await w.store.flush();
  return w;
}

const blocksOf = (
  w: { store: { catalog(t: string): { blocks(): Iterable<{ streamId: string; retentionClass: string; keyId: string; blockId: string }> } | undefined } },
  t = "t1",
) => [...(w.store.catalog(t)?.blocks() ?? [])];

test("each block carries the retention class of its stream and a KEK of that class", async () => {
  const w = await seeded();
  const byStream = new Map(blocksOf(w).map((b) => [b.streamId, b]));
  assert.equal(byStream.get(streamIdOf("t1", API))?.retentionClass, "r90d");
  assert.equal(byStream.get(streamIdOf("t1", PAY))?.retentionClass, "r400d");
  assert.equal(byStream.get(streamIdOf("t1", AUDIT))?.retentionClass, "r400d", "audit streams are kept for the audit window");
  assert.match(byStream.get(streamIdOf("t1", API))?.keyId ?? "", /^kek:t1:r90d:2023-11:v1$/);
  await w.store.close();
});

test("data expires exactly when maxTime + retention is reached, per rule", async () => {
  const w = await seeded();
  const table: { at: bigint; left: number }[] = [
    { at: T0 + 10n + 90n * DAY - 1n, left: 3 },
    { at: T0 + 10n + 90n * DAY, left: 2 },
    { at: T0 + 20n + 400n * DAY - 1n, left: 2 },
    { at: T0 + 30n + 400n * DAY, left: 0 },
  ];
  for (const { at, left } of table) {
    w.clock.set(at);
    await w.enforcer.run();
    assert.equal(blocksOf(w).length, left, `blocks left at ${at}`);
  }
  const rows: string[] = [];
  for await (const batch of w.store.select({ tenant: "t1", streamIds: [streamIdOf("t1", API)], start: 0n, end: T0 * 2n, direction: "forward" }))
    rows.push(...batch.map((e) => e.record.body));
  assert.deepEqual(rows, []);
  await w.store.close();
});

test("blocks under an active legal hold survive expiry until the hold is released", async () => {
  const w = await seeded();
  const hold = await w.holds.place({ tenant: "t1", selector: '{service="api"}', reason: "litigation 42", principal: "admin" });
  w.clock.set(T0 + 100n * DAY);
  const r1 = await w.enforcer.run();
  assert.equal(r1.heldBlocks, 1);
  assert.equal(r1.deletedBlocks, 0);
  assert.equal(blocksOf(w).length, 3);
  await w.holds.release(hold.id, "admin");
  const r2 = await w.enforcer.run();
  assert.equal(r2.deletedBlocks, 1);
  assert.equal(blocksOf(w).length, 2);
  await w.store.close();
});

test("a hold with an end date lapses at that date", async () => {
  const w = await seeded();
  await w.holds.place({ tenant: "t1", selector: '{service="api"}', reason: "audit", principal: "admin", until: "2024-06-01T00:00:00Z" });
  w.clock.set(BigInt(Date.UTC(2024, 4, 1)) * 1_000_000n);
  assert.equal((await w.enforcer.run()).heldBlocks, 1);
  w.clock.set(BigInt(Date.UTC(2024, 5, 1)) * 1_000_000n);
  assert.equal((await w.enforcer.run()).deletedBlocks, 1);
  await w.store.close();
});

test("a KEK is destroyed only once every block under it is gone and its period has expired", async () => {
  const w = await seeded();
  // A second r90d block in the same month, sealed later and held.
  w.clock.set(T0 + DAY);
  await w.store.append("t1", [rec("t1", { service: "web", source: "native" }, T0 + DAY, "web one")]);
  await w.store.flush();
  const hold = await w.holds.place({ tenant: "t1", selector: '{service="web"}', reason: "case 7", principal: "admin" });
  const keyId = "kek:t1:r90d:2023-11:v1";
  const api = blocksOf(w).find((b) => b.streamId === streamIdOf("t1", API));
  assert.ok(api !== undefined);
  const backup = await w.fs.readFile(w.store.layout().blockFile("t1", api.blockId));
  // Past both blocks' expiry and the period's (2023-12-01 + 90d): the held block keeps the KEK alive.
  w.clock.set(BigInt(Date.UTC(2024, 3, 1)) * 1_000_000n);
  let r = await w.enforcer.run();
  assert.equal(r.deletedBlocks, 1);
  assert.deepEqual(r.destroyedKeks, []);
  await w.holds.release(hold.id, "admin");
  r = await w.enforcer.run();
  assert.equal(r.deletedBlocks, 1);
  assert.deepEqual(r.destroyedKeks, [keyId]);
  // The backup copy of the block cannot be decrypted with anything left on disk.
  const ring = decodeKeyRing(await w.fs.readFile(w.fs.join("/data/keys", KEY_RING_FILE)), KEY_RING_FILE);
  const rec1 = ring.keks.find((k) => k.id === keyId);
  assert.ok(rec1?.destroyedAt !== undefined && rec1.wrapped === undefined);
  const fresh = await KeyRing.open(w.fs, "/data/keys");
  const { parseBlockHeader } = await import("../block/block-format.js");
  const h = parseBlockHeader(backup);
  await assert.rejects(fresh.unwrapDataKey(h.meta.keyId, Buffer.from(h.meta.wrappedKey, "base64")), { code: "KEY_UNAVAILABLE" });
  // The destruction is in the ledger and has a certificate.
  const ledger = (await w.store.ledger("t1")).raw as { entries(): { type: string; event?: { kind: string; data: Record<string, unknown> } }[] };
  assert.equal(ledger.entries().filter((e) => e.type === "event" && e.event?.kind === "kek.destroyed" && e.event.data.keyId === keyId).length, 1);
  assert.ok((await w.certificates.list(["t1"])).some((c) => c.kind === "kek-destroyed" && c.what.keyIds[0] === keyId));
  // New late data of that period gets a new KEK version, never the destroyed one.
  await w.store.append("t1", [rec("t1", API, T0 + 5n, "late")]);
  await w.store.flush();
  assert.ok(blocksOf(w).some((b) => b.keyId === "kek:t1:r90d:2023-11:v2"));
  await w.store.close();
});

test("KEKs whose period has not expired are kept even when they have no blocks", async () => {
  const w = await seeded();
  w.clock.set(T0 + 10n + 90n * DAY);
  const r = await w.enforcer.run();
  assert.equal(r.deletedBlocks, 1);
  assert.deepEqual(r.destroyedKeks, [], "2023-11 + 90 days is not over on 2024-02-12");
  await w.store.close();
});

test("every deletion yields a certificate anchored to the ledger, and verify checks it", async () => {
  const w = await seeded(1);
  w.clock.set(T0 + 500n * DAY);
  const r = await w.enforcer.run();
  assert.equal(r.batches, 3);
  const certs = await w.certificates.list(["t1"]);
  assert.equal(certs.filter((c) => c.kind === "retention").length, 3);
  const entries = ((await w.store.ledger("t1")).raw as { entries(): never[] }).entries();
  for (const c of certs) {
    assert.deepEqual(certificateProblems(c, entries), []);
    if (c.kind === "retention") {
      assert.equal(c.what.records, 1);
      assert.equal(c.by, "retention-job");
      assert.equal(c.what.blocks.length, 1);
      assert.ok(c.ledger.checkpoint.treeSize > c.ledger.leafIndex);
    }
  }
  await w.store.close();
  const ok = await verifyDataDir({ dataDir: "/data", fs: w.fs });
  assert.deepEqual(ok.problems, []);
  // A forged certificate (other header hash) fails verification, naming the certificate.
  const first = certs.find((c) => c.kind === "retention");
  assert.ok(first !== undefined);
  const path = w.fs.join(retentionPaths(w.fs, "/data").certificatesDir, `${first.id}.json`);
  const forged = { ...first, what: { ...first.what, blocks: first.what.blocks.map((b) => ({ ...b, headerHash: "0".repeat(64) })) } };
  await w.fs.writeFileAtomic(path, Buffer.from(JSON.stringify(forged)));
  const bad = await verifyDataDir({ dataDir: "/data", fs: w.fs });
  assert.equal(bad.ok, false);
  assert.ok(bad.problems.some((p) => p.kind === "certificate" && p.message.includes(first.id)));
});

test("a block deleted without a tombstone makes verify fail, while retention deletions keep it passing", async () => {
  const w = await seeded();
  w.clock.set(T0 + 100n * DAY);
  await w.enforcer.run();
  const left = blocksOf(w);
  await w.store.close();
  assert.equal((await verifyDataDir({ dataDir: "/data", fs: w.fs })).ok, true);
  const victim = left[0];
  assert.ok(victim !== undefined);
  await w.fs.unlink(`/data/tenants/t1/blocks/${victim.blockId}.blk`);
  const r = await verifyDataDir({ dataDir: "/data", fs: w.fs });
  assert.equal(r.ok, false);
  assert.ok(r.problems.some((p) => p.kind === "block-missing" && p.block === victim.blockId));
});

test("a run interrupted after its first tombstone is finished by the next run with nothing lost or half-deleted", async () => {
  const w = await seeded(1);
  w.clock.set(T0 + 500n * DAY);
  const stopping = new Error("interrupted");
  const { RetentionEnforcer } = await import("./retention-enforcer.js");
  const broken = new RetentionEnforcer({
    target: w.store,
    policies: w.policies,
    holds: w.holds,
    certificates: w.certificates,
    clock: w.clock,
    batchSize: 1,
    onBatch: () => {
      throw stopping;
    },
  });
  await assert.rejects(broken.run(), /interrupted/);
  assert.equal(blocksOf(w).length, 2);
  assert.equal((await w.certificates.list()).length, 0);
  const r = await w.enforcer.run();
  assert.equal(r.deletedBlocks, 2);
  assert.equal((await w.certificates.list()).filter((c) => c.kind === "retention").length, 3, "the interrupted batch gets its certificate too");
  await w.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

test("two runs at once are refused with RETENTION_BUSY", async () => {
  const w = await seeded();
  const a = w.enforcer.run();
  await assert.rejects(w.enforcer.run(), { code: "RETENTION_BUSY" });
  await a;
  await w.store.close();
});

test("records of deleted blocks are not replayed from the WAL on reopen, and the stream's next block continues its chain", async () => {
  const w = await seeded();
  w.clock.set(T0 + 100n * DAY);
  assert.equal((await w.enforcer.run()).deletedBlocks, 1);
  await w.store.close();
  // Reopen on the same disk: the WAL still holds the deleted records; they must stay deleted.
  const again = await retentionWorld({ fs: w.fs, clock: w.clock });
  const api = streamIdOf("t1", API);
  const rows: string[] = [];
  for await (const batch of again.store.select({ tenant: "t1", streamIds: [api], start: 0n, end: T0 * 2n, direction: "forward" }))
    rows.push(...batch.map((e) => e.record.body));
  assert.deepEqual(rows, []);
  await again.store.append("t1", [rec("t1", API, T0 + 100n * DAY, "api later")]);
  await again.store.flush();
  assert.equal(blocksOf(again).filter((b) => b.streamId === api).length, 1);
  await again.store.close();
  assert.deepEqual((await verifyDataDir({ dataDir: "/data", fs: w.fs })).problems, []);
});

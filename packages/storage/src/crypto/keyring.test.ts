// Key ring tests: envelope round trip, wrong/insecure master keys, crypto-shredding, rotation and its crash recovery.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile, copyFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, MeshlogError } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { NodeFileSystem } from "../io/node-file-system.js";
import { openAesGcm } from "./aead.js";
import { KEY_RING_FILE, MASTER_KEY_FILE, MASTER_KEY_NEXT_FILE, decodeKeyRing, decodeMasterKeyFile, parseMasterKey } from "./key-files.js";
import { KeyRing } from "./keyring.js";

const DIR = "/data/keys";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MeshlogError, `expected a MeshlogError, got ${String(e)}`);
    return e.code;
  }
  return "resolved";
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-keys-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("a data key unwraps to the same bytes, also after reopening the ring", async () => {
  const fs = new FaultyFileSystem();
  const ring = await KeyRing.open(fs, DIR, { clock: new ManualClock() });
  const dk = await ring.newDataKey("acme", "default", "2026-11");
  assert.equal(dk.keyId, "kek:acme:default:2026-11:v1");
  assert.equal(dk.dataKey.length, 32);
  assert.deepEqual(await ring.unwrapDataKey(dk.keyId, dk.wrappedKey), dk.dataKey);
  const again = await KeyRing.open(fs, DIR);
  assert.deepEqual(await again.unwrapDataKey(dk.keyId, dk.wrappedKey), dk.dataKey);
  const master = await fs.stat(`${DIR}/${MASTER_KEY_FILE}`);
  assert.equal((master?.mode ?? 0) & 0o777, 0o600);
});

test("one KEK per tenant, retention class and month; a fresh data key per call", async () => {
  const ring = await KeyRing.open(new FaultyFileSystem(), DIR, { masterKey: randomBytes(32) });
  const a = await ring.newDataKey("acme", "default", "2026-11");
  const b = await ring.newDataKey("acme", "default", "2026-11");
  const c = await ring.newDataKey("acme", "default", "2026-12");
  const d = await ring.newDataKey("acme", "audit", "2026-11");
  const e = await ring.newDataKey("other", "default", "2026-11");
  assert.equal(a.keyId, b.keyId);
  assert.notDeepEqual(a.dataKey, b.dataKey);
  assert.deepEqual(new Set([a.keyId, c.keyId, d.keyId, e.keyId]).size, 4);
  const keks = await ring.listKeks();
  assert.deepEqual(
    keks.map((k) => [k.id, k.tenant, k.class, k.period, k.version]),
    [
      ["kek:acme:default:2026-11:v1", "acme", "default", "2026-11", 1],
      ["kek:acme:default:2026-12:v1", "acme", "default", "2026-12", 1],
      ["kek:acme:audit:2026-11:v1", "acme", "audit", "2026-11", 1],
      ["kek:other:default:2026-11:v1", "other", "default", "2026-11", 1],
    ],
  );
  assert.ok(keks.every((k) => k.destroyedAt === undefined && k.createdAt.endsWith("Z")));
});

test("a data key wrapped under one KEK does not unwrap under another, and tampering is detected", async () => {
  const ring = await KeyRing.open(new FaultyFileSystem(), DIR, { masterKey: randomBytes(32) });
  const a = await ring.newDataKey("acme", "default", "2026-11");
  const c = await ring.newDataKey("acme", "default", "2026-12");
  assert.equal(await codeOf(ring.unwrapDataKey(c.keyId, a.wrappedKey)), "BLOCK_CORRUPT");
  const bad = Buffer.from(a.wrappedKey);
  bad[20] = (bad[20] as number) ^ 1;
  assert.equal(await codeOf(ring.unwrapDataKey(a.keyId, bad)), "BLOCK_CORRUPT");
  assert.equal(await codeOf(ring.unwrapDataKey("kek:acme:default:1999-01:v1", a.wrappedKey)), "KEY_UNAVAILABLE");
});

test("invalid key requests are refused", async () => {
  const ring = await KeyRing.open(new FaultyFileSystem(), DIR, { masterKey: randomBytes(32) });
  const cases: Array<[string, string, string]> = [
    ["../etc", "default", "2026-11"],
    ["acme", "De Fault", "2026-11"],
    ["acme", "default", "2026-13"],
    ["acme", "default", "2026-1"],
    ["acme", "", "2026-11"],
    ["a:b", "default", "2026-11"],
  ];
  for (const [t, c, p] of cases) assert.equal(await codeOf(ring.newDataKey(t, c, p)), "KEY_ARGUMENT_INVALID", `${t} ${c} ${p}`);
  assert.equal(await codeOf(KeyRing.open(new FaultyFileSystem(), DIR, { masterKey: randomBytes(16) })), "KEY_MASTER_INVALID");
});

test("the wrong master key fails clearly, naming both fingerprints", async () => {
  const fs = new FaultyFileSystem();
  const right = randomBytes(32);
  await (await KeyRing.open(fs, DIR, { masterKey: right })).newDataKey("acme", "default", "2026-11");
  await assert.rejects(KeyRing.open(fs, DIR, { masterKey: randomBytes(32) }), (e: MeshlogError) => {
    assert.equal(e.code, "KEY_MASTER_MISMATCH");
    assert.match(e.message, /MESHLOG_MASTER_KEY \(fingerprint [0-9a-f]{16}\) does not match the key ring "\/data\/keys\/keyring.bin"/);
    return true;
  });
  // A ring created from master.key, opened with some other env key.
  const fs2 = new FaultyFileSystem();
  await KeyRing.open(fs2, DIR);
  assert.equal(await codeOf(KeyRing.open(fs2, DIR, { masterKey: right })), "KEY_MASTER_MISMATCH");
  fs2.setFile(`${DIR}/${MASTER_KEY_FILE}`, Buffer.from("not a key"));
  assert.equal(await codeOf(KeyRing.open(fs2, DIR)), "KEY_MASTER_INVALID");
  await fs2.unlink(`${DIR}/${MASTER_KEY_FILE}`);
  assert.equal(await codeOf(KeyRing.open(fs2, DIR)), "KEY_MASTER_MISMATCH", "ring present, master.key missing");
});

test("a group- or world-readable master key file is refused with the chmod to run", async () => {
  await withTempDir(async (dir) => {
    const fs = new NodeFileSystem();
    await KeyRing.open(fs, dir);
    const path = join(dir, MASTER_KEY_FILE);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(path, mode);
      await assert.rejects(KeyRing.open(fs, dir), (e: MeshlogError) => {
        assert.equal(e.code, "KEY_MASTER_INSECURE");
        assert.ok(e.message.includes(`"${path}"`) && e.message.includes(`chmod 600 ${path}`), e.message);
        return true;
      });
    }
    await chmod(path, 0o600);
    await KeyRing.open(fs, dir);
  });
});

test("destroyKek makes unwrapping impossible and leaves no KEK material in any file of the keys folder", async () => {
  await withTempDir(async (dir) => {
    const fs = new NodeFileSystem();
    const clock = new ManualClock();
    const ring = await KeyRing.open(fs, dir, { clock });
    const dk = await ring.newDataKey("acme", "default", "2026-11");
    const keep = await ring.newDataKey("acme", "default", "2026-12");
    // Recover the raw KEK the way an attacker holding the folder would: master.key + keyring.bin.
    const master = decodeMasterKeyFile(await readFile(join(dir, MASTER_KEY_FILE)), "master.key");
    const rec = decodeKeyRing(await readFile(join(dir, KEY_RING_FILE)), "keyring.bin").keks.find((k) => k.id === dk.keyId);
    const wrapped = Buffer.from(rec?.wrapped ?? "", "base64");
    const rawKek = openAesGcm(master, wrapped, Buffer.from(dk.keyId));
    assert.deepEqual(openAesGcm(rawKek, dk.wrappedKey, Buffer.from(dk.keyId)), dk.dataKey, "the attack works before destruction");
    // Stray copies of the ring (a backup, an interrupted atomic write) must go too.
    await copyFile(join(dir, KEY_RING_FILE), join(dir, `${KEY_RING_FILE}.bak`));
    await copyFile(join(dir, KEY_RING_FILE), join(dir, `.${KEY_RING_FILE}.123.456.tmp`));

    clock.advance(5_000_000_000n);
    await ring.destroyKek(dk.keyId);
    await ring.destroyKek(dk.keyId); // idempotent

    assert.equal(await codeOf(ring.unwrapDataKey(dk.keyId, dk.wrappedKey)), "KEY_UNAVAILABLE");
    const reopened = await KeyRing.open(fs, dir);
    assert.equal(await codeOf(reopened.unwrapDataKey(dk.keyId, dk.wrappedKey)), "KEY_UNAVAILABLE");
    assert.deepEqual(await reopened.unwrapDataKey(keep.keyId, keep.wrappedKey), keep.dataKey, "other periods stay readable");
    const info = (await reopened.listKeks()).find((k) => k.id === dk.keyId);
    assert.equal(info?.destroyedAt, "2023-11-14T22:13:25.000000000Z");

    const names = await readdir(dir);
    assert.deepEqual(names.sort(), ["keyring.bin", "master.key"]);
    for (const name of names) {
      const bytes = await readFile(join(dir, name));
      assert.equal(bytes.indexOf(rawKek), -1, `raw KEK bytes in ${name}`);
      assert.equal(bytes.indexOf(wrapped), -1, `wrapped KEK bytes in ${name}`);
      assert.equal(bytes.indexOf(Buffer.from(wrapped.toString("base64"))), -1, `base64 wrapped KEK in ${name}`);
    }
    // A new block for the shredded period gets a new KEK version, never the old key.
    const late = await reopened.newDataKey("acme", "default", "2026-11");
    assert.equal(late.keyId, "kek:acme:default:2026-11:v2");
    assert.equal(await codeOf(reopened.destroyKek("kek:nobody:default:2026-11:v1")), "KEY_UNAVAILABLE");
  });
});

test("master key rotation re-wraps KEKs: data stays readable with the new key, the old key is refused", async () => {
  const fs = new FaultyFileSystem();
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const ring = await KeyRing.open(fs, DIR, { masterKey: oldKey });
  const a = await ring.newDataKey("acme", "default", "2026-11");
  const b = await ring.newDataKey("acme", "audit", "2026-11");
  await ring.destroyKek(b.keyId);
  const before = await fs.readFile(`${DIR}/${KEY_RING_FILE}`);
  await ring.rotateMaster(newKey);
  assert.notDeepEqual(await fs.readFile(`${DIR}/${KEY_RING_FILE}`), before);
  assert.deepEqual(await ring.unwrapDataKey(a.keyId, a.wrappedKey), a.dataKey);
  const reopened = await KeyRing.open(fs, DIR, { masterKey: newKey });
  assert.deepEqual(await reopened.unwrapDataKey(a.keyId, a.wrappedKey), a.dataKey);
  assert.equal(await codeOf(reopened.unwrapDataKey(b.keyId, b.wrappedKey)), "KEY_UNAVAILABLE");
  await assert.rejects(KeyRing.open(fs, DIR, { masterKey: oldKey }), /before the last rotation/);
  assert.equal(await codeOf(ring.rotateMaster(Buffer.alloc(3))), "KEY_MASTER_INVALID");
});

test("a file master key rotation survives a crash before or after the ring is rewritten", async () => {
  await withTempDir(async (dir) => {
    const fs = new NodeFileSystem();
    const ring = await KeyRing.open(fs, dir);
    const a = await ring.newDataKey("acme", "default", "2026-11");
    const oldMasterFile = await readFile(join(dir, MASTER_KEY_FILE));
    const oldRing = await readFile(join(dir, KEY_RING_FILE));
    await ring.rotateMaster(randomBytes(32));
    assert.notDeepEqual(await readFile(join(dir, MASTER_KEY_FILE)), oldMasterFile);
    assert.deepEqual(await (await KeyRing.open(fs, dir)).unwrapDataKey(a.keyId, a.wrappedKey), a.dataKey);

    // Crash after the ring was rewritten, before master.key.next was renamed: the rotation is finished.
    await rename(join(dir, MASTER_KEY_FILE), join(dir, MASTER_KEY_NEXT_FILE));
    await writeFile(join(dir, MASTER_KEY_FILE), oldMasterFile, { mode: 0o600 });
    assert.deepEqual(await (await KeyRing.open(fs, dir)).unwrapDataKey(a.keyId, a.wrappedKey), a.dataKey);
    assert.deepEqual((await readdir(dir)).sort(), ["keyring.bin", "master.key"]);

    // Crash before the ring was rewritten: the new key is discarded and the old pair keeps working.
    const current = await readFile(join(dir, MASTER_KEY_FILE));
    await writeFile(join(dir, MASTER_KEY_NEXT_FILE), oldMasterFile, { mode: 0o600 });
    assert.deepEqual(await (await KeyRing.open(fs, dir)).unwrapDataKey(a.keyId, a.wrappedKey), a.dataKey);
    assert.deepEqual(await readFile(join(dir, MASTER_KEY_FILE)), current);
    assert.notDeepEqual(oldRing, await readFile(join(dir, KEY_RING_FILE)));
  });
});

test("a corrupt or foreign key ring file is refused with KEY_RING_CORRUPT", async () => {
  const fs = new FaultyFileSystem();
  const key = randomBytes(32);
  await (await KeyRing.open(fs, DIR, { masterKey: key })).newDataKey("acme", "default", "2026-11");
  const path = `${DIR}/${KEY_RING_FILE}`;
  const good = await fs.readFile(path);
  const variants: Array<[string, Buffer]> = [
    ["flipped body byte", Buffer.from(good).fill(0x41, 40, 41)],
    ["truncated", good.subarray(0, good.length - 5)],
    ["empty", Buffer.alloc(0)],
    ["bad magic", Buffer.concat([Buffer.from("XXXXXXXX"), good.subarray(8)])],
    ["hostile huge json", Buffer.concat([good.subarray(0, 12), Buffer.from("[".repeat(100000))])],
  ];
  for (const [name, data] of variants) {
    fs.setFile(path, data);
    assert.equal(await codeOf(KeyRing.open(fs, DIR, { masterKey: key })), "KEY_RING_CORRUPT", name);
  }
});

test("MESHLOG_MASTER_KEY parsing accepts 32 bytes as hex or base64 and never echoes the value", () => {
  const key = randomBytes(32);
  assert.deepEqual(parseMasterKey(key.toString("hex")), key);
  assert.deepEqual(parseMasterKey(` ${key.toString("hex").toUpperCase()}\n`), key);
  assert.deepEqual(parseMasterKey(key.toString("base64")), key);
  assert.deepEqual(parseMasterKey(key.toString("base64url")), key);
  for (const bad of ["", "abc", key.toString("hex").slice(2), randomBytes(33).toString("base64"), "z".repeat(64), "secret-value-123"]) {
    assert.throws(
      () => parseMasterKey(bad),
      (e: MeshlogError) => e.code === "KEY_MASTER_INVALID" && (bad.length < 4 || !e.message.includes(bad)),
      JSON.stringify(bad),
    );
  }
});

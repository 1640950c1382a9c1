// Signer tests: key file created 0600 and reused, insecure or foreign key files refused, signatures verify only as made.

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { NodeFileSystem } from "../io/node-file-system.js";
import { SIGNING_KEY_FILE, SIGNING_PUBLIC_KEY_FILE, Signer, signingKeyIdOf, trustedPublicKeysIn } from "./signer.js";

test("the signing key is created at first start with mode 0600 and reused afterwards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-signer-"));
  try {
    const fs = new NodeFileSystem();
    const a = await Signer.open(fs, dir);
    assert.equal((await stat(join(dir, SIGNING_KEY_FILE))).mode & 0o777, 0o600);
    const b = await Signer.open(fs, dir);
    assert.equal(a.keyId(), b.keyId());
    assert.match(a.keyId(), /^[0-9a-f]{16}$/);
    assert.equal(a.publicKeyPem(), b.publicKeyPem());
    assert.deepEqual(await trustedPublicKeysIn(fs, dir), [a.publicKeyPem()]);

    await chmod(join(dir, SIGNING_KEY_FILE), 0o644);
    await assert.rejects(
      Signer.open(fs, dir),
      (e: MeshlogError) => e.code === "LEDGER_SIGNING_KEY_INSECURE" && e.message.includes(`chmod 600 ${join(dir, SIGNING_KEY_FILE)}`),
    );
    await chmod(join(dir, SIGNING_KEY_FILE), 0o600);

    // A public key file that belongs to another key is an inconsistency, not something to overwrite.
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }).toString();
    await writeFile(join(dir, SIGNING_PUBLIC_KEY_FILE), other);
    await assert.rejects(Signer.open(fs, dir), /does not belong to the signing key/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("non-Ed25519 or garbage key files are refused", async () => {
  const fs = new FaultyFileSystem();
  await fs.mkdirp("/k");
  fs.setFile(`/k/${SIGNING_KEY_FILE}`, Buffer.from("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"));
  await assert.rejects(Signer.open(fs, "/k"), (e: MeshlogError) => e.code === "LEDGER_SIGNING_KEY_INVALID");
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" });
  fs.setFile(`/k/${SIGNING_KEY_FILE}`, Buffer.from(ec));
  await assert.rejects(Signer.open(fs, "/k"), /is ec, not Ed25519/);
});

test("signatures verify for the signed bytes and key only", async () => {
  const fs = new FaultyFileSystem();
  const s = await Signer.open(fs, "/k");
  const data = Buffer.from("meshlog.ledger/acme\n3\nroot\n");
  const sig = s.sign(data);
  assert.equal(sig.length, 64);
  assert.ok(Signer.verify(s.publicKeyPem(), data, sig));
  assert.equal(signingKeyIdOf(s.publicKeyPem()), s.keyId());
  const other = await Signer.open(new FaultyFileSystem(), "/k");
  const flipped = Buffer.from(sig);
  flipped[0] = (flipped[0] as number) ^ 1;
  const cases: Array<[string, boolean]> = [
    ["other data", Signer.verify(s.publicKeyPem(), Buffer.from("meshlog.ledger/acme\n4\nroot\n"), sig)],
    ["other key", Signer.verify(other.publicKeyPem(), data, sig)],
    ["flipped signature", Signer.verify(s.publicKeyPem(), data, flipped)],
    ["short signature", Signer.verify(s.publicKeyPem(), data, sig.subarray(0, 63))],
    ["garbage key", Signer.verify("not a pem", data, sig)],
    ["empty signature", Signer.verify(s.publicKeyPem(), data, Buffer.alloc(0))],
  ];
  for (const [name, ok] of cases) assert.equal(ok, false, name);
});

test("rotation keeps the old public key trusted and a crash mid-rotation is finished on open", async () => {
  const fs = new FaultyFileSystem();
  const signer = await Signer.open(fs, "/k");
  const oldPem = signer.publicKeyPem();
  const { previousKeyId, keyId } = await signer.rotate();
  assert.equal(previousKeyId, signingKeyIdOf(oldPem));
  assert.notEqual(keyId, previousKeyId);
  assert.equal(signer.keyId(), keyId);
  assert.ok(Signer.verify(signer.publicKeyPem(), Buffer.from("x"), signer.sign(Buffer.from("x"))));
  assert.deepEqual((await trustedPublicKeysIn(fs, "/k")).sort(), [oldPem, signer.publicKeyPem()].sort());
  assert.equal((await Signer.open(fs, "/k")).keyId(), keyId);
  // Crash after the new private key, before the new public key file.
  fs.setFile(`/k/${SIGNING_PUBLIC_KEY_FILE}`, Buffer.from(oldPem));
  const reopened = await Signer.open(fs, "/k");
  assert.equal(reopened.keyId(), keyId);
  assert.equal((await fs.readFile(`/k/${SIGNING_PUBLIC_KEY_FILE}`)).toString(), signer.publicKeyPem());
});

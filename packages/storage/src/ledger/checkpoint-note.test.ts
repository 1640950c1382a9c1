// Signed-note export tests: layout, key hint, and that the signature line verifies over the body.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey } from "node:crypto";
import { ManualClock } from "@meshlog/core";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { checkpointNote, noteKeyHint } from "./checkpoint-note.js";
import { Ledger } from "./ledger.js";
import { Signer } from "./signer.js";

test("a checkpoint exports as a C2SP signed note whose signature verifies over the body", async () => {
  const fs = new FaultyFileSystem();
  const signer = await Signer.open(fs, "/k");
  const ledger = await Ledger.open(fs, "/l", "acme", signer, new ManualClock());
  await ledger.appendEvent({ kind: "policy.changed", data: { retention: "400d" } });
  const cp = await ledger.checkpoint();
  const note = checkpointNote(cp, signer.publicKeyPem());
  const [body, sigLine] = note.split("\n\n");
  assert.ok(body !== undefined && sigLine !== undefined);
  const lines = body.split("\n");
  assert.deepEqual(lines.slice(0, 3), ["meshlog.ledger/acme", "1", Buffer.from(cp.rootHash, "hex").toString("base64")]);
  const m = /^\u2014 meshlog\.ledger\/acme ([A-Za-z0-9+/=]+)\n$/.exec(sigLine);
  assert.ok(m, sigLine);
  const blob = Buffer.from(m[1] as string, "base64");
  assert.equal(blob.length, 68);
  const raw = createPublicKey(signer.publicKeyPem()).export({ format: "der", type: "spki" }).subarray(-32);
  const hint = createHash("sha256")
    .update(Buffer.concat([Buffer.from("meshlog.ledger/acme\n\u0001"), raw]))
    .digest()
    .subarray(0, 4);
  assert.deepEqual(blob.subarray(0, 4), hint);
  assert.deepEqual(noteKeyHint("meshlog.ledger/acme", signer.publicKeyPem()), hint);
  assert.ok(Signer.verify(signer.publicKeyPem(), Buffer.from(`${body}\n`), blob.subarray(4)));
  assert.ok(!Signer.verify(signer.publicKeyPem(), Buffer.from(`${body.replace("\n1\n", "\n2\n")}\n`), blob.subarray(4)));
  await ledger.close();
});

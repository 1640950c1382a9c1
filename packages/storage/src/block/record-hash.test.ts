// Record hash tests: the block's plaintext Merkle root equals the ledger's RFC 6962 tree hash for every size.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { merkleRoot } from "../ledger/merkle.js";
import { merkleRootOf } from "./record-hash.js";

const leaf = (i: number): Buffer => createHash("sha256").update(`leaf ${i}`).digest();

test("merkleRootOf gives the ledger's tree hash for 0 to 300 leaves", () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leaf(i));
  for (let n = 0; n <= 300; n++) assert.deepEqual(merkleRootOf(leaves.slice(0, n)), merkleRoot(leaves.slice(0, n)), `${n} leaves`);
});

test("merkleRootOf is order-sensitive and does not alter its leaves", () => {
  const leaves = Array.from({ length: 5 }, (_, i) => leaf(i));
  const copies = leaves.map((l) => Buffer.from(l));
  const root = merkleRootOf(leaves);
  assert.deepEqual(leaves, copies);
  assert.notDeepEqual(merkleRootOf([...leaves].reverse()), root);
  // A leaf of the wrong size still hashes exactly as the ledger does.
  const odd = [...leaves, Buffer.from("short")];
  assert.deepEqual(merkleRootOf(odd), merkleRoot(odd));
});

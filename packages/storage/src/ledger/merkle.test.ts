// Merkle tree tests: RFC 6962 reference vectors, property tests for proofs, adversarial proofs.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EMPTY_ROOT, consistencyProof, inclusionProof, leafHash, merkleRoot, nodeHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { MerkleTree } from "./merkle-tree.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Buffer => Buffer.from(s, "hex");

// Certificate Transparency reference data (RFC 6962 test vectors used across implementations).
const CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(unhex);
const CT_ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const CT_INCLUSION: Array<[number, number, string[]]> = [
  [0, 1, []],
  [
    0,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    5,
    8,
    [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
];
const CT_CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  ],
  [
    6,
    8,
    [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  ],
  [2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];

const ctLeafHashes = CT_LEAVES.map((l) => leafHash(l));

function treeOf(leaves: readonly Buffer[]): MerkleTree {
  const t = new MerkleTree();
  for (const l of leaves) t.append(l);
  return t;
}

test("the empty tree's root is SHA-256 of the empty string", () => {
  assert.equal(hex(merkleRoot([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.deepEqual(new MerkleTree().root(), EMPTY_ROOT);
});

test("roots match the RFC 6962 reference vectors for every size 1..8", () => {
  const tree = treeOf(ctLeafHashes);
  for (let n = 1; n <= 8; n++) {
    assert.equal(hex(merkleRoot(ctLeafHashes.slice(0, n))), CT_ROOTS[n - 1], `array root at size ${n}`);
    assert.equal(hex(tree.root(n)), CT_ROOTS[n - 1], `incremental root at size ${n}`);
  }
});

test("inclusion proofs match the reference vectors and verify", () => {
  const tree = treeOf(ctLeafHashes);
  for (const [index, size, want] of CT_INCLUSION) {
    const leaves = ctLeafHashes.slice(0, size);
    assert.deepEqual(inclusionProof(index, leaves).map(hex), want, `array proof ${index}/${size}`);
    assert.deepEqual(tree.inclusionProof(index, size).map(hex), want, `tree proof ${index}/${size}`);
    assert.ok(verifyInclusion(index, size, ctLeafHashes[index] as Buffer, want.map(unhex), unhex(CT_ROOTS[size - 1] as string)));
  }
});

test("consistency proofs match the reference vectors and verify", () => {
  const tree = treeOf(ctLeafHashes);
  for (const [m, n, want] of CT_CONSISTENCY) {
    assert.deepEqual(consistencyProof(m, ctLeafHashes.slice(0, n)).map(hex), want, `array proof ${m}->${n}`);
    assert.deepEqual(tree.consistencyProof(m, n).map(hex), want, `tree proof ${m}->${n}`);
    assert.ok(verifyConsistency(m, n, unhex(CT_ROOTS[m - 1] as string), unhex(CT_ROOTS[n - 1] as string), want.map(unhex)), `${m}->${n}`);
  }
});

test("leaf and node hashes are domain separated", () => {
  const a = leafHash(Buffer.from("x"));
  const b = leafHash(Buffer.from("y"));
  assert.notEqual(hex(nodeHash(a, b)), hex(leafHash(Buffer.concat([a, b]))));
});

// Leaves carry their position, so no two are equal (equal leaves make some swapped proofs legitimately valid).
const arbLeaves = fc
  .array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 })
  .map((ls) => ls.map((l, i) => leafHash(Buffer.concat([Buffer.from(`${i}:`), l]))));

test("property: the incremental tree agrees with the reference recursion for roots and proofs", () => {
  fc.assert(
    fc.property(arbLeaves, fc.nat(), fc.nat(), (leaves, a, b) => {
      const tree = treeOf(leaves);
      const n = 1 + (a % leaves.length);
      const prefix = leaves.slice(0, n);
      assert.deepEqual(tree.root(n), merkleRoot(prefix));
      const i = b % n;
      assert.deepEqual(tree.inclusionProof(i, n), inclusionProof(i, prefix));
      const m = b % (n + 1);
      assert.deepEqual(tree.consistencyProof(m, n), consistencyProof(m, prefix));
    }),
    { numRuns: 300 },
  );
});

test("property: every inclusion proof verifies, and fails for another index, leaf or root", () => {
  fc.assert(
    fc.property(arbLeaves, fc.nat(), (leaves, seed) => {
      const n = leaves.length;
      const i = seed % n;
      const root = merkleRoot(leaves);
      const proof = inclusionProof(i, leaves);
      const leaf = leaves[i] as Buffer;
      assert.ok(verifyInclusion(i, n, leaf, proof, root));
      if (n > 1) {
        const j = (i + 1) % n;
        if (!(leaves[j] as Buffer).equals(leaf)) assert.ok(!verifyInclusion(j, n, leaf, proof, root), "other index");
        assert.ok(!verifyInclusion(i, n, leafHash(Buffer.from("intruder")), proof, root), "other leaf");
      }
      assert.ok(!verifyInclusion(i, n, leaf, proof, leafHash(Buffer.from("root"))), "other root");
      assert.ok(!verifyInclusion(i, n, leaf, [...proof, leaf], root), "extra element");
    }),
    { numRuns: 300 },
  );
});

test("property: a tampered inclusion proof never verifies", () => {
  fc.assert(
    fc.property(
      arbLeaves.filter((l) => l.length > 1),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 255 }),
      (leaves, seed, pos, bit) => {
        const i = seed % leaves.length;
        const proof = inclusionProof(i, leaves).map((p) => Buffer.from(p));
        const k = pos % proof.length;
        const target = proof[k] as Buffer;
        target[bit % 32] = (target[bit % 32] as number) ^ (1 << (bit % 8));
        assert.ok(!verifyInclusion(i, leaves.length, leaves[i] as Buffer, proof, merkleRoot(leaves)));
        const shorter = inclusionProof(i, leaves).slice(0, -1);
        assert.ok(!verifyInclusion(i, leaves.length, leaves[i] as Buffer, shorter, merkleRoot(leaves)), "truncated proof");
      },
    ),
    { numRuns: 300 },
  );
});

test("property: every consistency proof verifies, and tampered proofs or roots fail", () => {
  fc.assert(
    fc.property(arbLeaves, fc.nat(), fc.nat(), fc.nat({ max: 255 }), (leaves, a, pos, bit) => {
      const n = leaves.length;
      const m = a % (n + 1);
      const oldRoot = merkleRoot(leaves.slice(0, m));
      const newRoot = merkleRoot(leaves);
      const proof = consistencyProof(m, leaves);
      assert.ok(verifyConsistency(m, n, oldRoot, newRoot, proof), `${m}->${n}`);
      if (m > 0 && m < n) {
        const bad = proof.map((p) => Buffer.from(p));
        const t = bad[pos % bad.length] as Buffer;
        t[bit % 32] = (t[bit % 32] as number) ^ (1 << (bit % 8));
        assert.ok(!verifyConsistency(m, n, oldRoot, newRoot, bad), "flipped proof bit");
        assert.ok(!verifyConsistency(m, n, leafHash(Buffer.from("old")), newRoot, proof), "other old root");
        assert.ok(!verifyConsistency(m, n, oldRoot, leafHash(Buffer.from("new")), proof), "other new root");
        assert.ok(!verifyConsistency(m, n, oldRoot, newRoot, proof.slice(1)), "dropped element");
        assert.ok(!verifyConsistency(m, n, oldRoot, newRoot, [...proof, newRoot]), "extra element");
      }
    }),
    { numRuns: 300 },
  );
});

test("property: a rewritten history is not consistent with the old root", () => {
  fc.assert(
    fc.property(
      arbLeaves.filter((l) => l.length > 2),
      fc.nat(),
      fc.nat(),
      (leaves, a, b) => {
        const n = leaves.length;
        const m = 1 + (a % (n - 1));
        const forged: Buffer[] = leaves.map((l) => Buffer.from(l));
        forged[b % m] = leafHash(Buffer.from(`forged-${b}`));
        const proof = consistencyProof(m, forged);
        assert.ok(!verifyConsistency(m, n, merkleRoot(leaves.slice(0, m)), merkleRoot(forged), proof));
      },
    ),
    { numRuns: 200 },
  );
});

test("hostile proof inputs are rejected without throwing", () => {
  const root = merkleRoot(ctLeafHashes);
  const leaf = ctLeafHashes[0] as Buffer;
  const cases: Array<[string, () => boolean]> = [
    ["negative index", () => verifyInclusion(-1, 8, leaf, [], root)],
    ["index past size", () => verifyInclusion(8, 8, leaf, [], root)],
    ["fractional size", () => verifyInclusion(0, 7.5, leaf, [], root)],
    ["short proof element", () => verifyInclusion(0, 8, leaf, [Buffer.alloc(31)], root)],
    ["short leaf", () => verifyInclusion(0, 1, Buffer.alloc(3), [], root)],
    [
      "huge proof",
      () =>
        verifyInclusion(
          0,
          8,
          leaf,
          Array.from({ length: 200 }, () => leaf),
          root,
        ),
    ],
    ["old size past new", () => verifyConsistency(9, 8, root, root, [])],
    ["empty proof for growth", () => verifyConsistency(3, 8, root, root, [])],
    ["size 0 with foreign root", () => verifyConsistency(0, 8, root, root, [])],
    ["NaN sizes", () => verifyConsistency(Number.NaN, 8, root, root, [root])],
  ];
  for (const [name, run] of cases) assert.equal(run(), false, name);
});

test("proof requests outside the tree are refused with a clear error", () => {
  const tree = treeOf(ctLeafHashes);
  assert.throws(() => tree.inclusionProof(8), /leaf index 8 is outside a tree of size 8/);
  assert.throws(() => tree.root(9), /tree size 9 is outside 0..8/);
  assert.throws(() => tree.consistencyProof(5, 3), /old tree size 5 is larger than the new tree size 3/);
  assert.throws(() => inclusionProof(0, []), /outside a tree of size 0/);
  assert.throws(() => tree.append(Buffer.alloc(5)), /32 bytes/);
});

test("a large incremental tree stays consistent with the reference at sampled sizes", () => {
  const leaves = Array.from({ length: 1500 }, (_, i) => leafHash(Buffer.from(String(i))));
  const tree = treeOf(leaves);
  for (const n of [1, 2, 3, 511, 512, 513, 1024, 1499, 1500]) {
    assert.deepEqual(tree.root(n), merkleRoot(leaves.slice(0, n)), `size ${n}`);
    const p = tree.consistencyProof(Math.floor(n / 3), n);
    assert.ok(verifyConsistency(Math.floor(n / 3), n, tree.root(Math.floor(n / 3)), tree.root(n), p));
  }
});

// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification over arrays of leaf hashes.

import { createHash } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { LedgerErrors } from "./errors.js";

export const HASH_BYTES = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256 of the empty string: the root of an empty tree. */
export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

/** Leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

/** Interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function badArgument(message: string): never {
  throw new MeshlogError(LedgerErrors.LEDGER_ARGUMENT_INVALID, message);
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) badArgument(`${what} must be a non-negative integer, got ${n}`);
}

function mth(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Buffer;
  const k = splitPoint(n);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/** RFC 6962 Merkle Tree Hash over leaf hashes (already `leafHash`ed); empty = SHA-256 of "". */
export function merkleRoot(leafHashes: readonly Buffer[]): Buffer {
  return mth(leafHashes, 0, leafHashes.length);
}

function path(m: number, leaves: readonly Buffer[], lo: number, hi: number, out: Buffer[]): void {
  const n = hi - lo;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    path(m, leaves, lo, lo + k, out);
    out.push(mth(leaves, lo + k, hi));
  } else {
    path(m - k, leaves, lo + k, hi, out);
    out.push(mth(leaves, lo, lo + k));
  }
}

/** Audit path (RFC 9162 §2.1.3.1) of leaf `index` in the tree of all `leafHashes`, leaf-to-root order. */
export function inclusionProof(index: number, leafHashes: readonly Buffer[]): Buffer[] {
  checkSize(index, "leaf index");
  if (index >= leafHashes.length) badArgument(`leaf index ${index} is outside a tree of size ${leafHashes.length}`);
  const out: Buffer[] = [];
  path(index, leafHashes, 0, leafHashes.length, out);
  return out;
}

function subproof(m: number, leaves: readonly Buffer[], lo: number, hi: number, complete: boolean, out: Buffer[]): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push(mth(leaves, lo, hi));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(m, leaves, lo, lo + k, complete, out);
    out.push(mth(leaves, lo + k, hi));
  } else {
    subproof(m - k, leaves, lo + k, hi, false, out);
    out.push(mth(leaves, lo, lo + k));
  }
}

/**
 * Consistency proof (RFC 9162 §2.1.4.1) that the tree of the first `m` leaves is a prefix of the tree of
 * all `leafHashes`. Empty when m is 0 or equals the tree size.
 */
export function consistencyProof(m: number, leafHashes: readonly Buffer[]): Buffer[] {
  checkSize(m, "old tree size");
  if (m > leafHashes.length) badArgument(`old tree size ${m} is larger than the tree size ${leafHashes.length}`);
  const out: Buffer[] = [];
  if (m === 0 || m === leafHashes.length) return out;
  subproof(m, leafHashes, 0, leafHashes.length, true, out);
  return out;
}

/** True when n is 1, 2, 4, 8... (works beyond 32 bits). */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === HASH_BYTES && b.length === HASH_BYTES && Buffer.compare(a, b) === 0;
}

/**
 * Verifies an audit path (RFC 9162 §2.1.3.2): true only when `leaf` at `index` hashes up to `root`
 * in a tree of `treeSize` leaves. Never throws on malformed input; returns false.
 */
export function verifyInclusion(index: number, treeSize: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  if (leaf.length !== HASH_BYTES || proof.some((p) => p.length !== HASH_BYTES)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/**
 * Verifies a consistency proof (RFC 9162 §2.1.4.2) between a tree of `oldSize` leaves with root `oldRoot`
 * and a tree of `newSize` leaves with root `newRoot`. Size 0 is consistent with anything (empty proof).
 * Never throws on malformed input; returns false.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (oldSize === 0) return proof.length === 0 && sameHash(oldRoot, EMPTY_ROOT);
  if (oldSize === newSize) return proof.length === 0 && sameHash(oldRoot, newRoot);
  if (proof.length === 0) return false;
  const path: Uint8Array[] = [...proof];
  // An old tree whose size is a power of two is itself a complete subtree: its root starts the path.
  if (isPowerOfTwo(oldSize)) path.unshift(oldRoot);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  const first = path[0] as Uint8Array;
  let fr: Buffer = Buffer.from(first);
  let sr: Buffer = Buffer.from(first);
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sameHash(fr, oldRoot) && sameHash(sr, newRoot) && sn === 0;
}

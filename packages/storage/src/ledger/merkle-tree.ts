// Incremental RFC 6962 Merkle tree that caches complete subtrees, so roots and proofs cost O(log² n).

import { MeshlogError } from "@meshlog/core";
import { LedgerErrors } from "./errors.js";
import { EMPTY_ROOT, HASH_BYTES, isPowerOfTwo, nodeHash, splitPoint } from "./merkle.js";

/** A growable array of 32-byte hashes stored in one contiguous buffer. */
class HashArray {
  #buf = Buffer.alloc(HASH_BYTES * 64);
  #count = 0;
  get length(): number {
    return this.#count;
  }
  push(h: Uint8Array): void {
    if ((this.#count + 1) * HASH_BYTES > this.#buf.length) {
      const next = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(next);
      this.#buf = next;
    }
    this.#buf.set(h, this.#count * HASH_BYTES);
    this.#count++;
  }
  /** A copy of hash i (callers may keep it; the buffer is reallocated as it grows). */
  get(i: number): Buffer {
    return Buffer.from(this.#buf.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  }
}

function badArgument(message: string): never {
  throw new MeshlogError(LedgerErrors.LEDGER_ARGUMENT_INVALID, message);
}

/**
 * Append-only Merkle tree over leaf hashes. Invariant: level h holds the hash of every complete,
 * aligned subtree of 2^h leaves (node i covers leaves [i·2^h, (i+1)·2^h)); such hashes never change,
 * so roots and proofs for any earlier tree size are computed from them without rehashing leaves.
 */
export class MerkleTree {
  readonly #levels: HashArray[] = [new HashArray()];

  /** Number of leaves. */
  size(): number {
    return (this.#levels[0] as HashArray).length;
  }

  /** Appends one leaf hash (32 bytes, already `leafHash`ed); returns its index. */
  append(leaf: Uint8Array): number {
    if (leaf.length !== HASH_BYTES) badArgument(`a leaf hash must be ${HASH_BYTES} bytes, got ${leaf.length}`);
    const index = this.size();
    (this.#levels[0] as HashArray).push(leaf);
    let h = 0;
    let count = index + 1;
    while (count % 2 === 0) {
      const level = this.#levels[h] as HashArray;
      const parent = nodeHash(level.get(count - 2), level.get(count - 1));
      if (this.#levels[h + 1] === undefined) this.#levels.push(new HashArray());
      (this.#levels[h + 1] as HashArray).push(parent);
      h++;
      count /= 2;
    }
    return index;
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer {
    this.#checkIndex(index, this.size());
    return (this.#levels[0] as HashArray).get(index);
  }

  /** Root hash of the tree made of the first `treeSize` leaves (default: all). */
  root(treeSize = this.size()): Buffer {
    this.#checkSize(treeSize, "tree size");
    return treeSize === 0 ? EMPTY_ROOT : this.#mth(0, treeSize);
  }

  /** Audit path of leaf `index` in the tree of the first `treeSize` leaves, leaf-to-root order. */
  inclusionProof(index: number, treeSize = this.size()): Buffer[] {
    this.#checkSize(treeSize, "tree size");
    this.#checkIndex(index, treeSize);
    const out: Buffer[] = [];
    this.#path(index, 0, treeSize, out);
    return out;
  }

  /** Consistency proof from the tree of `oldSize` leaves to the tree of `newSize` leaves. */
  consistencyProof(oldSize: number, newSize = this.size()): Buffer[] {
    this.#checkSize(newSize, "new tree size");
    this.#checkSize(oldSize, "old tree size");
    if (oldSize > newSize) badArgument(`old tree size ${oldSize} is larger than the new tree size ${newSize}`);
    const out: Buffer[] = [];
    if (oldSize === 0 || oldSize === newSize) return out;
    this.#subproof(oldSize, 0, newSize, true, out);
    return out;
  }

  #checkSize(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.size()) badArgument(`${what} ${n} is outside 0..${this.size()}`);
  }

  #checkIndex(index: number, treeSize: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) badArgument(`leaf index ${index} is outside a tree of size ${treeSize}`);
  }

  /** MTH of leaves [lo, lo+n), n >= 1. */
  #mth(lo: number, n: number): Buffer {
    if (isPowerOfTwo(n) && lo % n === 0) {
      const h = Math.log2(n);
      const level = this.#levels[h];
      if (level !== undefined && lo / n < level.length) return level.get(lo / n);
    }
    if (n === 1) return (this.#levels[0] as HashArray).get(lo);
    const k = splitPoint(n);
    return nodeHash(this.#mth(lo, k), this.#mth(lo + k, n - k));
  }

  #path(m: number, lo: number, n: number, out: Buffer[]): void {
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.#path(m, lo, k, out);
      out.push(this.#mth(lo + k, n - k));
    } else {
      this.#path(m - k, lo + k, n - k, out);
      out.push(this.#mth(lo, k));
    }
  }

  #subproof(m: number, lo: number, n: number, complete: boolean, out: Buffer[]): void {
    if (m === n) {
      if (!complete) out.push(this.#mth(lo, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.#subproof(m, lo, k, complete, out);
      out.push(this.#mth(lo + k, n - k));
    } else {
      this.#subproof(m - k, lo + k, n - k, false, out);
      out.push(this.#mth(lo, k));
    }
  }
}

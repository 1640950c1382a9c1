// LRU cache of decrypted, decompressed block plaintext (and its column view) for repeated queries, bounded by bytes.

import type { BlockMeta } from "../block/block-format.js";
import type { ColumnView } from "../block/column-view.js";

/** One cached block: its column plaintext and, once a needle scan opened it, the column view over it. */
export interface CachedBlock {
  readonly meta: BlockMeta;
  readonly plain: Buffer;
  view: ColumnView | undefined;
}

/**
 * Decrypted block plaintext by tenant, block id and header hash, least recently used first out once the
 * entries exceed `maxBytes` (0 disables caching). Keys carry the header hash, so an entry can only ever
 * serve the exact block it was read from; `forget` frees blocks that were deleted or replaced.
 */
export class BlockCache {
  readonly #max: number;
  readonly #entries = new Map<string, { block: CachedBlock; bytes: number }>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    this.#max = Math.max(0, maxBytes);
  }

  static key(tenant: string, blockId: string, headerHash: string): string {
    return `${tenant}/${blockId}/${headerHash}`;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** True when the key is cached (does not count as a use). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): CachedBlock | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.block;
  }

  /** Adds (or re-sizes, after a view was attached) an entry, then evicts from the old end while over budget. */
  put(key: string, block: CachedBlock, bytes: number): void {
    if (bytes > this.#max) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#bytes -= old.bytes;
      this.#entries.delete(key);
    }
    this.#entries.set(key, { block, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#max) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  /** Drops every entry of a block (any header hash). */
  forget(tenant: string, blockId: string): void {
    const prefix = `${tenant}/${blockId}/`;
    for (const [k, e] of this.#entries) {
      if (!k.startsWith(prefix)) continue;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

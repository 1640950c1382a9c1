// Loads blocks for queries: substring-bloom pruning (blooms cached lazily), key unwrap, decrypt, decode, quarantine on damage.

import type { Logger, LogRecord } from "@meshlog/core";
import { GramBloom } from "../block/block-bloom.js";
import { RowNeedles } from "../block/row-match.js";
import type { SelectStats, StoredEntry } from "../contract.js";
import { openBlock, readBlockHeader } from "../block/block-codec.js";
import { parseBlockHeader } from "../block/block-format.js";
import type { DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import type { BlockRef } from "../index/catalog.js";
import { blockCipher } from "./block-cipher.js";
import type { BlockKeyRing } from "./security-ports.js";

export interface BlockReaderDeps {
  readonly fs: FileSystem;
  readonly layout: DataLayout;
  readonly keyRing: BlockKeyRing;
  readonly logger: Logger;
  /** Called when a block file is unreadable (missing, corrupt, undecryptable). */
  readonly onCorrupt: (tenant: string, blockId: string, message: string) => Promise<void>;
  /** Blooms kept in memory (default 4096). */
  readonly bloomCacheSize?: number;
}

/** Reads blocks on behalf of select(). Never throws for a damaged block: it is reported and skipped. */
export class BlockReader {
  readonly #d: BlockReaderDeps;
  readonly #blooms = new Map<string, GramBloom>();
  readonly #max: number;

  constructor(deps: BlockReaderDeps) {
    this.#d = deps;
    this.#max = deps.bloomCacheSize ?? 4096;
  }

  async #bloom(tenant: string, ref: BlockRef): Promise<GramBloom> {
    const key = `${tenant}/${ref.blockId}`;
    const hit = this.#blooms.get(key);
    if (hit !== undefined) {
      this.#blooms.delete(key);
      this.#blooms.set(key, hit);
      return hit;
    }
    const h = await readBlockHeader(this.#d.fs, this.#d.layout.blockFile(tenant, ref.blockId));
    if (h.headerHash !== ref.headerHash)
      throw new Error(`header hash ${h.headerHash.slice(0, 16)}… differs from the catalog's ${ref.headerHash.slice(0, 16)}…`);
    const bloom = new GramBloom(h.bloom, h.meta.bloom);
    this.#blooms.set(key, bloom);
    if (this.#blooms.size > this.#max) this.#blooms.delete(this.#blooms.keys().next().value as string);
    return bloom;
  }

  /**
   * Entries of a block within the filter, ascending by time; [] when the bloom filter proves some
   * required substring occurs nowhere in the block. Rows that lack a required substring in the text the
   * bloom covers are dropped before records are built (RowNeedles), or when the block is damaged (then it is quarantined via onCorrupt).
   */
  async load(
    tenant: string,
    ref: BlockRef,
    substrings: readonly string[],
    keep: (r: LogRecord) => boolean,
    stats: SelectStats | undefined,
  ): Promise<StoredEntry[]> {
    const path = this.#d.layout.blockFile(tenant, ref.blockId);
    try {
      if (substrings.length > 0 && !mightContainAll(await this.#bloom(tenant, ref), substrings)) {
        if (stats !== undefined) stats.blocksPrunedByBloom++;
        return [];
      }
      const bytes = await this.#d.fs.readFile(path);
      const header = parseBlockHeader(bytes);
      if (header.headerHash !== ref.headerHash) throw new Error("header hash differs from the catalog");
      const key = await this.#d.keyRing.unwrapDataKey(header.meta.keyId, Buffer.from(header.meta.wrappedKey, "base64"));
      const opened = openBlock(bytes, header, key, blockCipher, false, substrings.length > 0 ? new RowNeedles(substrings) : undefined);
      key.fill(0);
      if (stats !== undefined) {
        stats.blocksScanned++;
        stats.bytesDecompressed += opened.plainBytes;
      }
      const out: StoredEntry[] = [];
      for (const record of opened.records) if (keep(record)) out.push({ streamId: ref.streamId, record });
      return out;
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === "ENOENT") {
        this.#d.logger.warn("block file vanished during a query (deleted); skipped", { tenant, block: ref.blockId });
        return [];
      }
      if (err.code === "KEY_UNAVAILABLE") {
        this.#d.logger.warn("block key destroyed; block skipped", { tenant, block: ref.blockId });
        return [];
      }
      const message = `Cannot read block "${ref.blockId}.blk" of tenant ${tenant}: ${err.message}`;
      await this.#d.onCorrupt(tenant, ref.blockId, message);
      return [];
    }
  }
}

function mightContainAll(bloom: GramBloom, substrings: readonly string[]): boolean {
  for (const s of substrings) if (!bloom.mightContain(s)) return false;
  return true;
}

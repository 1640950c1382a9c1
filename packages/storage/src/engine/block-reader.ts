// Loads blocks for queries: substring-bloom pruning (blooms cached lazily), key unwrap, decrypt, decode, quarantine on damage.

import type { Logger, LogRecord } from "@meshlog/core";
import { GramBloom } from "../block/block-bloom.js";
import { RowNeedles } from "../block/row-match.js";
import type { SelectStats, StoredEntry } from "../contract.js";
import { openPlain, readBlockHeader, recordsOfPlain } from "../block/block-codec.js";
import { ColumnView } from "../block/column-view.js";
import { COLUMNS_VERSION } from "../block/block-columns.js";
import { BlockCache, type CachedBlock } from "./block-cache.js";
import type { ScanPool } from "./scan-pool.js";
import { parseBlockHeader, type BlockHeader } from "../block/block-format.js";
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
  /** Bytes of decrypted block plaintext kept for repeated queries (default DEFAULT_BLOCK_CACHE_BYTES; 0 disables). */
  readonly blockCacheBytes?: number;
  /** Worker threads for needle scans of blocks that are not cached (absent: scan on the calling thread). */
  readonly scanPool?: ScanPool;
}

/** Bytes read first to reach a block's bloom (the header: meta JSON and a bloom of at most 64 KiB, usually far less). */
const HEADER_READ = 32 * 1024;

/** Most bloom bytes read ahead after open (about 2 000 blocks of 5 000-10 000 lines). */
const PREWARM_BLOOM_BYTES = 32 * 1024 * 1024;

/** Default size of the decrypted-block cache: 64 MiB. */
export const DEFAULT_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

/** Reads blocks on behalf of select(). Never throws for a damaged block: it is reported and skipped. */
export class BlockReader {
  readonly #d: BlockReaderDeps;
  readonly #blooms = new Map<string, GramBloom>();
  readonly #max: number;
  readonly #cache: BlockCache;

  constructor(deps: BlockReaderDeps) {
    this.#d = deps;
    this.#max = deps.bloomCacheSize ?? 4096;
    this.#cache = new BlockCache(deps.blockCacheBytes ?? DEFAULT_BLOCK_CACHE_BYTES);
  }

  /** The decrypted-block cache (for stats and tests). */
  get cache(): BlockCache {
    return this.#cache;
  }

  /** Drops what is cached for a block (deleted, replaced or quarantined). */
  forget(tenant: string, blockId: string): void {
    this.#cache.forget(tenant, blockId);
    this.#blooms.delete(`${tenant}/${blockId}`);
  }

  /**
   * The column plaintext of a block, from the cache or read, checked against the catalog's header hash,
   * decrypted and decompressed. The data key is unwrapped on every call, also for cached blocks, so a
   * destroyed KEK makes a block unreadable at once (crypto-shredding).
   */
  async #plain(tenant: string, ref: BlockRef, stats: SelectStats | undefined, fileBytes?: Buffer): Promise<CachedBlock> {
    const ck = BlockCache.key(tenant, ref.blockId, ref.headerHash);
    const hit = this.#cache.get(ck);
    if (hit !== undefined) {
      (await this.#d.keyRing.unwrapDataKey(hit.meta.keyId, Buffer.from(hit.meta.wrappedKey, "base64"))).fill(0);
      if (stats !== undefined) stats.blockCacheHits = (stats.blockCacheHits ?? 0) + 1;
      return hit;
    }
    const bytes = fileBytes ?? (await this.#d.fs.readFile(this.#d.layout.blockFile(tenant, ref.blockId)));
    const header = parseBlockHeader(bytes);
    if (header.headerHash !== ref.headerHash) throw new Error("header hash differs from the catalog");
    const key = await this.#d.keyRing.unwrapDataKey(header.meta.keyId, Buffer.from(header.meta.wrappedKey, "base64"));
    let plain: Buffer;
    try {
      plain = openPlain(bytes, header, key, blockCipher);
    } finally {
      key.fill(0);
    }
    const block: CachedBlock = { meta: header.meta, plain, view: undefined };
    this.#cache.put(ck, block, plain.length);
    return block;
  }

  #bloomHit(tenant: string, ref: BlockRef): GramBloom | undefined {
    const key = `${tenant}/${ref.blockId}`;
    const hit = this.#blooms.get(key);
    if (hit !== undefined) {
      this.#blooms.delete(key);
      this.#blooms.set(key, hit);
    }
    return hit;
  }

  #keepBloom(tenant: string, ref: BlockRef, h: BlockHeader): GramBloom {
    if (h.headerHash !== ref.headerHash)
      throw new Error(`header hash ${h.headerHash.slice(0, 16)}… differs from the catalog's ${ref.headerHash.slice(0, 16)}…`);
    const bloom = new GramBloom(h.bloom, h.meta.bloom);
    this.#blooms.set(`${tenant}/${ref.blockId}`, bloom);
    if (this.#blooms.size > this.#max) this.#blooms.delete(this.#blooms.keys().next().value as string);
    return bloom;
  }

  /** Reads a block's header, keeps its bloom, and reads the whole file only when the bloom may hold every needle. */
  async #readIfBloomPasses(tenant: string, ref: BlockRef, substrings: readonly string[]): Promise<Buffer | undefined> {
    const h = await this.#d.fs.open(this.#d.layout.blockFile(tenant, ref.blockId), "r");
    try {
      const first = await h.read(HEADER_READ, 0);
      let whole: Buffer | undefined = first.length < HEADER_READ ? first : undefined;
      let header: BlockHeader;
      try {
        header = parseBlockHeader(first);
      } catch (e) {
        if (whole !== undefined) throw e;
        // A header larger than the first read (a big bloom): read it all.
        whole = await h.read(await h.size(), 0);
        header = parseBlockHeader(whole);
      }
      if (!mightContainAll(this.#keepBloom(tenant, ref, header), substrings)) return undefined;
      if (whole !== undefined) return whole;
      const size = await h.size();
      return size <= first.length ? first : Buffer.concat([first, await h.read(size - first.length, first.length)]);
    } finally {
      await h.close();
    }
  }

  /**
   * Reads the blooms of `refs` (most useful first) into the bloom cache, up to its size and at most
   * PREWARM_BLOOM_BYTES, so that needle searches after a restart prune without reading headers. Unreadable
   * blocks are left to the queries that meet them (nothing is quarantined here). Stops when `stop()` is true.
   */
  async prewarmBlooms(tenant: string, refs: readonly BlockRef[], stop: () => boolean): Promise<number> {
    let read = 0;
    let bytes = 0;
    for (const ref of refs.slice(0, this.#max)) {
      if (stop() || bytes >= PREWARM_BLOOM_BYTES) break;
      if (this.#bloomHit(tenant, ref) !== undefined) continue;
      try {
        bytes += this.#keepBloom(tenant, ref, await readBlockHeader(this.#d.fs, this.#d.layout.blockFile(tenant, ref.blockId))).bytes().length;
        read++;
      } catch {
        // Left to the query that reads this block (it reports and quarantines).
      }
    }
    return read;
  }

  async #bloom(tenant: string, ref: BlockRef): Promise<GramBloom> {
    return this.#bloomHit(tenant, ref) ?? this.#keepBloom(tenant, ref, await readBlockHeader(this.#d.fs, this.#d.layout.blockFile(tenant, ref.blockId)));
  }

  /**
   * Reads, checks and unwraps a block here, then decrypts, decompresses and scans it on a worker; caches
   * the plaintext. Undefined when the pool could not take it (the caller scans on this thread instead).
   */
  async #scanInWorker(
    tenant: string,
    ref: BlockRef,
    substrings: readonly string[],
    fileBytes: Buffer | undefined,
  ): Promise<{ records: LogRecord[]; plainBytes: number } | undefined> {
    const pool = this.#d.scanPool;
    if (pool === undefined) return undefined;
    const bytes = fileBytes ?? (await this.#d.fs.readFile(this.#d.layout.blockFile(tenant, ref.blockId)));
    const header = parseBlockHeader(bytes);
    if (header.headerHash !== ref.headerHash) throw new Error("header hash differs from the catalog");
    const key = await this.#d.keyRing.unwrapDataKey(header.meta.keyId, Buffer.from(header.meta.wrappedKey, "base64"));
    const copy = Buffer.from(bytes);
    try {
      const { records, plain } = await pool.scan(copy, key, substrings, header.meta.labels);
      if (plain.length !== header.meta.plainBytes) throw new Error(`plaintext is ${plain.length} bytes, header says ${header.meta.plainBytes}`);
      this.#cache.put(BlockCache.key(tenant, ref.blockId, ref.headerHash), { meta: header.meta, plain, view: undefined }, plain.length);
      return { records, plainBytes: plain.length };
    } catch (e) {
      if ((e as { workerFailed?: boolean }).workerFailed === true) return undefined;
      throw e;
    } finally {
      key.fill(0);
    }
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
    try {
      let fileBytes: Buffer | undefined;
      // Blooms index 4-grams: shorter needles cannot prune, so their blocks skip the header read.
      if (substrings.some((s) => s.length >= 4)) {
        const bloom = this.#bloomHit(tenant, ref);
        let pass: boolean;
        if (bloom === undefined && !this.#cache.has(BlockCache.key(tenant, ref.blockId, ref.headerHash))) {
          // One open: the header first, the rest of the file only when the bloom passes.
          const read = await this.#readIfBloomPasses(tenant, ref, substrings);
          pass = read !== undefined;
          fileBytes = read;
        } else pass = mightContainAll(bloom ?? (await this.#bloom(tenant, ref)), substrings);
        if (!pass) {
          if (stats !== undefined) stats.blocksPrunedByBloom++;
          return [];
        }
      }
      const needles = substrings.length > 0 ? new RowNeedles(substrings) : undefined;
      const ck = BlockCache.key(tenant, ref.blockId, ref.headerHash);
      if (needles?.active === true && this.#d.scanPool?.available === true && !this.#cache.has(ck)) {
        const scanned = await this.#scanInWorker(tenant, ref, substrings, fileBytes);
        if (scanned !== undefined) {
          if (stats !== undefined) {
            stats.blocksScanned++;
            stats.bytesDecompressed += scanned.plainBytes;
          }
          const out: StoredEntry[] = [];
          for (const record of scanned.records) if (keep(record)) out.push({ streamId: ref.streamId, record });
          return out;
        }
      }
      const block = await this.#plain(tenant, ref, stats, fileBytes);
      if (needles?.active === true && block.view === undefined && block.plain[0] === COLUMNS_VERSION) {
        block.view = new ColumnView(block.plain);
        this.#cache.put(BlockCache.key(tenant, ref.blockId, ref.headerHash), block, block.view.byteSize);
      }
      const records = recordsOfPlain(block.plain, block.meta, needles, block.view);
      if (stats !== undefined) {
        stats.blocksScanned++;
        stats.bytesDecompressed += block.plain.length;
      }
      const out: StoredEntry[] = [];
      for (const record of records) if (keep(record)) out.push({ streamId: ref.streamId, record });
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

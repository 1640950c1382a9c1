// The embedded LogStore: WAL + head + encrypted columnar blocks + catalog + ledger, on one data folder.

import {
  formatRfc3339Ns,
  isValidTenant,
  MeshlogError,
  silentLogger,
  streamIdOf,
  systemClock,
  type Clock,
  type Labels,
  type Logger,
  type LogRecord,
} from "@meshlog/core";
import type { LogStore, SelectRequest, SelectStats, StoredEntry, StoreStats, StreamInfo, TailListener } from "../contract.js";
import { StorageErrors } from "../errors.js";
import { dataLayout, type DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { NodeFileSystem } from "../io/node-file-system.js";
import { Wal, type WalReplayReport } from "../wal/wal.js";
import { recoverTenant } from "./tenant-recovery.js";
import type { WalStreamRecords } from "../wal/wal-format.js";
import { Head, type HeadBuffer } from "../head/head.js";
import { TenantCatalog } from "../index/catalog.js";
import { loadCatalog, saveCatalog } from "../index/catalog-store.js";
import { quarantineFile } from "../index/quarantine-file.js";
import { BlockReader } from "./block-reader.js";
import { ScanPool } from "./scan-pool.js";

/** Scan workers by default (see EmbeddedStoreOptions.scanWorkers). */
export const DEFAULT_SCAN_WORKERS = 0;
/** Selects over fewer sources (blocks and head buffers) than this stay on the calling thread. */
const MIN_PARALLEL_SOURCES = 4;
import { mergeSources } from "./block-source.js";
import { selectSources } from "./select-sources.js";
import { EngineErrors } from "./errors.js";
import { SealPool } from "./seal-pool.js";
import { DEFAULT_RETENTION_CLASS, Sealer } from "./sealer.js";
import { rewriteBlocks, type BlockReplacement } from "./block-rewrite.js";
import {
  alignChainTails,
  compactBlocks,
  recoverCompaction,
  type CompactedBlock,
  type CompactionDeps,
  type CompactionPlan,
  type CompactionRecovery,
  type CompactionRequest,
} from "./block-compact.js";
import type { BlockRef } from "../index/catalog.js";
import type { BlockKeyRing, BlockLedger, SecurityProvider } from "./security-ports.js";
import { defaultSecurity } from "./default-security.js";

export interface EmbeddedStoreOptions {
  readonly dataDir: string;
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Master key (from MESHLOG_MASTER_KEY) for the key ring. */
  readonly masterKey?: Buffer;
  /** Seal a stream's head buffer once it holds this many bytes (default 4 MiB, counted by recordSize). */
  readonly sealMaxBytes?: number;
  /** Seal a stream's head buffer once it is this old (default 120 000 ms). */
  readonly sealMaxAgeMs?: number;
  /** Reject appends with STORAGE_BACKPRESSURE while the head holds more than this (default 256 MiB). */
  readonly maxHeadBytes?: number;
  /** Reject appends while this many WAL bytes wait for their fsync (default 64 MiB). */
  readonly maxWalQueueBytes?: number;
  /** WAL segment size (default 64 MiB). */
  readonly walSegmentBytes?: number;
  /** Key ring and ledger; defaults to crypto/ and ledger/ on DATA/keys and DATA/tenants/<t>/ledger. */
  readonly security?: SecurityProvider;
  /** Seal blocks on worker threads, one per core up to 4 (default true; false seals on the calling thread). */
  readonly sealWorker?: boolean;
  /** Check for age-due seals on a timer (default true; tests with a ManualClock call sealDue()). */
  readonly sealTimer?: boolean;
  /** Retention class of each stream's blocks, decided when a head buffer is sealed (default "default"; see setRetentionClassFor). */
  readonly retentionClassFor?: (tenant: string, labels: Labels) => string;
  /** Bytes of decrypted block plaintext kept in memory for repeated queries (default 64 MiB; 0 disables). */
  readonly blockCacheBytes?: number;
  /** Worker threads that decrypt, decompress and needle-scan uncached blocks in parallel (default DEFAULT_SCAN_WORKERS; 0: the calling thread). */
  readonly scanWorkers?: number;
  /** Read every block's bloom in the background after open, so needle searches prune from memory (default true). */
  readonly prewarmBlooms?: boolean;
}

/** What open() found: WAL replay and catalog repairs. */
export interface OpenReport {
  readonly wal: WalReplayReport;
  readonly catalogsRebuilt: { tenant: string; reason: string }[];
  readonly quarantined: { tenant: string; file: string; message: string }[];
}

interface TenantState {
  readonly catalog: TenantCatalog;
  readonly ledger: BlockLedger;
}

/**
 * The default single-node LogStore. append() resolves after the WAL fsync; records are then in the head
 * and visible to select and tail. Head buffers are sealed into encrypted blocks by size, age, flush() and
 * close(); each sealed block is appended to its tenant's ledger and a checkpoint is signed per seal batch.
 */
export class EmbeddedStore implements LogStore {
  readonly #fs: FileSystem;
  readonly #layout: DataLayout;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #security: SecurityProvider;
  readonly #opts: Required<Pick<EmbeddedStoreOptions, "sealMaxBytes" | "sealMaxAgeMs" | "maxHeadBytes" | "maxWalQueueBytes">>;
  readonly #tenants = new Map<string, TenantState>();
  readonly #opening = new Map<string, Promise<TenantState>>();
  readonly #head: Head;
  readonly #listeners = new Map<string, Set<TailListener>>();
  readonly #reader: BlockReader;
  readonly #scanPool: ScanPool;
  #wal!: Wal;
  #sealer!: Sealer;
  #pool!: SealPool;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #prewarm: Promise<void> | undefined;
  #relieving = false;
  #report!: OpenReport;
  #retentionClassFor: ((tenant: string, labels: Labels) => string) | undefined;

  private constructor(opts: EmbeddedStoreOptions, fs: FileSystem, security: SecurityProvider) {
    this.#fs = fs;
    this.#layout = dataLayout(opts.dataDir, (...p) => fs.join(...p));
    this.#clock = opts.clock ?? systemClock;
    this.#logger = opts.logger ?? silentLogger;
    this.#security = security;
    this.#opts = {
      sealMaxBytes: opts.sealMaxBytes ?? 4 * 1024 * 1024,
      sealMaxAgeMs: opts.sealMaxAgeMs ?? 120_000,
      maxHeadBytes: opts.maxHeadBytes ?? 256 * 1024 * 1024,
      maxWalQueueBytes: opts.maxWalQueueBytes ?? 64 * 1024 * 1024,
    };
    this.#head = new Head(() => this.#clock.nowMs());
    this.#retentionClassFor = opts.retentionClassFor;
    this.#scanPool = new ScanPool(this.#logger, Math.max(0, opts.scanWorkers ?? DEFAULT_SCAN_WORKERS));
    this.#reader = new BlockReader({
      scanPool: this.#scanPool,
      fs,
      layout: this.#layout,
      keyRing: security.keyRing,
      logger: this.#logger,
      onCorrupt: (t, id, msg) => this.#quarantineBlock(t, id, msg),
      ...(opts.blockCacheBytes === undefined ? {} : { blockCacheBytes: opts.blockCacheBytes }),
    });
  }

  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const fs = opts.fs ?? new NodeFileSystem();
    const layout = dataLayout(opts.dataDir, (...p) => fs.join(...p));
    await fs.mkdirp(layout.tenantsDir);
    await fs.mkdirp(layout.keysDir);
    const security = opts.security ?? (await defaultSecurity(fs, layout, opts.masterKey, opts.clock));
    const store = new EmbeddedStore(opts, fs, security);
    await store.#init(opts.sealTimer ?? true, opts.walSegmentBytes, opts.sealWorker ?? true, opts.prewarmBlooms ?? true);
    return store;
  }

  async #init(timer: boolean, walSegmentBytes: number | undefined, sealWorker: boolean, prewarm: boolean): Promise<void> {
    const rebuilt: OpenReport["catalogsRebuilt"] = [];
    const quarantined: OpenReport["quarantined"] = [];
    let minNextSeq = 1;
    for (const tenant of await this.#fs.readdir(this.#layout.tenantsDir)) {
      if (!isValidTenant(tenant)) continue;
      const load = await loadCatalog(this.#fs, this.#layout, tenant, { logger: this.#logger, nowMs: () => this.#clock.nowMs() });
      if (load.rebuiltBecause !== undefined) rebuilt.push({ tenant, reason: load.rebuiltBecause });
      for (const q of load.quarantined) quarantined.push({ tenant, ...q });
      const state = await this.#tenant(tenant, load.catalog);
      const recovery = { fs: this.#fs, layout: this.#layout, logger: this.#logger, nowMs: () => this.#clock.nowMs() };
      for (const q of await recoverTenant(recovery, tenant, state.catalog, state.ledger)) quarantined.push({ tenant, ...q });
      minNextSeq = Math.max(minNextSeq, state.catalog.maxSealedSeq() + 1);
    }
    const walReplay: { batch: { tenant: string; streams: readonly WalStreamRecords[]; seq: number }; sections: readonly Uint8Array[] }[] = [];
    const { wal, report } = await Wal.open(
      {
        fs: this.#fs,
        dir: this.#layout.walDir,
        quarantineDir: this.#layout.walQuarantineDir,
        logger: this.#logger,
        minNextSeq,
        nowMs: () => this.#clock.nowMs(),
        ...(walSegmentBytes === undefined ? {} : { segmentMaxBytes: walSegmentBytes }),
      },
      (batch, sections) => walReplay.push({ batch, sections }),
    );
    this.#wal = wal;
    const sealedSeqs = new Map<string, number>();
    for (const { batch: b, sections } of walReplay) {
      if (!isValidTenant(b.tenant)) continue;
      const state = await this.#tenant(b.tenant);
      for (let k = 0; k < b.streams.length; k++) {
        const s = b.streams[k] as WalStreamRecords;
        const id = streamIdOf(b.tenant, s.labels);
        const key = `${b.tenant}\u0000${id}`;
        let sealed = sealedSeqs.get(key);
        if (sealed === undefined) sealedSeqs.set(key, (sealed = state.catalog.sealedSeq(id)));
        if (b.seq <= sealed) continue;
        state.catalog.ensureStream(id, s.labels);
        this.#head.add(b.tenant, id, s.labels, s.records, b.seq, sections[k]);
      }
    }
    this.#pool = sealWorker ? new SealPool(this.#logger) : new SealPool(this.#logger, 0);
    this.#sealer = new Sealer({
      pool: this.#pool,
      fs: this.#fs,
      layout: this.#layout,
      clock: this.#clock,
      logger: this.#logger,
      head: this.#head,
      keyRing: this.#security.keyRing,
      tenant: (t) => this.#tenant(t),
      retentionClassOf: (t, labels) => {
        if (this.#retentionClassFor === undefined) return DEFAULT_RETENTION_CLASS;
        try {
          return this.#retentionClassFor(t, labels);
        } catch (e) {
          this.#logger.error("retention class lookup failed; using the default class", { tenant: t, error: e as Error });
          return DEFAULT_RETENTION_CLASS;
        }
      },
      afterBatch: async (tenants) => {
        for (const t of tenants) {
          const st = this.#tenants.get(t);
          if (st !== undefined) await saveCatalog(this.#fs, this.#layout, st.catalog);
        }
        const min = this.#head.minUnsealedSeq();
        await this.#wal.removeSealed(min === undefined ? this.#wal.nextSeq - 1 : min - 1);
      },
    });
    this.#report = { wal: report, catalogsRebuilt: rebuilt, quarantined };
    if (prewarm) this.#prewarm = this.#prewarmBlooms();
    if (timer) {
      const every = Math.max(100, Math.min(5000, Math.floor(this.#opts.sealMaxAgeMs / 4)));
      this.#timer = setInterval(() => void this.sealDue().catch((e: unknown) => this.#logger.error("age-based seal failed", { error: e as Error })), every);
      this.#timer.unref();
    }
  }

  /** The state of a tenant, opening its ledger once even when many appends ask at the same time. */
  #tenant(tenant: string, catalog?: TenantCatalog): Promise<TenantState> {
    const existing = this.#tenants.get(tenant);
    if (existing !== undefined) return Promise.resolve(existing);
    let opening = this.#opening.get(tenant);
    if (opening === undefined) {
      opening = (async () => {
        await this.#fs.mkdirp(this.#layout.blocksDir(tenant));
        const ledger = await this.#security.openLedger(tenant, this.#layout.ledgerDir(tenant));
        const state = { catalog: catalog ?? new TenantCatalog(tenant), ledger };
        this.#tenants.set(tenant, state);
        return state;
      })();
      this.#opening.set(tenant, opening);
      opening.then(
        () => this.#opening.delete(tenant),
        () => this.#opening.delete(tenant),
      );
    }
    return opening;
  }

  /** Loads block blooms in the background after open, newest blocks first (see BlockReader.prewarmBlooms). */
  async #prewarmBlooms(): Promise<void> {
    try {
      for (const [tenant, st] of this.#tenants) {
        const refs = [...st.catalog.blocks()].sort((a, b) => (a.maxTime > b.maxTime ? -1 : a.maxTime < b.maxTime ? 1 : 0));
        await this.#reader.prewarmBlooms(tenant, refs, () => this.#closed);
      }
    } catch (e) {
      this.#logger.warn("loading block blooms in the background failed", { error: e as Error });
    }
  }

  /** Resolves when the background loading of block blooms after open has finished (at once when disabled). */
  bloomsLoaded(): Promise<void> {
    return this.#prewarm ?? Promise.resolve();
  }

  /** What open() repaired or reported. */
  openReport(): OpenReport {
    return this.#report;
  }

  /** Replaces the retention class function (retention policies change at run time; applies to later seals). */
  setRetentionClassFor(fn: ((tenant: string, labels: Labels) => string) | undefined): void {
    this.#retentionClassFor = fn;
  }

  /** Runs `fn` while no seal or deletion runs (e.g. destroying a KEK that a concurrent seal could pick). */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#sealer.exclusive(fn);
  }

  /** The key ring blocks are encrypted with (retention destroys KEKs through it). */
  keyRing(): BlockKeyRing {
    return this.#security.keyRing;
  }

  /** The data folder layout (for retention and verification code). */
  layout(): DataLayout {
    return this.#layout;
  }

  /** The ledger of a tenant (opened on first use). */
  async ledger(tenant: string): Promise<BlockLedger> {
    return (await this.#tenant(tenant)).ledger;
  }

  /** The catalog of a tenant, or undefined when it has no data. */
  catalog(tenant: string): TenantCatalog | undefined {
    return this.#tenants.get(tenant)?.catalog;
  }

  async append(tenant: string, records: readonly LogRecord[]): Promise<void> {
    if (this.#closed) throw new MeshlogError(StorageErrors.STORAGE_CLOSED, "Cannot append: the store is closed");
    if (!isValidTenant(tenant))
      throw new MeshlogError(EngineErrors.STORAGE_RECORD_INVALID, `Cannot append: tenant ${JSON.stringify(tenant)} is not a valid tenant id`);
    if (records.length === 0) return;
    if (this.#head.bytes > this.#opts.maxHeadBytes || this.#wal.queuedBytes > this.#opts.maxWalQueueBytes) {
      this.#sealer.schedule(this.#head.due(0, 0));
      const what =
        this.#head.bytes > this.#opts.maxHeadBytes
          ? `the head holds ${this.#head.bytes} bytes (limit ${this.#opts.maxHeadBytes})`
          : `${this.#wal.queuedBytes} WAL bytes wait for fsync`;
      throw new MeshlogError(StorageErrors.STORAGE_BACKPRESSURE, `Cannot append to tenant ${tenant} now: ${what}; retry shortly`, {
        details: { retryAfterSeconds: 1 },
      });
    }
    // Receivers share one labels object per stream: compute each object's stream id once per append.
    const groups = new Map<string, { labels: Labels; records: LogRecord[] }>();
    const byObject = new Map<Labels, { labels: Labels; records: LogRecord[] }>();
    for (const r0 of records) {
      const r = r0.tenant === tenant ? r0 : { ...r0, tenant };
      let g = byObject.get(r.labels);
      if (g === undefined) {
        const id = streamIdOf(tenant, r.labels);
        g = groups.get(id);
        if (g === undefined) groups.set(id, (g = { labels: r.labels, records: [] }));
        byObject.set(r.labels, g);
      }
      g.records.push(r);
    }
    const state = await this.#tenant(tenant);
    const streams = [...groups.values()];
    const ids = [...groups.keys()];
    await this.#wal.append(tenant, streams, (seq, sections) => {
      for (let i = 0; i < streams.length; i++) {
        const g = streams[i] as { labels: Labels; records: LogRecord[] };
        const id = ids[i] as string;
        state.catalog.ensureStream(id, g.labels);
        this.#head.add(tenant, id, g.labels, g.records, seq, sections[i]);
      }
      const listeners = this.#listeners.get(tenant);
      if (listeners === undefined || listeners.size === 0) return;
      const entries: StoredEntry[] = [];
      for (let i = 0; i < streams.length; i++) {
        const id = ids[i] as string;
        for (const record of (streams[i] as { records: LogRecord[] }).records) entries.push({ streamId: id, record });
      }
      for (const l of listeners) {
        try {
          l(entries);
        } catch (e) {
          this.#logger.error("tail listener failed", { tenant, error: e as Error });
        }
      }
    });
    const active = new Set(this.#head.activeBuffers());
    const full = ids.flatMap((id) => this.#head.buffersOf(tenant, id)).filter((b) => b.bytes >= this.#opts.sealMaxBytes && active.has(b));
    if (full.length > 0) this.#sealer.schedule(full);
    else if (this.#head.bytes > this.#opts.maxHeadBytes / 2 && !this.#relieving) this.#relieveHead(active);
  }

  /**
   * Soft limit: once the head holds more than half of maxHeadBytes (many streams that fill slowly), the
   * largest active buffers (about half of the head) are sealed early, so appends are rarely refused.
   */
  #relieveHead(active: ReadonlySet<HeadBuffer>): void {
    const bySize = [...active].sort((a, b) => b.bytes - a.bytes);
    const pick: HeadBuffer[] = [];
    let sum = 0;
    for (const b of bySize) {
      if (sum >= this.#head.bytes / 2) break;
      pick.push(b);
      sum += b.bytes;
    }
    this.#relieving = true;
    this.#sealer
      .seal(pick)
      .catch((e: unknown) => this.#logger.error("early seal under memory pressure failed", { error: e as Error }))
      .finally(() => (this.#relieving = false));
  }

  async streams(tenant: string, start: bigint, end: bigint): Promise<readonly StreamInfo[]> {
    const st = this.#tenants.get(tenant);
    if (st === undefined) return [];
    const out: StreamInfo[] = [];
    for (const s of st.catalog.streams()) {
      let min = s.blocks.length > 0 ? s.minTime : undefined;
      let max = s.blocks.length > 0 ? s.maxTime : undefined;
      for (const b of this.#head.buffersOf(tenant, s.id)) {
        if (b.count === 0) continue;
        if (min === undefined || b.minTime < min) min = b.minTime;
        if (max === undefined || b.maxTime > max) max = b.maxTime;
      }
      if (min === undefined || max === undefined || max < start || min >= end) continue;
      out.push({ tenant, id: s.id, labels: s.labels, minTime: min, maxTime: max });
    }
    return out;
  }

  async *select(req: SelectRequest, stats?: SelectStats): AsyncIterable<readonly StoredEntry[]> {
    const st = this.#tenants.get(req.tenant);
    if (st === undefined || req.start >= req.end) return;
    const sources = selectSources(req, st.catalog, this.#head, this.#reader, stats);
    // Needle scans of many blocks keep every scan worker busy by starting the next loads early.
    // Needle scans of many blocks keep every scan worker busy by starting the next loads early (measured
    // without workers, starting loads early did not help: header reads are short).
    const parallel = this.#scanPool.available && (req.requiredSubstrings?.length ?? 0) > 0 && sources.length >= MIN_PARALLEL_SOURCES;
    yield* mergeSources(sources, req.direction === "forward", req.limit, req.signal, 1000, parallel ? this.#scanPool.size + 1 : 0);
  }

  tail(tenant: string, listener: TailListener): () => void {
    let set = this.#listeners.get(tenant);
    if (set === undefined) this.#listeners.set(tenant, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async tenants(): Promise<readonly string[]> {
    return [...this.#tenants].filter(([t, s]) => s.catalog.blockCount > 0 || this.#head.buffers(t).length > 0).map(([t]) => t);
  }

  async stats(tenant: string): Promise<StoreStats> {
    const st = this.#tenants.get(tenant);
    if (st === undefined) return { tenant, streams: 0, blocks: 0, records: 0, storedBytes: 0 };
    let records = 0;
    let storedBytes = 0;
    for (const b of st.catalog.blocks()) {
      records += b.rows;
      storedBytes += b.bytes;
    }
    for (const hb of this.#head.buffers(tenant)) records += hb.count;
    return { tenant, streams: [...st.catalog.streams()].length, blocks: st.catalog.blockCount, records, storedBytes };
  }

  /** Seals head buffers that are due by size or age. Resolves with the number of blocks written. */
  async sealDue(): Promise<number> {
    if (this.#closed) return 0;
    return this.#sealer.seal(this.#head.due(this.#opts.sealMaxBytes, this.#opts.sealMaxAgeMs));
  }

  /** Resolves when every seal queued so far (by size, age, backpressure or flush) has finished. */
  sealsIdle(): Promise<void> {
    return this.#sealer.idle();
  }

  async flush(): Promise<void> {
    await this.#sealer.seal(this.#head.activeBuffers());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#prewarm;
    await this.#wal.close();
    try {
      await this.#sealer.seal(this.#head.activeBuffers());
      await this.#sealer.idle();
    } finally {
      await this.#pool.close();
      await this.#scanPool.close();
      for (const st of this.#tenants.values()) await st.ledger.close();
    }
  }

  /**
   * Deletes sealed blocks of a tenant: a tombstone (reason, policy, block ids, header hashes, key ids,
   * principal, time) is appended to the ledger and checkpointed first, then the blocks leave the catalog
   * and their files are removed. Blocks under legal hold are refused. Resolves with the tombstone's leaf index.
   */
  deleteBlocks(tenant: string, blockIds: readonly string[], tombstone: { reason: string; policy?: string; principal?: string }): Promise<number> {
    return this.#sealer.exclusive(async () => {
      const st = this.#tenants.get(tenant);
      const refs = blockIds.map((id) => {
        const ref = st?.catalog.block(id);
        if (st === undefined || ref === undefined)
          throw new MeshlogError(EngineErrors.STORAGE_BLOCK_UNKNOWN, `Cannot delete block "${id}" of tenant ${tenant}: no such block`);
        if (ref.legalHold) throw new MeshlogError(EngineErrors.STORAGE_LEGAL_HOLD, `Cannot delete block "${id}" of tenant ${tenant}: it is under legal hold`);
        return ref;
      });
      if (st === undefined || refs.length === 0) return -1;
      const index = await st.ledger.appendTombstone({
        ...tombstone,
        blockIds: refs.map((r) => r.blockId),
        headerHashes: refs.map((r) => r.headerHash),
        keyIds: refs.map((r) => r.keyId),
        time: formatRfc3339Ns(this.#clock.nowNs()),
      });
      await st.ledger.checkpoint();
      for (const r of refs) {
        st.catalog.remove(r.blockId);
        this.#reader.forget(tenant, r.blockId);
      }
      await saveCatalog(this.#fs, this.#layout, st.catalog);
      for (const r of refs) await this.#fs.unlink(this.#layout.blockFile(tenant, r.blockId));
      await this.#fs.syncDir(this.#layout.blocksDir(tenant));
      return index;
    });
  }

  /**
   * Rewrites blocks without the records `drop` selects (deletion requests; see rewriteBlocks in
   * block-rewrite.ts), alone: no seal or deletion runs meanwhile.
   */
  rewriteBlocks(
    tenant: string,
    blockIds: readonly string[],
    newBlockIds: readonly string[],
    drop: (r: LogRecord, ref: BlockRef) => boolean,
    tombstone: (summary: readonly BlockReplacement[]) => { reason: string; policy?: string; principal?: string },
  ): Promise<{ index: number; replacements: BlockReplacement[] }> {
    return this.#sealer.exclusive(async () => {
      const st = this.#tenants.get(tenant);
      if (st === undefined) throw new MeshlogError(EngineErrors.STORAGE_BLOCK_UNKNOWN, `Cannot rewrite blocks of tenant ${tenant}: it has no data`);
      const deps = {
        fs: this.#fs,
        layout: this.#layout,
        clock: this.#clock,
        pool: this.#pool,
        keyRing: this.#security.keyRing,
        reader: this.#reader,
        catalog: st.catalog,
        ledger: st.ledger,
      };
      const done = await rewriteBlocks(deps, tenant, blockIds, newBlockIds, drop, tombstone);
      for (const r of done.replacements) if (r.newBlockId !== undefined || r.dropped > 0) this.#reader.forget(tenant, r.oldBlockId);
      return done;
    });
  }

  /** Merges small blocks of one stream and key period into one (see compactBlocks in block-compact.ts), alone. */
  compactBlocks(tenant: string, req: CompactionRequest): Promise<CompactedBlock> {
    return this.#sealer.exclusive(async () => compactBlocks(this.#compactionDeps(tenant, "compact"), tenant, req));
  }

  /** Resolves a compaction a crash interrupted (see recoverCompaction in block-compact.ts), alone. */
  recoverCompaction(tenant: string, plan: CompactionPlan): Promise<CompactionRecovery> {
    return this.#sealer.exclusive(async () => recoverCompaction(this.#compactionDeps(tenant, "recover"), tenant, plan));
  }

  /** Re-anchors each stream's chain tail on its last ledgered block (see alignChainTails in block-compact.ts), alone. */
  alignChainTails(tenant: string): Promise<number> {
    return this.#sealer.exclusive(async () => alignChainTails(this.#compactionDeps(tenant, "align")));
  }

  #compactionDeps(tenant: string, what: string): CompactionDeps {
    const st = this.#tenants.get(tenant);
    if (st === undefined) throw new MeshlogError(EngineErrors.STORAGE_BLOCK_UNKNOWN, `Cannot ${what} blocks of tenant ${tenant}: it has no data`);
    const { fs, layout, clock, pool, reader } = { fs: this.#fs, layout: this.#layout, clock: this.#clock, pool: this.#pool, reader: this.#reader };
    return { fs, layout, clock, pool, reader, keyRing: this.#security.keyRing, catalog: st.catalog, ledger: st.ledger, nowMs: () => this.#clock.nowMs() };
  }

  async #quarantineBlock(tenant: string, blockId: string, message: string): Promise<void> {
    const st = this.#tenants.get(tenant);
    this.#reader.forget(tenant, blockId);
    if (st?.catalog.remove(blockId) === undefined) return;
    this.#logger.error("corrupt block quarantined", { tenant, block: blockId, error: message });
    try {
      await quarantineFile(this.#fs, this.#layout.blocksDir(tenant), `${blockId}.blk`, this.#layout.quarantineDir(tenant), "corrupt", this.#clock.nowMs());
    } catch (e) {
      this.#logger.error("cannot quarantine block", { tenant, block: blockId, error: e as Error });
    }
    await saveCatalog(this.#fs, this.#layout, st.catalog);
  }
}

// Plans and runs compaction: picks runs of small adjacent blocks per stream, journals each merge, resumes after a crash.

import { randomBytes } from "node:crypto";
import { formatRfc3339Ns, MeshlogError, silentLogger, type Clock, type Logger } from "@meshlog/core";
import { readBlockHeader } from "../block/block-codec.js";
import type { CompactedBlock, CompactionPlan, CompactionRecovery, CompactionRequest, CompactionStep } from "../engine/block-compact.js";
import { periodMonthOf } from "../engine/sealer.js";
import type { DataLayout } from "../file-names.js";
import type { BlockRef, TenantCatalog } from "../index/catalog.js";
import type { FileSystem } from "../io/file-system.js";
import { RetentionErrors } from "./errors.js";
import type { HoldStore } from "./legal-hold.js";
import { COMPACTION_JOURNAL_DIR, readJsonFile, retentionPaths, writeJsonFile } from "./retention-files.js";

/** What compaction needs from the engine (EmbeddedStore satisfies it). */
export interface CompactionTarget {
  tenants(): Promise<readonly string[]>;
  catalog(tenant: string): Pick<TenantCatalog, "streams" | "block"> | undefined;
  layout(): DataLayout;
  compactBlocks(tenant: string, req: CompactionRequest): Promise<CompactedBlock>;
  recoverCompaction(tenant: string, plan: CompactionPlan): Promise<CompactionRecovery>;
}

export interface CompactorOptions {
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly target: CompactionTarget;
  readonly holds: HoldStore;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Size a merged block may reach, in uncompressed bytes (the store's sealMaxBytes). */
  readonly targetBlockBytes: number;
  /** A block is small below this fraction of targetBlockBytes (default 0.25). */
  readonly minBlockFillRatio?: number;
  /** Source blocks merged per run at most (default 1000). */
  readonly maxBlocksPerRun?: number;
  /** Time span a merged block may cover, newest minus oldest record (default 24 h): bounds how much later retention deletes a record. */
  readonly maxSpanMs?: number;
  /** Delay before source files are removed after the swap, for queries still reading them (default 0). */
  readonly unlinkDelayMs?: number;
  /** Called after each durable step of each merge (crash tests). */
  readonly onStep?: (tenant: string, step: CompactionStep) => void | Promise<void>;
}

export interface CompactionReport {
  readonly startedAt: string;
  /** Tenants with at least one merge. */
  tenants: number;
  /** Merges done (one new block each). */
  merged: number;
  sourceBlocks: number;
  newBlocks: number;
  records: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Small blocks left alone because a legal hold covers their stream. */
  heldBlocks: number;
}

/** A journalled merge: DATA/retention/compaction/<id>.json, written before the merge starts, removed after it. */
interface JournalEntry {
  readonly id: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly plan: CompactionPlan;
}

const ID = /^cp-[0-9a-f]{16}$/;
const DAY_MS = 86_400_000;

/**
 * Compaction of sealed blocks. Per tenant and stream (streams under an active legal hold are skipped),
 * blocks are taken in time order; a run of adjacent small blocks (uncompressed size below
 * minBlockFillRatio × targetBlockBytes, not held) with the same retention class and key (so the same KEK
 * period) is merged into one block of at most targetBlockBytes and maxSpanMs. Each merge is journalled,
 * then executed by the engine as replace-with-proof (EmbeddedStore.compactBlocks); `resume()` resolves
 * merges a crash interrupted. Compaction deletes no record: its tombstones get no deletion certificate.
 */
export class Compactor {
  readonly #o: CompactorOptions;
  readonly #log: Logger;
  readonly #dir: string;
  /** Uncompressed bytes per block (headers read once: blocks never change). */
  readonly #plain = new Map<string, number>();
  /** Source-file removals waiting for unlinkDelayMs (flushPendingUnlinks runs them at once). */
  readonly #pending = new Set<{ timer: NodeJS.Timeout; unlink: () => Promise<void> }>();
  #running = false;

  constructor(o: CompactorOptions) {
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.#dir = o.fs.join(retentionPaths(o.fs, o.dataDir).dir, COMPACTION_JOURNAL_DIR);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Removes now the source files still waiting for unlinkDelayMs (before the store closes). */
  async flushPendingUnlinks(): Promise<void> {
    const all = [...this.#pending];
    this.#pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      await p.unlink().catch((e: unknown) => this.#log.warn("cannot remove compacted block files; removed at the next start", { error: e as Error }));
    }
  }

  #defer(unlink: () => Promise<void>): void {
    const p = {
      timer: setTimeout(() => {
        this.#pending.delete(p);
        void unlink().catch((e: unknown) => this.#log.warn("cannot remove compacted block files; removed at the next start", { error: e as Error }));
      }, this.#o.unlinkDelayMs ?? 0),
      unlink,
    };
    p.timer.unref();
    this.#pending.add(p);
  }

  /** Blocks below this many uncompressed bytes are small. */
  get smallBlockBytes(): number {
    return Math.floor(this.#o.targetBlockBytes * (this.#o.minBlockFillRatio ?? 0.25));
  }

  /** Runs one compaction pass over every tenant; RETENTION_BUSY when one is running. */
  async run(): Promise<CompactionReport> {
    if (this.#running) throw new MeshlogError(RetentionErrors.RETENTION_BUSY, "A compaction run is already in progress");
    this.#running = true;
    try {
      return await this.#run();
    } finally {
      this.#running = false;
    }
  }

  async #run(): Promise<CompactionReport> {
    const report: CompactionReport = {
      startedAt: formatRfc3339Ns(this.#o.clock.nowNs()),
      tenants: 0,
      merged: 0,
      sourceBlocks: 0,
      newBlocks: 0,
      records: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      heldBlocks: 0,
    };
    let budget = Math.max(2, this.#o.maxBlocksPerRun ?? 1000);
    for (const tenant of [...(await this.#o.target.tenants())].sort()) {
      if (budget < 2) break;
      const groups = await this.plan(tenant, budget, report);
      if (groups.length > 0) report.tenants++;
      for (const g of groups) {
        const done = await this.#merge(tenant, g);
        budget -= g.length;
        report.merged++;
        report.newBlocks++;
        report.sourceBlocks += done.sourceIds.length;
        report.records += done.records;
        report.bytesBefore += done.bytesBefore;
        report.bytesAfter += done.bytesAfter;
      }
    }
    if (report.merged > 0) this.#log.info("compaction run", { ...report });
    return report;
  }

  /**
   * The merges compaction would do now in `tenant`: groups of block refs (each ≥ 2 blocks), at most
   * `budget` blocks in all. Counts small blocks of held streams in `report.heldBlocks` when given.
   */
  async plan(tenant: string, budget = Number.MAX_SAFE_INTEGER, report?: CompactionReport): Promise<BlockRef[][]> {
    const cat = this.#o.target.catalog(tenant);
    if (cat === undefined) return [];
    const small = this.smallBlockBytes;
    const maxSpan = BigInt(this.#o.maxSpanMs ?? DAY_MS) * 1_000_000n;
    const groups: BlockRef[][] = [];
    let left = budget;
    for (const s of [...cat.streams()]) {
      if (left < 2) break;
      if (s.blocks.length < 2) continue;
      const blocks = [...s.blocks].sort((a, b) => (a.minTime < b.minTime ? -1 : a.minTime > b.minTime ? 1 : a.maxTime < b.maxTime ? -1 : 1));
      if (this.#o.holds.holdsOn(tenant, s.labels).length > 0) {
        if (report !== undefined) for (const b of blocks) if ((await this.#plainBytes(tenant, b)) < small) report.heldBlocks++;
        continue;
      }
      let run: BlockRef[] = [];
      let runBytes = 0;
      const close = (): void => {
        if (run.length >= 2 && left >= 2) {
          const take = run.slice(0, left);
          groups.push(take);
          left -= take.length;
        }
        run = [];
        runBytes = 0;
      };
      for (const b of blocks) {
        const bytes = await this.#plainBytes(tenant, b);
        if (b.legalHold || bytes >= small) {
          close();
          continue;
        }
        const head = run[0];
        const fits =
          head !== undefined &&
          head.retentionClass === b.retentionClass &&
          head.keyId === b.keyId &&
          periodMonthOf(head.maxTime) === periodMonthOf(b.maxTime) &&
          runBytes + bytes <= this.#o.targetBlockBytes &&
          b.maxTime - run.reduce((m, r) => (r.minTime < m ? r.minTime : m), head.minTime) <= maxSpan;
        if (head !== undefined && !fits) close();
        run.push(b);
        runBytes += bytes;
      }
      close();
    }
    return groups;
  }

  async #plainBytes(tenant: string, ref: BlockRef): Promise<number> {
    const hit = this.#plain.get(ref.headerHash);
    if (hit !== undefined) return hit;
    let n: number;
    try {
      n = (await readBlockHeader(this.#o.fs, this.#o.target.layout().blockFile(tenant, ref.blockId))).meta.plainBytes;
    } catch {
      return Number.MAX_SAFE_INTEGER; // unreadable: never a candidate (queries quarantine it)
    }
    this.#plain.set(ref.headerHash, n);
    return n;
  }

  async #merge(tenant: string, group: readonly BlockRef[]): Promise<CompactedBlock> {
    const nowMs = this.#o.clock.nowMs();
    const newBlockId = nowMs.toString(16).padStart(12, "0") + randomBytes(6).toString("hex");
    const span = `${formatRfc3339Ns((group[0] as BlockRef).minTime)}..${formatRfc3339Ns(group.reduce((m, r) => (r.maxTime > m ? r.maxTime : m), 0n))}`;
    const records = group.reduce((n, r) => n + r.rows, 0);
    const plan: CompactionPlan = {
      sourceIds: group.map((r) => r.blockId),
      sourceHashes: group.map((r) => r.headerHash),
      newBlockId,
      policy: `compaction: ${group.length} small blocks (${records} records, ${span}) of stream ${(group[0] as BlockRef).streamId} merged into block ${newBlockId}`,
      principal: "retention-job",
    };
    const entry: JournalEntry = { id: `cp-${randomBytes(8).toString("hex")}`, tenant, createdAt: formatRfc3339Ns(this.#o.clock.nowNs()), plan };
    await writeJsonFile(this.#o.fs, this.#file(entry.id), this.#dir, entry);
    try {
      const onStep = this.#o.onStep;
      const done = await this.#o.target.compactBlocks(tenant, {
        ...plan,
        ...((this.#o.unlinkDelayMs ?? 0) > 0 ? { deferUnlink: (unlink: () => Promise<void>) => this.#defer(unlink) } : {}),
        ...(onStep === undefined ? {} : { onStep: (step: CompactionStep) => onStep(tenant, step) }),
      });
      await this.#forget(entry.id);
      return done;
    } catch (e) {
      // Resolve whatever part was done now (roll forward or back), as a restart would.
      try {
        await this.#o.target.recoverCompaction(tenant, plan);
        await this.#forget(entry.id);
      } catch (e2) {
        this.#log.error("cannot resolve a failed compaction; it is resolved at the next start", { tenant, error: e2 as Error });
      }
      throw e;
    }
  }

  /**
   * Resolves merges a crash interrupted (run at start, before queries and seals). Resolves with what was done
   * per merge.
   */
  async resume(): Promise<{ id: string; tenant: string; outcome: CompactionRecovery }[]> {
    const out: { id: string; tenant: string; outcome: CompactionRecovery }[] = [];
    for (const name of (await this.#o.fs.readdir(this.#dir)).sort()) {
      if (!name.endsWith(".json") || !ID.test(name.slice(0, -5))) continue;
      const entry = (await readJsonFile(this.#o.fs, this.#o.fs.join(this.#dir, name))) as JournalEntry | undefined;
      if (entry === undefined) continue;
      const outcome = this.#o.target.catalog(entry.tenant) === undefined ? "not-started" : await this.#o.target.recoverCompaction(entry.tenant, entry.plan);
      await this.#forget(entry.id);
      out.push({ id: entry.id, tenant: entry.tenant, outcome });
    }
    // A seal or rewrite interrupted before its ledger append is handled when the store opens (tenant-recovery.ts
    // quarantines the block and re-anchors the stream's chain), so nothing is left to align here.
    return out;
  }

  #file(id: string): string {
    return this.#o.fs.join(this.#dir, `${id}.json`);
  }

  async #forget(id: string): Promise<void> {
    const f = this.#file(id);
    if ((await this.#o.fs.stat(f)) !== undefined) await this.#o.fs.unlink(f);
    await this.#o.fs.syncDir(this.#dir);
  }
}

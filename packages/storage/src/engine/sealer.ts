// Seals head buffers into block files, one batch at a time: encrypt, write, ledger, catalog, checkpoint.

import { randomBytes } from "node:crypto";
import type { Clock, Labels, Logger } from "@meshlog/core";
import { parseBlockHeader } from "../block/block-format.js";
import type { DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import type { Head, HeadBuffer } from "../head/head.js";
import { blockRefOf, type TenantCatalog } from "../index/catalog.js";
import type { SealPool } from "./seal-pool.js";
import type { BlockKeyRing, BlockLedger } from "./security-ports.js";

/** Retention class given to new blocks until retention policies assign classes. */
export const DEFAULT_RETENTION_CLASS = "default";

export interface SealerDeps {
  readonly fs: FileSystem;
  readonly layout: DataLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly head: Head;
  readonly keyRing: BlockKeyRing;
  readonly pool: SealPool;
  readonly tenant: (tenant: string) => Promise<{ catalog: TenantCatalog; ledger: BlockLedger }>;
  /** Runs after each batch with the tenants touched (persist catalogs, drop sealed WAL segments). */
  readonly afterBatch: (tenants: ReadonlySet<string>) => Promise<void>;
  /** Retention class of a stream's next block (retention policies); DEFAULT_RETENTION_CLASS when absent. */
  readonly retentionClassOf?: (tenant: string, labels: Labels) => string;
}

/** "YYYY-MM" (UTC) of a nanosecond time: the key period of a block (the month of its newest record). */
export function periodMonthOf(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 7);
}

/**
 * Serialises seals: batches run one after another, so ledger order, per-stream hash chains and the
 * catalog stay consistent. A buffer whose seal fails goes back to the head and is retried later.
 */
export class Sealer {
  readonly #d: SealerDeps;
  #chain: Promise<unknown> = Promise.resolve();
  /** Buffers of the background batch that has not started yet. */
  #waiting: Set<HeadBuffer> | undefined;

  constructor(deps: SealerDeps) {
    this.#d = deps;
  }

  /**
   * Queues a seal of these buffers in the background (errors are logged). Buffers scheduled while an
   * earlier background batch still waits for its turn join that batch, so many streams filling at once
   * share one checkpoint, one catalog write and one WAL cleanup.
   */
  schedule(buffers: readonly HeadBuffer[]): void {
    if (buffers.length === 0) return;
    if (this.#waiting !== undefined) {
      for (const b of buffers) this.#waiting.add(b);
      return;
    }
    const waiting = new Set(buffers);
    this.#waiting = waiting;
    const run = this.#chain.then(() => {
      if (this.#waiting === waiting) this.#waiting = undefined;
      return this.#run([...waiting]);
    });
    this.#chain = run.catch(() => undefined);
    run.catch((e: unknown) => this.#d.logger.error("background seal failed", { error: e as Error }));
  }

  /** Seals the buffers that are still active when their turn comes. Resolves with the blocks written. */
  seal(buffers: readonly HeadBuffer[]): Promise<number> {
    const run = this.#chain.then(() => this.#run(buffers));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` alone: after queued seals, before later ones (for deletions that must not race a seal). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every queued seal has finished. */
  async idle(): Promise<void> {
    await this.#chain;
  }

  async #run(buffers: readonly HeadBuffer[]): Promise<number> {
    const { head } = this.#d;
    const detached: HeadBuffer[] = [];
    for (const b of buffers) {
      if (!head.activeBuffers().includes(b) || b.count === 0) continue;
      if (head.detach(b.tenant, b.streamId) === b) detached.push(b);
    }
    if (detached.length === 0) return 0;
    const touched = new Set<string>();
    let written = 0;
    let failure: unknown;
    // Encode and encrypt in parallel (one stream appears once per batch, so chains are independent), then
    // write, ledger and catalog the blocks one by one in batch order.
    const prepared: (Prepared | undefined)[] = new Array(detached.length);
    const width = Math.max(1, this.#d.pool.size);
    for (let i = 0; i < detached.length; i += width) {
      await Promise.all(
        detached.slice(i, i + width).map(async (b, k) => {
          try {
            prepared[i + k] = await this.#prepare(b);
          } catch (e) {
            failure ??= e;
            head.restore(b);
            this.#d.logger.error("seal failed; records stay in the head and the WAL", { tenant: b.tenant, stream: b.streamId, error: e as Error });
          }
        }),
      );
    }
    for (const p of prepared) {
      if (p === undefined) continue;
      try {
        await this.#commit(p);
        touched.add(p.b.tenant);
        written++;
      } catch (e) {
        failure ??= e;
        head.restore(p.b);
        this.#d.logger.error("seal failed; records stay in the head and the WAL", { tenant: p.b.tenant, stream: p.b.streamId, error: e as Error });
      }
    }
    for (const t of touched) {
      try {
        await (await this.#d.tenant(t)).ledger.checkpoint();
      } catch (e) {
        failure ??= e;
        this.#d.logger.error("ledger checkpoint failed", { tenant: t, error: e as Error });
      }
    }
    await this.#d.afterBatch(touched);
    if (failure !== undefined) throw failure;
    return written;
  }

  async #prepare(b: HeadBuffer): Promise<Prepared> {
    const { clock } = this.#d;
    const { catalog } = await this.#d.tenant(b.tenant);
    const maxTime = b.maxTime;
    const retentionClass = this.#d.retentionClassOf?.(b.tenant, b.labels) ?? DEFAULT_RETENTION_CLASS;
    const key = await this.#d.keyRing.newDataKey(b.tenant, retentionClass, periodMonthOf(maxTime));
    const blockId = clock.nowMs().toString(16).padStart(12, "0") + randomBytes(6).toString("hex");
    try {
      const bytes = await this.#d.pool.sealEncoded(b.count, b.encoded(), {
        blockId,
        tenant: b.tenant,
        streamId: b.streamId,
        labels: b.labels,
        keyId: key.keyId,
        dataKey: key.dataKey,
        wrappedKey: key.wrappedKey,
        retentionClass,
        legalHold: false,
        prevBlockHash: catalog.lastHeaderHash(b.streamId),
        createdAt: clock.nowNs(),
        walSeqMax: b.maxSeq,
      });
      return { b, blockId, bytes };
    } finally {
      key.dataKey.fill(0);
    }
  }

  async #commit({ b, blockId, bytes }: Prepared): Promise<void> {
    const { fs, layout, head } = this.#d;
    const { catalog, ledger } = await this.#d.tenant(b.tenant);
    const header = parseBlockHeader(bytes);
    await fs.writeFileAtomic(layout.blockFile(b.tenant, blockId), bytes);
    const m = header.meta;
    await ledger.appendBlock({
      blockId,
      headerHash: header.headerHash,
      streamId: b.streamId,
      records: m.rows,
      minTime: m.minTime.toString(),
      maxTime: m.maxTime.toString(),
    });
    // Catalog add and head release happen in one synchronous step: queries see the records exactly once.
    catalog.add(blockRefOf(header, bytes.length), b.labels);
    head.release(b);
  }
}

/** A block encoded and encrypted, waiting to be written and recorded. */
interface Prepared {
  readonly b: HeadBuffer;
  readonly blockId: string;
  readonly bytes: Buffer;
}

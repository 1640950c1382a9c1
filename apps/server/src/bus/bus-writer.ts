// The consuming side of the ingest bus: commits delivered batches to the store in bus order, groups what has
// queued up into one append per tenant, retries refused commits, skips redeliveries it already committed.

import { MeshlogError, type Logger, type LogRecord } from "@meshlog/core";
import { decodeBusBatch, type BusBatch } from "./bus-batch-codec.js";
import type { BusCommitter } from "./ingest-bus.js";

/** One delivered bus message, as the writer needs it (implemented over JetStream messages, or by tests). */
export interface BusMessage {
  /** Position in the bus stream (unique per stream). */
  readonly seq: number;
  /** The bus delivered this message before. */
  readonly redelivered: boolean;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Acknowledges the message; resolves true once the bus confirmed the ack. */
  ack(): Promise<boolean>;
  /** Tells the bus the message is still being worked on (resets its redelivery timer). */
  working(): void;
  /** Removes the message for good (it can never be committed). */
  term(reason: string): void;
}

export interface BusWriterOptions {
  readonly commit: BusCommitter;
  readonly log: Logger;
  /** The subject a tenant's batches must arrive on (checked against the tenant inside the frame). */
  readonly subjectOf: (tenant: string) => string;
  /** Message bytes merged into one commit round (default 4 MiB). */
  readonly maxRoundBytes?: number;
  /** How many committed sequence numbers are remembered to skip redeliveries (default 65 536). */
  readonly rememberCommitted?: number;
  /** Attempts for commit errors that are not transient store conditions, before the batch is terminated (default 10). */
  readonly maxAttempts?: number;
  /** First retry delay, doubled up to 2 s (default 100 ms). */
  readonly retryDelayMs?: number;
  /** Counters (metrics). */
  readonly onEvent?: (event: "committed" | "redelivered" | "duplicate" | "corrupt" | "retry" | "terminated", n: number) => void;
}

/** Store conditions that pass: retried without limit. */
const TRANSIENT = new Set(["STORAGE_BACKPRESSURE", "STORAGE_DISK_FULL", "STORAGE_CLOSED"]);

interface Pending {
  readonly msg: BusMessage;
  readonly batch: BusBatch;
  /** Redeliveries of the same message that arrived in the same round: settled with it, never committed twice. */
  readonly copies: BusMessage[];
}

/**
 * Commits messages strictly in the order they were pushed: a round (everything queued, up to maxRoundBytes)
 * is committed per tenant, acknowledged, and only then does the next round start. A round that keeps
 * failing blocks later rounds, which keeps per-stream order through store backpressure.
 */
export class BusWriter {
  readonly #o: Required<Omit<BusWriterOptions, "onEvent">> & Pick<BusWriterOptions, "onEvent">;
  readonly #queue: BusMessage[] = [];
  #queuedBytes = 0;
  readonly #committed = new Set<number>();
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #wakers = new Set<() => void>();
  readonly #roomWaiters: (() => void)[] = [];

  constructor(opts: BusWriterOptions) {
    this.#o = { maxRoundBytes: 4 * 1024 * 1024, rememberCommitted: 65_536, maxAttempts: 10, retryDelayMs: 100, ...opts };
  }

  /** Bytes of messages waiting for a commit round. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues a delivered message; rounds start by themselves. */
  push(msg: BusMessage): void {
    if (this.#stopped) return; // left unacknowledged: the bus redelivers it to the next writer
    this.#queue.push(msg);
    this.#queuedBytes += msg.data.length;
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves when the queue holds at most `bytes` (used to stop pulling while the store is slow). */
  async room(bytes: number): Promise<void> {
    while (this.#queuedBytes > bytes && !this.#stopped) await new Promise<void>((r) => this.#roomWaiters.push(r));
  }

  /** Resolves when every message pushed so far has been committed (or terminated). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stops: the round in progress finishes (or gives up between retries), queued messages are left for redelivery. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#wakers) w();
    for (const w of this.#roomWaiters.splice(0)) w();
    await this.#running;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopped) {
      const round: BusMessage[] = [];
      let bytes = 0;
      while (this.#queue.length > 0 && (round.length === 0 || bytes + (this.#queue[0] as BusMessage).data.length <= this.#o.maxRoundBytes)) {
        const m = this.#queue.shift() as BusMessage;
        bytes += m.data.length;
        round.push(m);
      }
      await this.#commitRound(round);
      this.#queuedBytes -= bytes;
      for (const w of this.#roomWaiters.splice(0)) w();
    }
  }

  async #commitRound(round: readonly BusMessage[]): Promise<void> {
    const byTenant = new Map<string, Pending[]>();
    const inRound = new Map<number, Pending>();
    for (const msg of round) {
      // A redelivery can arrive while the first delivery still waits in the queue: both may share a round.
      const first = inRound.get(msg.seq);
      if (first !== undefined) {
        this.#o.onEvent?.("duplicate", 1);
        first.copies.push(msg);
        continue;
      }
      if (msg.redelivered && this.#committed.has(msg.seq)) {
        this.#o.onEvent?.("duplicate", 1);
        void this.#ack(msg);
        continue;
      }
      let batch: BusBatch;
      try {
        batch = decodeBusBatch(msg.data);
        if (msg.subject !== this.#o.subjectOf(batch.tenant)) throw new Error(`tenant ${batch.tenant} arrived on subject ${msg.subject}`);
      } catch (err) {
        this.#o.log.error("ingest bus message dropped: it is not a valid batch", { seq: msg.seq, subject: msg.subject, error: (err as Error).message });
        this.#o.onEvent?.("corrupt", 1);
        msg.term((err as Error).message);
        continue;
      }
      const pending: Pending = { msg, batch, copies: [] };
      inRound.set(msg.seq, pending);
      let list = byTenant.get(batch.tenant);
      if (list === undefined) byTenant.set(batch.tenant, (list = []));
      list.push(pending);
    }
    await Promise.all([...byTenant].map(([tenant, list]) => this.#commitTenant(tenant, list)));
  }

  async #commitTenant(tenant: string, list: readonly Pending[]): Promise<void> {
    const records: LogRecord[] = [];
    for (const p of list) for (const r of p.batch.records) records.push(r);
    let delay = this.#o.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#o.commit(tenant, records);
        break;
      } catch (err) {
        const code = err instanceof MeshlogError ? err.code : "";
        if (!TRANSIENT.has(code) && attempt >= this.#o.maxAttempts) {
          this.#o.log.error("ingest bus batches terminated: the store refused them repeatedly", {
            tenant,
            seqs: list.map((p) => p.msg.seq),
            attempts: attempt,
            error: (err as Error).message,
          });
          this.#o.onEvent?.("terminated", list.length);
          for (const p of list) for (const m of [p.msg, ...p.copies]) m.term(`store refused the batch: ${(err as Error).message}`);
          return;
        }
        if (this.#stopped) return; // not acknowledged: redelivered later
        if (attempt === 1 || attempt % 20 === 0)
          this.#o.log.warn("ingest bus commit failed; retrying", { tenant, attempt, code, error: (err as Error).message });
        this.#o.onEvent?.("retry", 1);
        for (const p of list) p.msg.working();
        await new Promise<void>((r) => {
          const wake = (): void => {
            clearTimeout(t);
            this.#wakers.delete(wake);
            r();
          };
          const t = setTimeout(wake, delay);
          this.#wakers.add(wake);
        });
        delay = Math.min(delay * 2, 2000);
      }
    }
    for (const p of list) this.#remember(p.msg.seq);
    this.#o.onEvent?.("committed", list.length);
    const late = list.filter((p) => p.msg.redelivered).length;
    if (late > 0) this.#o.onEvent?.("redelivered", late);
    await Promise.all(list.flatMap((p) => [p.msg, ...p.copies].map((m) => this.#ack(m))));
  }

  #remember(seq: number): void {
    this.#committed.add(seq);
    if (this.#committed.size > this.#o.rememberCommitted) {
      const oldest = this.#committed.values().next();
      if (oldest.done !== true) this.#committed.delete(oldest.value);
    }
  }

  async #ack(msg: BusMessage): Promise<void> {
    try {
      if (!(await msg.ack())) this.#o.log.warn("ingest bus ack not confirmed; the batch may be redelivered and skipped", { seq: msg.seq });
    } catch (err) {
      this.#o.log.warn("ingest bus ack failed; the batch may be redelivered and skipped", { seq: msg.seq, error: (err as Error).message });
    }
  }
}

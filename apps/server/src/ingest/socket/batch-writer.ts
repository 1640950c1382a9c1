// Serializes one connection's (or datagram socket's) records into ingest writes: batches what arrives while a
// write is in flight, pauses the source when too much is pending, and retries writes the store pushed back.

import { httpStatusOf, MeshlogError, type Logger, type LogRecord } from "@meshlog/core";

/** How a pushed batch ended: stored durably; rejected as invalid (retrying cannot help); or failed (not stored). */
export type BatchOutcome = "stored" | "rejected" | "failed";

export interface BatchWriterOptions {
  /** The durable write (ctx.ingest.write bound to receiver and tenant). */
  write(records: LogRecord[]): Promise<void>;
  /** Stops reading from the source (socket.pause); never called with dropWhenFull. */
  pause?(): void;
  resume?(): void;
  log: Logger;
  /** Pending records (not yet written) at which the source is paused, or new pushes dropped. */
  highWaterRecords: number;
  /** UDP: refuse pushes beyond highWaterRecords instead of pausing. */
  dropWhenFull?: boolean;
  /** Give up retrying a pushed-back write after this long (the batch then fails). Infinity = until closed. */
  maxRetryMs: number;
  /** Waits between retries (injectable for tests). */
  sleep?(ms: number): Promise<void>;
}

interface Pending {
  readonly records: LogRecord[];
  readonly done: ((outcome: BatchOutcome, err?: unknown) => void) | undefined;
}

/**
 * True for errors that mean "try again later" (store backpressure, rate limits, 503, and 507 disk full: the
 * connection holds the data and stops reading until space is freed, rather than dropping accepted messages).
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof MeshlogError)) return false;
  const status = httpStatusOf(err);
  return err.code === "STORAGE_BACKPRESSURE" || status === 429 || status === 503 || status === 507;
}

/** True for errors that say the data itself is unacceptable (4xx other than 429). */
export function isRejection(err: unknown): boolean {
  const status = httpStatusOf(err);
  return err instanceof MeshlogError && status >= 400 && status < 500 && status !== 429;
}

function retryDelayMs(err: unknown, attempt: number): number {
  const after = err instanceof MeshlogError ? err.details?.retryAfterSeconds : undefined;
  if (typeof after === "number" && Number.isFinite(after) && after > 0) return Math.min(5000, Math.max(10, after * 1000));
  return Math.min(2000, 25 * 2 ** Math.min(attempt, 7));
}

/**
 * Writes batches strictly in arrival order, one write at a time. Invariant: a batch's `done` is called exactly
 * once, after its write resolved ("stored"), or when it can never be stored ("rejected"/"failed").
 */
export class BatchWriter {
  readonly #opts: BatchWriterOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  #queue: Pending[] = [];
  #queuedRecords = 0;
  #running = false;
  #paused = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  /** Ends the current retry wait early (set while waiting). */
  #wake: (() => void) | undefined;

  constructor(opts: BatchWriterOptions) {
    this.#opts = opts;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /** Records waiting or being written. */
  get pendingRecords(): number {
    return this.#queuedRecords;
  }

  /**
   * Queues records. Returns false (and calls nothing) when dropWhenFull is set and the queue is full or the
   * writer is closed; the caller counts the drop.
   */
  push(records: LogRecord[], done?: (outcome: BatchOutcome, err?: unknown) => void): boolean {
    if (this.#closed || (this.#opts.dropWhenFull === true && this.#queuedRecords + records.length > this.#opts.highWaterRecords && this.#queuedRecords > 0)) {
      if (this.#closed && done !== undefined) done("failed", new Error("receiver is closed"));
      return false;
    }
    this.#queue.push({ records, done });
    this.#queuedRecords += records.length;
    if (this.#opts.dropWhenFull !== true && this.#queuedRecords >= this.#opts.highWaterRecords) this.#setPaused(true);
    if (!this.#running) void this.#run();
    return true;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Stops retrying (a pending wait ends at once); batches not yet stored fail. Resolves when the current write settled. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.idle();
  }

  #setPaused(p: boolean): void {
    if (p === this.#paused || this.#opts.dropWhenFull === true) return;
    this.#paused = p;
    if (p) this.#opts.pause?.();
    else this.#opts.resume?.();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        const records: LogRecord[] = batch.length === 1 ? (batch[0] as Pending).records : batch.flatMap((b) => b.records);
        const [outcome, err] = await this.#writeWithRetry(records);
        this.#queuedRecords -= records.length;
        for (const b of batch) b.done?.(outcome, err);
        if (this.#queuedRecords < this.#opts.highWaterRecords / 2) this.#setPaused(false);
      }
    } finally {
      this.#running = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async #writeWithRetry(records: LogRecord[]): Promise<[BatchOutcome, unknown]> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#opts.write(records);
        return ["stored", undefined];
      } catch (err) {
        if (isRejection(err)) {
          this.#opts.log.warn("socket ingest batch rejected", { records: records.length, err: err as Error });
          return ["rejected", err];
        }
        const elapsed = Date.now() - started;
        if (!isRetryable(err) || this.#closed || elapsed >= this.#opts.maxRetryMs) {
          this.#opts.log.error("socket ingest batch not stored", { records: records.length, attempts: attempt + 1, err: err as Error });
          return ["failed", err];
        }
        this.#setPaused(true);
        const wait = this.#sleep(Math.min(retryDelayMs(err, attempt), Math.max(1, this.#opts.maxRetryMs - elapsed)));
        await Promise.race([wait, new Promise<void>((r) => (this.#wake = r))]);
        this.#wake = undefined;
      }
    }
  }
}

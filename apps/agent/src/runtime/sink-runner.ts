// Drives one sink: reads batches from its buffer cursor, retries with backoff, acks delivered/rejected.

import type { Logger } from "@meshlog/core";
import type { DiskBuffer } from "../buffer/disk-buffer.js";
import type { Sink } from "../contracts.js";
import { M, type Metrics } from "./metrics.js";

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 200, maxMs: 30_000 };

/** Exponential backoff with full jitter in [delay/2, delay]; a destination's Retry-After wins when given. */
export function backoffMs(attempt: number, policy: RetryPolicy, afterMs: number | undefined, random: () => number = Math.random): number {
  if (afterMs !== undefined) return Math.min(Math.max(afterMs, 0), policy.maxMs * 10);
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (base / 2) * random());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The loop never drops a batch: `retry` waits and sends the same batch again (forever, until stopped);
 * only `delivered` and `rejected` advance the cursor. Stopping mid-send leaves the batch unacknowledged,
 * so it is sent again after a restart (at-least-once at this boundary).
 */
export class SinkRunner {
  readonly #name: string;
  readonly #sink: Sink;
  readonly #buffer: DiskBuffer;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #retry: RetryPolicy;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #failingSince: number | undefined;
  #lastError = "";

  constructor(o: {
    name: string;
    sink: Sink;
    buffer: DiskBuffer;
    maxRecords: number;
    maxBytes?: number;
    logger: Logger;
    metrics: Metrics;
    retry?: RetryPolicy;
  }) {
    this.#name = o.name;
    this.#sink = o.sink;
    this.#buffer = o.buffer;
    this.#maxRecords = o.maxRecords;
    this.#maxBytes = o.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.#logger = o.logger;
    this.#metrics = o.metrics;
    this.#retry = o.retry ?? DEFAULT_RETRY;
  }

  start(): void {
    this.#loop ??= this.#supervise();
  }

  /** Keeps the loop alive: an unexpected error is logged and counted, and the loop resumes after a pause. */
  async #supervise(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.#run();
      } catch (err) {
        this.#metrics.inc(...M.sinkErrors, { sink: this.#name });
        this.#logger.error("sink loop failed; resuming", { sink: this.#name, error: err as Error });
        await sleep(1000, this.#abort.signal);
      }
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const labels = { sink: this.#name };
    while (!signal.aborted) {
      const version = this.#buffer.version;
      const batch = await this.#buffer.read(this.#name, this.#maxRecords, this.#maxBytes);
      if (batch === undefined) {
        await this.#buffer.waitForData(signal, version);
        continue;
      }
      if (batch.records.length === 0) {
        await this.#buffer.ack(this.#name, batch);
        continue;
      }
      for (let attempt = 0; !signal.aborted; attempt++) {
        this.#metrics.inc(...M.sinkRequests, labels);
        const r = await this.#sink.send(batch.records);
        if (r.status === "retry") {
          this.#failingSince ??= Date.now();
          this.#lastError = r.reason;
          if (signal.aborted) return;
          this.#metrics.inc(...M.sinkRetries, labels);
          const wait = backoffMs(attempt, this.#retry, r.afterMs);
          this.#logger.warn("sink send failed; retrying", {
            sink: this.#name,
            reason: r.reason,
            attempt: attempt + 1,
            retryInMs: wait,
            records: batch.records.length,
          });
          await sleep(wait, signal);
          continue;
        }
        if (r.status === "rejected") {
          this.#metrics.inc(...M.sinkRejected, labels, batch.records.length);
          this.#logger.error("destination rejected a batch; it is not retried", { sink: this.#name, reason: r.reason, records: batch.records.length });
        } else {
          const bad = r.rejected?.length ?? 0;
          this.#metrics.inc(...M.sinkDelivered, labels, batch.records.length - bad);
          if (bad > 0) {
            this.#metrics.inc(...M.sinkRejected, labels, bad);
            this.#logger.warn("destination rejected some records", { sink: this.#name, rejected: bad, first: r.rejected?.[0]?.error });
          }
        }
        this.#failingSince = undefined;
        await this.#buffer.ack(this.#name, batch);
        break;
      }
    }
  }

  /** For /health: whether the destination currently fails, since when, and why. */
  status(): { name: string; failing: boolean; failingForMs?: number; lastError?: string } {
    if (this.#failingSince === undefined) return { name: this.#name, failing: false };
    return { name: this.#name, failing: true, failingForMs: Date.now() - this.#failingSince, lastError: this.#lastError.slice(0, 300) };
  }

  /**
   * Stops the loop. An in-flight request may finish for up to `graceMs` (so a batch the destination took
   * is acknowledged rather than sent again); after that the sink is closed and the batch stays buffered.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.#abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    await this.#sink.close();
    await this.#loop;
  }
}

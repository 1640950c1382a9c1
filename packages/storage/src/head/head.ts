// In-memory head: per-stream buffers of acknowledged records, queryable until sealed into blocks.

import { recordSize, type Labels, type LogRecord } from "@meshlog/core";

/** One stream's unsealed records. Records keep arrival order; `sortedView()` gives timestamp order. */
export class HeadBuffer {
  readonly tenant: string;
  readonly streamId: string;
  readonly labels: Labels;
  readonly createdMs: number;
  readonly records: LogRecord[] = [];
  bytes = 0;
  minSeq = Number.MAX_SAFE_INTEGER;
  maxSeq = 0;
  minTime = 0n;
  maxTime = 0n;
  #inOrder = true;
  #sorted: LogRecord[] | undefined;

  constructor(tenant: string, streamId: string, labels: Labels, createdMs: number) {
    this.tenant = tenant;
    this.streamId = streamId;
    this.labels = labels;
    this.createdMs = createdMs;
  }

  add(records: readonly LogRecord[], seq: number): void {
    for (const r of records) {
      if (this.records.length === 0) this.minTime = this.maxTime = r.timestamp;
      else if (r.timestamp < this.maxTime) {
        this.#inOrder = false;
        if (r.timestamp < this.minTime) this.minTime = r.timestamp;
      } else this.maxTime = r.timestamp;
      this.records.push(r);
      this.bytes += recordSize(r);
    }
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
    this.#sorted = undefined;
  }

  /**
   * Records in timestamp order (stable for equal timestamps). The returned array must not be mutated;
   * it is a snapshot: later appends do not change it.
   */
  sortedView(): readonly LogRecord[] {
    if (this.#inOrder) return this.records.slice();
    if (this.#sorted === undefined) {
      this.#sorted = this.records.slice().sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    }
    return this.#sorted;
  }
}

function key(tenant: string, streamId: string): string {
  return `${tenant}\u0000${streamId}`;
}

/**
 * The head: one active buffer per stream plus buffers being sealed. A sealing buffer stays visible to
 * queries until `release()` is called after its block is in the catalog, so no record is ever invisible.
 */
export class Head {
  readonly #active = new Map<string, HeadBuffer>();
  readonly #sealing = new Set<HeadBuffer>();
  #bytes = 0;
  readonly #nowMs: () => number;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  /** Total bytes held (active and sealing). */
  get bytes(): number {
    return this.#bytes;
  }

  add(tenant: string, streamId: string, labels: Labels, records: readonly LogRecord[], seq: number): HeadBuffer {
    const k = key(tenant, streamId);
    let b = this.#active.get(k);
    if (b === undefined) {
      b = new HeadBuffer(tenant, streamId, labels, this.#nowMs());
      this.#active.set(k, b);
    }
    const before = b.bytes;
    b.add(records, seq);
    this.#bytes += b.bytes - before;
    return b;
  }

  /** Active and sealing buffers of one stream. */
  buffersOf(tenant: string, streamId: string): HeadBuffer[] {
    const out: HeadBuffer[] = [];
    for (const b of this.#sealing) if (b.tenant === tenant && b.streamId === streamId) out.push(b);
    const a = this.#active.get(key(tenant, streamId));
    if (a !== undefined) out.push(a);
    return out;
  }

  /** All buffers (active and sealing), optionally of one tenant. */
  buffers(tenant?: string): HeadBuffer[] {
    const out: HeadBuffer[] = [];
    for (const b of this.#sealing) if (tenant === undefined || b.tenant === tenant) out.push(b);
    for (const b of this.#active.values()) if (tenant === undefined || b.tenant === tenant) out.push(b);
    return out;
  }

  /** Moves a stream's active buffer to the sealing set and returns it (new appends start a new buffer). */
  detach(tenant: string, streamId: string): HeadBuffer | undefined {
    const k = key(tenant, streamId);
    const b = this.#active.get(k);
    if (b === undefined) return undefined;
    this.#active.delete(k);
    this.#sealing.add(b);
    return b;
  }

  /** Drops a sealed buffer (its records are now in a catalogued block). */
  release(b: HeadBuffer): void {
    if (this.#sealing.delete(b)) this.#bytes -= b.bytes;
  }

  /** Puts a buffer whose seal failed back to the active set (merging with any newer buffer). */
  restore(b: HeadBuffer): void {
    if (!this.#sealing.delete(b)) return;
    const k = key(b.tenant, b.streamId);
    const newer = this.#active.get(k);
    this.#active.set(k, b);
    if (newer !== undefined) {
      b.add(newer.records, newer.minSeq);
      if (newer.maxSeq > b.maxSeq) b.maxSeq = newer.maxSeq;
    }
  }

  /** Active buffers that should be sealed: at least `maxBytes`, or older than `maxAgeMs`. */
  due(maxBytes: number, maxAgeMs: number): HeadBuffer[] {
    const now = this.#nowMs();
    const out: HeadBuffer[] = [];
    for (const b of this.#active.values()) if (b.bytes >= maxBytes || now - b.createdMs >= maxAgeMs) out.push(b);
    return out;
  }

  /** Active buffers (for flush). */
  activeBuffers(): HeadBuffer[] {
    return [...this.#active.values()];
  }

  /** Lowest WAL sequence still only in memory, or undefined when the head is empty. */
  minUnsealedSeq(): number | undefined {
    let min: number | undefined;
    for (const b of this.buffers()) if (b.records.length > 0 && (min === undefined || b.minSeq < min)) min = b.minSeq;
    return min;
  }
}

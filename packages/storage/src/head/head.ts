// In-memory head: per-stream buffers of acknowledged records, queryable until sealed into blocks.

import { recordSize, type Labels, type LogRecord } from "@meshlog/core";
import { decodeWalRecords, WalRecordWriter } from "../wal/wal-record-codec.js";

/** First and largest slab of a buffer's encoded records (slabs double from the first to the largest). */
const SLAB_MIN = 4096;
const SLAB_MAX = 1 << 20;

/**
 * One stream's unsealed records, kept in their WAL encoding (copied out of the frames) in off-heap slabs
 * rather than as objects: the garbage collector never walks the head, its memory is close to the encoded
 * size, and a seal hands the bytes to a worker without cloning objects. Queries decode a snapshot.
 * Records keep arrival order; `snapshot()` gives timestamp order.
 */
export class HeadBuffer {
  readonly tenant: string;
  readonly streamId: string;
  readonly labels: Labels;
  readonly createdMs: number;
  /** Records held. */
  count = 0;
  /** Sum of recordSize over the records (what seal sizes are measured in). */
  bytes = 0;
  minSeq = Number.MAX_SAFE_INTEGER;
  maxSeq = 0;
  minTime = 0n;
  maxTime = 0n;
  #inOrder = true;
  /** Append-only slabs of encoded records in arrival order; only the last one is partly used. */
  readonly #slabs: Buffer[] = [];
  #slabUsed = 0;
  #encodedBytes = 0;
  /** Decoded records (a prefix of the buffer), kept only until the garbage collector wants the memory. */
  #cache: WeakRef<DecodedCache> | undefined;

  constructor(tenant: string, streamId: string, labels: Labels, createdMs: number) {
    this.tenant = tenant;
    this.streamId = streamId;
    this.labels = labels;
    this.createdMs = createdMs;
  }

  /** Bytes of encoded records held. */
  get encodedBytes(): number {
    return this.#encodedBytes;
  }

  /**
   * Adds records acknowledged under WAL sequence `seq`. `encoded` is their WAL record section (the same
   * records concatenated, same order); it is copied. Without it the records are encoded here.
   */
  add(records: readonly LogRecord[], seq: number, encoded?: Uint8Array): void {
    if (records.length === 0) return;
    if (encoded === undefined) {
      const w = new WalRecordWriter(4096);
      for (const r of records) w.record(r);
      encoded = w.view();
    }
    this.#keep(encoded);
    for (const r of records) {
      if (this.count === 0) this.minTime = this.maxTime = r.timestamp;
      else if (r.timestamp < this.maxTime) {
        this.#inOrder = false;
        if (r.timestamp < this.minTime) this.minTime = r.timestamp;
      } else this.maxTime = r.timestamp;
      this.count++;
      this.bytes += recordSize(r);
    }
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /** Moves the records of `newer`, a later buffer of the same stream, to the end of this one. */
  absorb(newer: HeadBuffer): void {
    if (newer.count === 0) return;
    this.#keep(newer.encoded());
    if (this.count === 0) {
      this.minTime = newer.minTime;
      this.maxTime = newer.maxTime;
    } else {
      if (!newer.#inOrder || newer.minTime < this.maxTime) this.#inOrder = false;
      if (newer.minTime < this.minTime) this.minTime = newer.minTime;
      if (newer.maxTime > this.maxTime) this.maxTime = newer.maxTime;
    }
    this.count += newer.count;
    this.bytes += newer.bytes;
    if (newer.minSeq < this.minSeq) this.minSeq = newer.minSeq;
    if (newer.maxSeq > this.maxSeq) this.maxSeq = newer.maxSeq;
  }

  /** The encoded records in arrival order as one fresh (transferable) array. */
  encoded(): Uint8Array {
    return this.#bytesOf(this.#slabs.slice(), this.#slabUsed, 0, this.#encodedBytes);
  }

  /** The records in arrival order. The objects may be shared with other readers: do not mutate them. */
  records(): LogRecord[] {
    return this.#decoded(this.#slabs.slice(), this.#slabUsed, this.count, this.#encodedBytes).slice();
  }

  /**
   * A snapshot of the records as of now, in timestamp order (stable for equal timestamps), decoded when
   * the returned function is called; later appends do not change it. Decoded records are cached weakly
   * (until the next full garbage collection) and extended incrementally, so repeated queries of a growing
   * buffer decode each record about once. The objects may be shared: do not mutate them.
   */
  snapshot(): () => readonly LogRecord[] {
    const slabs = this.#slabs.slice();
    const used = this.#slabUsed;
    const total = this.#encodedBytes;
    const count = this.count;
    const inOrder = this.#inOrder;
    return () => {
      const records = this.#decoded(slabs, used, count, total);
      if (inOrder) return records.length === count ? records.slice() : records.slice(0, count);
      const cache = this.#cache?.deref();
      if (cache !== undefined && cache.sorted !== undefined && cache.sortedCount === count) return cache.sorted;
      const sorted = sortRecordsByTime(records.length === count ? records : records.slice(0, count));
      if (cache !== undefined) {
        cache.sorted = sorted;
        cache.sortedCount = count;
      }
      return sorted;
    };
  }

  /** Records in timestamp order (stable for equal timestamps). The array must not be mutated. */
  sortedView(): readonly LogRecord[] {
    return this.snapshot()();
  }

  /** The cached decoded records, extended to at least `count` (the first `total` encoded bytes). */
  #decoded(slabs: readonly Buffer[], lastUsed: number, count: number, total: number): LogRecord[] {
    let cache = this.#cache?.deref();
    if (cache === undefined) {
      cache = { records: [], bytes: 0, sorted: undefined, sortedCount: 0 };
      this.#cache = new WeakRef(cache);
    }
    if (cache.records.length < count) {
      const more = decodeWalRecords(this.#bytesOf(slabs, lastUsed, cache.bytes, total), count - cache.records.length, this.tenant, this.labels);
      for (let i = 0; i < more.length; i++) cache.records.push(more[i] as LogRecord);
      cache.bytes = total;
    }
    return cache.records;
  }

  /** Bytes [from, to) of the encoded records held in `slabs` (the last one filled up to `lastUsed`), copied. */
  #bytesOf(slabs: readonly Buffer[], lastUsed: number, from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    let base = 0;
    let p = 0;
    for (let i = 0; i < slabs.length && base < to; i++) {
      const s = slabs[i] as Buffer;
      const len = i === slabs.length - 1 ? lastUsed : s.length;
      const a = Math.max(from, base);
      const b = Math.min(to, base + len);
      if (b > a) {
        out.set(s.subarray(a - base, b - base), p);
        p += b - a;
      }
      base += len;
    }
    return out;
  }

  #keep(bytes: Uint8Array): void {
    const slabs = this.#slabs;
    let from = 0;
    while (from < bytes.length) {
      let last = slabs[slabs.length - 1];
      if (last === undefined || this.#slabUsed === last.length) {
        const size = last === undefined ? SLAB_MIN : Math.min(SLAB_MAX, last.length * 2);
        last = Buffer.allocUnsafeSlow(Math.max(size, Math.min(SLAB_MAX, bytes.length - from)));
        slabs.push(last);
        this.#slabUsed = 0;
      }
      const n = Math.min(last.length - this.#slabUsed, bytes.length - from);
      last.set(bytes.subarray(from, from + n), this.#slabUsed);
      this.#slabUsed += n;
      from += n;
    }
    this.#encodedBytes += bytes.length;
  }
}

/** Records decoded from a buffer's first `bytes` encoded bytes, and their sorted order for `sortedCount` of them. */
interface DecodedCache {
  readonly records: LogRecord[];
  bytes: number;
  sorted: LogRecord[] | undefined;
  sortedCount: number;
}

/** Stable sort by timestamp (a new array). */
function sortRecordsByTime(records: readonly LogRecord[]): LogRecord[] {
  return records.slice().sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
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

  /** Total bytes held (active and sealing), by recordSize: a bound on the encoded bytes the head keeps. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds acknowledged records of one stream; `encoded` is their WAL record section (see HeadBuffer.add). */
  add(tenant: string, streamId: string, labels: Labels, records: readonly LogRecord[], seq: number, encoded?: Uint8Array): HeadBuffer {
    const k = key(tenant, streamId);
    let b = this.#active.get(k);
    if (b === undefined) {
      b = new HeadBuffer(tenant, streamId, labels, this.#nowMs());
      this.#active.set(k, b);
    }
    const before = b.bytes;
    b.add(records, seq, encoded);
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
    if (newer !== undefined) b.absorb(newer);
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
    for (const b of this.buffers()) if (b.count > 0 && (min === undefined || b.minSeq < min)) min = b.minSeq;
    return min;
  }
}

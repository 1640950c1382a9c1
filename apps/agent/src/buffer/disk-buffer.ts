// Disk buffer between sources and sinks: CRC-framed segment files, one cursor per sink, a size cap.

import { mkdir, open, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { MeshlogError, recordSize, type LogRecord, type Logger } from "@meshlog/core";
import { AgentErrors } from "../errors.js";
import type { CheckpointStore } from "../checkpoints/checkpoint-store.js";
import { M, type Metrics } from "../runtime/metrics.js";
import { decodeRecord, encodeRecord, type StoredRecord } from "./record-codec.js";
import { SEGMENT_HEADER_BYTES, encodeFrame, segmentFileName, segmentHeader } from "./segment-file.js";
import { SegmentReader, type DecodedFrame } from "./segment-reader.js";
import { recoverSegments } from "./segment-recovery.js";
import { loadCursors, saveCursors, type Cursor } from "./cursor-file.js";

export type { Cursor } from "./cursor-file.js";

export interface DiskBufferOptions {
  readonly dir: string;
  /** Size cap in bytes over all segment files. */
  readonly maxBytes: number;
  /** A segment is closed and a new one started once it reaches this size. */
  readonly segmentBytes: number;
  /** block: writers wait (sources pause) while full. drop_oldest: the oldest segment is dropped and counted. */
  readonly whenFull: "block" | "drop_oldest";
  /** fsync after every group of writes (survives power loss, not only process crashes). */
  readonly sync: boolean;
  readonly readers: readonly string[];
  readonly checkpoints: CheckpointStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Records handed to one sink; `ack` it once they were delivered or rejected. */
export interface BufferBatch {
  readonly records: LogRecord[];
  readonly end: Cursor;
}

function isAhead(a: Cursor, b: Cursor): boolean {
  return a.seg > b.seg || (a.seg === b.seg && (a.off > b.off || (a.off === b.off && a.idx > b.idx)));
}

interface Pending {
  frame: Buffer;
  seq: number;
  updates: Record<string, unknown> | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Invariants: a frame is visible to readers only after its write completed (`#sizes` counts finished
 * writes); checkpoint updates are applied in the same step, so a source position never runs ahead of
 * the records it covers; a segment is deleted only after every reader passed it and checkpoints were
 * persisted.
 */
export class DiskBuffer {
  readonly #o: DiskBufferOptions;
  readonly #sizes = new Map<number, number>();
  readonly #cursors = new Map<string, Cursor>();
  /** End of the batch each reader holds unacknowledged (it will be delivered even if its segment is dropped). */
  readonly #inflight = new Map<string, Cursor>();
  #current = 1;
  #fh: FileHandle | undefined;
  #nextSeq = 1;
  #pending: Pending[] = [];
  #pendingBytes = 0;
  #flushing: Promise<void> | undefined;
  #rolling: Promise<void> | undefined;
  #version = 0;
  #closed = false;
  #spaceWaiters: (() => void)[] = [];
  #dataWaiters: (() => void)[] = [];
  #cursorSave: Promise<void> = Promise.resolve();
  readonly #reader: SegmentReader;

  private constructor(o: DiskBufferOptions) {
    this.#o = o;
    this.#reader = new SegmentReader(o.dir);
  }

  /** Opens (or creates) the buffer, truncating torn tails and replaying checkpoint updates. */
  static async open(o: DiskBufferOptions): Promise<DiskBuffer> {
    const b = new DiskBuffer(o);
    await mkdir(o.dir, { recursive: true });
    await b.#recover();
    return b;
  }

  async #recover(): Promise<void> {
    const { sizes, maxSeq } = await recoverSegments(this.#o.dir, this.#o.checkpoints, this.#o.logger, this.#o.metrics);
    for (const [seg, size] of sizes) this.#sizes.set(seg, size);
    this.#nextSeq = maxSeq + 1;
    const existing = [...this.#sizes.keys()];
    this.#current = existing.length > 0 ? Math.max(...existing) : 1;
    if (existing.length === 0) await this.#createSegment(this.#current);
    else this.#fh = await open(join(this.#o.dir, segmentFileName(this.#current)), "a");
    this.#setReaders(this.#o.readers, await loadCursors(this.#o.dir, this.#o.logger));
    await this.#collect();
    this.#gauge();
  }

  async #createSegment(seg: number): Promise<void> {
    const fh = await open(join(this.#o.dir, segmentFileName(seg)), "a");
    await fh.write(segmentHeader());
    this.#sizes.set(seg, SEGMENT_HEADER_BYTES);
    this.#current = seg;
    this.#fh = fh;
  }

  #oldest(): number {
    return Math.min(...this.#sizes.keys());
  }

  #setReaders(names: readonly string[], saved: Record<string, Cursor>): void {
    const oldest = this.#oldest();
    for (const k of [...this.#cursors.keys()]) if (!names.includes(k)) this.#cursors.delete(k);
    for (const name of names) {
      if (this.#cursors.has(name)) continue;
      const c = saved[name];
      const valid = c !== undefined && typeof c.seg === "number" && this.#sizes.has(c.seg) && c.off <= (this.#sizes.get(c.seg) ?? 0);
      this.#cursors.set(name, valid ? { seg: c.seg, off: c.off, idx: c.idx } : { seg: oldest, off: SEGMENT_HEADER_BYTES, idx: 0 });
    }
  }

  /** Changes the set of readers (config reload). New readers start at the oldest buffered data. */
  async setReaders(names: readonly string[]): Promise<void> {
    this.#setReaders(names, {});
    await this.#saveCursors();
    await this.#collect();
  }

  get totalBytes(): number {
    let n = 0;
    for (const s of this.#sizes.values()) n += s;
    return n;
  }

  /** True while the size cap is reached; network sources answer with backpressure. */
  isFull(): boolean {
    return this.totalBytes + this.#pendingBytes >= this.#o.maxBytes;
  }

  /**
   * Appends records together with the source checkpoint updates they complete. Resolves once written
   * (and fsynced when configured); waits while the buffer is full under the block policy, until `signal`
   * aborts (then nothing is written and the source's checkpoint does not move).
   */
  async write(records: readonly LogRecord[], updates?: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new MeshlogError(AgentErrors.AGENT_BUFFER_CLOSED, `Cannot write to disk buffer "${this.#o.dir}": it is closed`);
    if (records.length === 0 && updates === undefined) return;
    const recordsJson = JSON.stringify(records.map(encodeRecord));
    let blocked = false;
    while (this.isFull() && this.totalBytes > SEGMENT_HEADER_BYTES * this.#sizes.size) {
      if (this.#o.whenFull === "drop_oldest") {
        if (!(await this.#dropOldest())) break;
        continue;
      }
      if (this.#flushing === undefined && this.#allCaughtUp() && (this.#sizes.get(this.#current) ?? 0) > SEGMENT_HEADER_BYTES) {
        await this.#roll();
        await this.#collect();
        continue;
      }
      if (!blocked) this.#o.metrics.inc(...M.bufferBlocked);
      blocked = true;
      this.#gauge();
      await new Promise<void>((r) => {
        this.#spaceWaiters.push(r);
        signal?.addEventListener("abort", () => r(), { once: true });
      });
      if (this.#closed)
        throw new MeshlogError(AgentErrors.AGENT_BUFFER_CLOSED, `Cannot write to disk buffer "${this.#o.dir}": it closed while waiting for space`);
      if (signal?.aborted === true)
        throw new MeshlogError(AgentErrors.AGENT_BUFFER_CLOSED, `Write to disk buffer "${this.#o.dir}" cancelled: its source stopped while waiting for space`);
    }
    const seq = this.#nextSeq++;
    const meta = JSON.stringify(updates === undefined ? { s: seq } : { s: seq, c: updates });
    const frame = encodeFrame(Buffer.from(`${meta}\n${recordsJson}`, "utf8"));
    this.#pendingBytes += frame.length;
    const done = new Promise<void>((resolve, reject) => this.#pending.push({ frame, seq, updates, resolve, reject }));
    this.#flushing ??= this.#flush();
    return done;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          if (this.#rolling !== undefined) await this.#rolling;
          if ((this.#sizes.get(this.#current) ?? 0) >= this.#o.segmentBytes) await this.#roll();
          const data = Buffer.concat(batch.map((p) => p.frame));
          const fh = this.#fh;
          if (fh === undefined) throw new Error("BUG: disk buffer has no open segment");
          await fh.write(data);
          if (this.#o.sync) await fh.datasync();
          this.#sizes.set(this.#current, (this.#sizes.get(this.#current) ?? 0) + data.length);
          this.#pendingBytes -= data.length;
          for (const p of batch) {
            this.#o.checkpoints.apply(p.seq, p.updates);
            p.resolve();
          }
        } catch (err) {
          for (const p of batch) {
            this.#pendingBytes -= p.frame.length;
            p.reject(err);
          }
        }
        this.#version++;
        this.#gauge();
        for (const w of this.#dataWaiters.splice(0)) w();
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #roll(): Promise<void> {
    const rolling = (async () => {
      const fh = this.#fh;
      this.#fh = undefined;
      await fh?.close();
      await this.#createSegment(this.#current + 1);
    })();
    this.#rolling = rolling;
    try {
      await rolling;
    } finally {
      if (this.#rolling === rolling) this.#rolling = undefined;
    }
  }

  #allCaughtUp(): boolean {
    for (const name of this.#cursors.keys()) if (!this.caughtUp(name)) return false;
    return true;
  }

  /** Drops the oldest segment for every reader; returns false when there is nothing to drop. */
  async #dropOldest(): Promise<boolean> {
    if (this.#flushing !== undefined) await this.#flushing;
    let oldest = this.#oldest();
    if (oldest === this.#current) {
      if ((this.#sizes.get(oldest) ?? 0) <= SEGMENT_HEADER_BYTES) return false;
      await this.#roll();
      oldest = this.#oldest();
    }
    // Counting reads the segment (async); a reader may ack meanwhile, so count again until nothing moved.
    let dropped = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = JSON.stringify([...this.#cursors, ...this.#inflight]);
      dropped = 0;
      for (const [name, c] of this.#cursors) {
        if (c.seg !== oldest) continue;
        const held = this.#inflight.get(name);
        const from = held !== undefined && isAhead(held, c) ? held : c;
        if (from.seg === oldest) dropped = Math.max(dropped, await this.#countFrom(from));
      }
      if (!this.#sizes.has(oldest)) return true; // freed meanwhile by readers
      if (JSON.stringify([...this.#cursors, ...this.#inflight]) === before) break;
    }
    for (const [name, c] of this.#cursors) if (c.seg === oldest) this.#cursors.set(name, { seg: oldest + 1, off: SEGMENT_HEADER_BYTES, idx: 0 });
    this.#o.metrics.inc(...M.bufferDropped, {}, dropped);
    this.#o.logger.warn("disk buffer full: dropped the oldest segment (when_full: drop_oldest)", { segment: segmentFileName(oldest), records: dropped });
    await this.#deleteSegment(oldest);
    await this.#saveCursors();
    return true;
  }

  async #countFrom(c: Cursor): Promise<number> {
    let n = 0;
    const cur = { ...c };
    const size = this.#sizes.get(cur.seg) ?? 0;
    while (cur.off < size) {
      const f = await this.#reader.frame(cur.seg, cur.off);
      n += f.records.length - cur.idx;
      cur.off = f.next;
      cur.idx = 0;
    }
    return n;
  }

  async #deleteSegment(seg: number): Promise<void> {
    await this.#o.checkpoints.persist();
    await this.#reader.forget(seg);
    this.#sizes.delete(seg);
    await unlink(join(this.#o.dir, segmentFileName(seg))).catch(() => undefined);
    for (const w of this.#spaceWaiters.splice(0)) w();
  }

  /** Deletes segments every reader has fully consumed. */
  async #collect(): Promise<void> {
    for (const seg of [...this.#sizes.keys()].sort((a, b) => a - b)) {
      if (seg === this.#current) break;
      const size = this.#sizes.get(seg) ?? 0;
      const passed = [...this.#cursors.values()].every((c) => c.seg > seg || (c.seg === seg && c.off >= size));
      if (!passed) break;
      for (const [name, c] of this.#cursors) if (c.seg === seg) this.#cursors.set(name, { seg: seg + 1, off: SEGMENT_HEADER_BYTES, idx: 0 });
      await this.#deleteSegment(seg);
    }
    this.#gauge();
  }

  /**
   * Reads up to `maxRecords` records and about `maxBytes` of record text (at least one record) for
   * `reader` without waiting; undefined when nothing is new.
   */
  async read(reader: string, maxRecords: number, maxBytes = Number.MAX_SAFE_INTEGER): Promise<BufferBatch | undefined> {
    const start = this.#cursors.get(reader);
    if (start === undefined) throw new Error(`BUG: unknown buffer reader ${reader}`);
    const c = { ...start };
    const out: LogRecord[] = [];
    let bytes = 0;
    while (out.length < maxRecords && bytes < maxBytes) {
      const size = this.#sizes.get(c.seg);
      if (size === undefined || c.off >= size) {
        const next = [...this.#sizes.keys()].filter((s) => s > c.seg).sort((a, b) => a - b)[0];
        if (next === undefined) break;
        if (size !== undefined && c.seg === this.#current) break;
        c.seg = next;
        c.off = SEGMENT_HEADER_BYTES;
        c.idx = 0;
        continue;
      }
      let f: DecodedFrame;
      try {
        f = await this.#reader.frame(c.seg, c.off);
      } catch (err) {
        if (this.#sizes.has(c.seg)) throw err;
        continue; // the segment was dropped (drop_oldest) while it was being read: move on
      }
      const take = Math.min(maxRecords - out.length, f.records.length - c.idx);
      let taken = 0;
      while (taken < take && (bytes < maxBytes || out.length === 0)) {
        const r = decodeRecord(f.records[c.idx + taken] as StoredRecord);
        bytes += recordSize(r);
        out.push(r);
        taken++;
      }
      c.idx += taken;
      if (c.idx >= f.records.length) {
        c.off = f.next;
        c.idx = 0;
      }
    }
    const moved = c.seg !== start.seg || c.off !== start.off || c.idx !== start.idx;
    if (!moved) return undefined;
    this.#inflight.set(reader, { ...c });
    return { records: out, end: c };
  }

  /** Increases with every completed write; pass it to `waitForData` to never miss a wake-up. */
  get version(): number {
    return this.#version;
  }

  /**
   * Waits until data newer than `since` (a `version` read before the last `read`) is written, `signal`
   * aborts, the buffer closes, or `maxWaitMs` passed.
   */
  waitForData(signal?: AbortSignal, since = this.#version, maxWaitMs = 1000): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#closed || signal?.aborted === true || this.#version !== since) return resolve();
      const t = setTimeout(done, maxWaitMs);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      this.#dataWaiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Advances `reader` past a batch its sink delivered or rejected, persists the cursor, frees segments. */
  async ack(reader: string, batch: BufferBatch): Promise<void> {
    const cur = this.#cursors.get(reader);
    this.#inflight.delete(reader);
    if (cur === undefined) return;
    const e = batch.end;
    if (isAhead(e, cur)) this.#cursors.set(reader, { ...e });
    await this.#saveCursors();
    await this.#collect();
  }

  /** Records not yet acknowledged by `reader` are still on disk; this says whether any remain. */
  caughtUp(reader: string): boolean {
    const c = this.#cursors.get(reader);
    return c !== undefined && c.seg === this.#current && c.off >= (this.#sizes.get(c.seg) ?? 0);
  }

  #saveCursors(): Promise<void> {
    this.#cursorSave = this.#cursorSave.then(() => saveCursors(this.#o.dir, this.#cursors));
    return this.#cursorSave;
  }

  #gauge(): void {
    this.#o.metrics.set(...M.bufferBytes, {}, this.totalBytes);
    this.#o.metrics.set(...M.bufferFull, {}, this.isFull() ? 1 : 0);
  }

  /** Flushes pending writes, persists cursors and checkpoints, and releases waiters and files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
    for (const w of this.#spaceWaiters.splice(0)) w();
    for (const w of this.#dataWaiters.splice(0)) w();
    await this.#saveCursors();
    await this.#o.checkpoints.persist();
    await this.#fh?.close();
    await this.#reader.close();
  }
}

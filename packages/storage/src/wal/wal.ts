// Write-ahead log: segment files of CRC-framed batches, group commit, replay with torn-tail repair.

import { MeshlogError, silentLogger, type Logger } from "@meshlog/core";
import { EngineErrors } from "../engine/errors.js";
import { parseWalSegmentName, quarantineName, walSegmentName } from "../file-names.js";
import type { FileHandle, FileSystem } from "../io/file-system.js";
import { WalRecordWriter } from "./wal-record-codec.js";
import { encodeWalFrameSections, encodeWalHeader, scanSegment, WAL_HEADER_SIZE, type WalBatch, type WalProblem, type WalStreamRecords } from "./wal-format.js";

export interface WalOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly quarantineDir: string;
  readonly logger?: Logger;
  /** Rotate to a new segment when the current one would exceed this size (default 64 MiB). */
  readonly segmentMaxBytes?: number;
  /** The next sequence number is at least this (the engine passes 1 + the highest sequence already sealed). */
  readonly minNextSeq?: number;
  readonly nowMs?: () => number;
}

/** What replay found, per segment problem. Empty `problems` means a clean WAL. */
export interface WalReplayReport {
  segments: number;
  batches: number;
  records: number;
  /** Torn tails truncated and mid-segment corruption (segment copied to quarantine and rewritten). */
  problems: (WalProblem & { file: string; action: string })[];
}

interface Pending {
  readonly frame: Buffer;
  readonly seq: number;
  readonly sections: readonly (readonly [number, number])[];
  readonly onDurable: ((seq: number, sections: readonly Uint8Array[]) => void) | undefined;
  readonly resolve: (seq: number) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The write-ahead log. `append` encodes a frame at once, queues it, and resolves after the frame is written
 * and fsynced; frames queued while a write is in flight share the next write+fsync (group commit).
 * `onDurable` callbacks run synchronously in sequence order right after the fsync, before any promise resolves.
 */
export class Wal {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #qdir: string;
  readonly #logger: Logger;
  readonly #segmentMax: number;
  readonly #nowMs: () => number;
  /** Segment number -> highest sequence written to it (0 when none). */
  readonly #segments = new Map<number, number>();
  #active = 0;
  #handle: FileHandle | undefined;
  #size = 0;
  #nextSeq: number;
  #queue: Pending[] = [];
  #queuedBytes = 0;
  #flushing: Promise<void> | undefined;
  #failed: Error | undefined;
  #closed = false;
  /** Reused encoding buffer: each frame is copied out of it at its exact size. */
  readonly #scratch = new WalRecordWriter(1 << 20);

  private constructor(opts: WalOptions, nextSeq: number) {
    this.#fs = opts.fs;
    this.#dir = opts.dir;
    this.#qdir = opts.quarantineDir;
    this.#logger = opts.logger ?? silentLogger;
    this.#segmentMax = opts.segmentMaxBytes ?? 64 * 1024 * 1024;
    this.#nowMs = opts.nowMs ?? Date.now;
    this.#nextSeq = nextSeq;
  }

  /**
   * Opens the WAL: replays every segment in order through `onBatch` (torn tails are truncated and
   * reported; a segment with corruption in the middle is copied to quarantine and rewritten with its valid
   * frames), then starts a fresh segment for new appends.
   */
  static async open(opts: WalOptions, onBatch: (batch: WalBatch, sections: readonly Uint8Array[]) => void): Promise<{ wal: Wal; report: WalReplayReport }> {
    const { fs, dir } = opts;
    const logger = opts.logger ?? silentLogger;
    await fs.mkdirp(dir);
    const report: WalReplayReport = { segments: 0, batches: 0, records: 0, problems: [] };
    const names = (await fs.readdir(dir)).filter((n) => parseWalSegmentName(n) !== undefined).sort();
    const maxSeqs = new Map<number, number>();
    let lastSeq = 0;
    for (const name of names) {
      const segment = parseWalSegmentName(name) as number;
      const path = fs.join(dir, name);
      const buf = await fs.readFile(path);
      const scan = scanSegment(buf);
      report.segments++;
      if (scan.headerProblem !== undefined) {
        const action = buf.length <= WAL_HEADER_SIZE ? "removed (empty segment)" : "moved to quarantine";
        report.problems.push({ ...scan.headerProblem, file: name, action });
        logger.warn("WAL segment has a bad header", { file: name, problem: scan.headerProblem.message, action });
        if (buf.length <= WAL_HEADER_SIZE) await fs.unlink(path);
        else await Wal.#quarantine(fs, opts.quarantineDir, path, name, opts.nowMs ?? Date.now);
        continue;
      }
      let maxSeq = 0;
      for (const f of scan.frames) {
        onBatch(f.batch, f.sections);
        report.batches++;
        for (const s of f.batch.streams) report.records += s.records.length;
        if (f.batch.seq > maxSeq) maxSeq = f.batch.seq;
      }
      if (maxSeq > lastSeq) lastSeq = maxSeq;
      maxSeqs.set(segment, maxSeq);
      if (scan.corruptions.length > 0) {
        for (const c of scan.corruptions) {
          report.problems.push({ ...c, file: name, action: "segment copied to quarantine; valid frames kept" });
          logger.error("WAL segment is corrupt in the middle", { file: name, offset: c.offset, problem: c.message });
        }
        await fs.mkdirp(opts.quarantineDir);
        await fs.writeFileAtomic(fs.join(opts.quarantineDir, quarantineName(name, "corrupt", (opts.nowMs ?? Date.now)())), buf);
        await fs.writeFileAtomic(path, Buffer.concat([encodeWalHeader(), ...scan.frames.map((f) => buf.subarray(f.offset, f.offset + f.length))]));
      } else if (scan.tornTail !== undefined) {
        report.problems.push({ ...scan.tornTail, file: name, action: `truncated to ${scan.validEnd} bytes` });
        logger.warn("WAL torn tail truncated", { file: name, offset: scan.tornTail.offset, problem: scan.tornTail.message });
        const h = await fs.open(path, "r+");
        try {
          await h.truncate(scan.validEnd);
          await h.sync();
        } finally {
          await h.close();
        }
      }
    }
    const nextSeq = Math.max(lastSeq + 1, opts.minNextSeq ?? 1);
    const wal = new Wal(opts, nextSeq);
    for (const [s, m] of maxSeqs) wal.#segments.set(s, m);
    const lastSegment = names.length === 0 ? 0 : (parseWalSegmentName(names[names.length - 1] as string) as number);
    await wal.#startSegment(lastSegment + 1);
    return { wal, report };
  }

  static async #quarantine(fs: FileSystem, qdir: string, path: string, name: string, nowMs: () => number): Promise<void> {
    await fs.mkdirp(qdir);
    await fs.rename(path, fs.join(qdir, quarantineName(name, "corrupt", nowMs())));
    await fs.syncDir(qdir);
  }

  async #startSegment(segment: number): Promise<void> {
    if (this.#handle !== undefined) await this.#handle.close();
    const path = this.#fs.join(this.#dir, walSegmentName(segment));
    const h = await this.#fs.open(path, "w");
    await h.write(encodeWalHeader(), 0);
    await h.sync();
    await this.#fs.syncDir(this.#dir);
    this.#handle = h;
    this.#active = segment;
    this.#size = WAL_HEADER_SIZE;
    this.#segments.set(segment, 0);
  }

  /** Sequence number the next batch will get. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes encoded but not yet durable (for backpressure). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Segment numbers present (for tests and stats). */
  segments(): number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  /**
   * Appends one batch. Resolves with its sequence number after it is fsynced. Rejects with
   * WAL_WRITE_FAILED when the write or fsync failed (the batch is then not in the log). `onDurable` also gets
   * each stream's encoded records (views valid only during the call: copy what is kept).
   */
  append(tenant: string, streams: readonly WalStreamRecords[], onDurable?: (seq: number, sections: readonly Uint8Array[]) => void): Promise<number> {
    if (this.#closed) return Promise.reject(new MeshlogError("STORAGE_CLOSED", "Cannot append to the WAL: it is closed"));
    if (this.#failed !== undefined) {
      return Promise.reject(
        new MeshlogError(
          EngineErrors.WAL_WRITE_FAILED,
          `Cannot append to the WAL in ${this.#dir}: an earlier failure left it unusable (${this.#failed.message})`,
          { cause: this.#failed },
        ),
      );
    }
    const seq = this.#nextSeq++;
    const { frame, sections } = encodeWalFrameSections({ seq, tenant, streams }, this.#scratch);
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ frame, sections, seq, onDurable, resolve, reject });
      this.#queuedBytes += frame.length;
      if (this.#flushing === undefined) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        let bytes = 0;
        for (const p of group) bytes += p.frame.length;
        this.#queuedBytes -= bytes;
        const data =
          group.length === 1
            ? (group[0] as Pending).frame
            : Buffer.concat(
                group.map((p) => p.frame),
                bytes,
              );
        try {
          if (this.#failed !== undefined) throw this.#failed;
          if (this.#size > WAL_HEADER_SIZE && this.#size + bytes > this.#segmentMax) await this.#startSegment(this.#active + 1);
          const h = this.#handle as FileHandle;
          await h.write(data, this.#size);
          await h.sync();
          this.#size += bytes;
        } catch (e) {
          await this.#recoverFromFailure(e as Error);
          const err = new MeshlogError(EngineErrors.WAL_WRITE_FAILED, `WAL write to ${walSegmentName(this.#active)} failed: ${(e as Error).message}`, {
            cause: e,
          });
          for (const p of group) p.reject(err);
          continue;
        }
        const last = (group[group.length - 1] as Pending).seq;
        if (last > (this.#segments.get(this.#active) ?? 0)) this.#segments.set(this.#active, last);
        for (const p of group) {
          try {
            if (p.onDurable !== undefined)
              p.onDurable(
                p.seq,
                p.sections.map(([a, b]) => p.frame.subarray(a, b)),
              );
          } catch (e) {
            this.#logger.error("WAL onDurable callback failed", { seq: p.seq, error: e as Error });
          }
        }
        for (const p of group) p.resolve(p.seq);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** After a failed write, cut the segment back to its last good size; if that fails, the WAL is unusable. */
  async #recoverFromFailure(e: Error): Promise<void> {
    if (this.#failed !== undefined) return;
    this.#logger.error("WAL write failed", { segment: walSegmentName(this.#active), error: e });
    try {
      const h = this.#handle as FileHandle;
      await h.truncate(this.#size);
      await h.sync();
    } catch (e2) {
      this.#failed = e2 as Error;
    }
  }

  /**
   * Deletes segments (other than the active one) whose highest sequence is <= `sealedSeq`: their data is
   * in sealed, synced blocks. Returns the names removed.
   */
  async removeSealed(sealedSeq: number): Promise<string[]> {
    const removed: string[] = [];
    for (const [segment, maxSeq] of [...this.#segments]) {
      if (segment === this.#active || maxSeq > sealedSeq) continue;
      await this.#fs.unlink(this.#fs.join(this.#dir, walSegmentName(segment)));
      this.#segments.delete(segment);
      removed.push(walSegmentName(segment));
    }
    if (removed.length > 0) await this.#fs.syncDir(this.#dir);
    return removed;
  }

  /** Waits for queued appends, then closes the active segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

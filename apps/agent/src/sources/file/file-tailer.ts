// Tails files matched by globs: rotation (rename, copytruncate), truncation, deletion, checkpoints.

import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import type { LogRecord } from "@meshlog/core";
import type { SourceContext } from "../../contracts.js";
import { M } from "../../runtime/metrics.js";
import { expandGlob, matchesGlob } from "./glob.js";
import type { FramedLine, LineFramer } from "./line-framer.js";

const FINGERPRINT_BYTES = 256;

/** Checkpoint of one file identity (`dev:ino`): resume offset plus a fingerprint of its first bytes. */
export interface FileCheckpoint {
  path: string;
  offset: number;
  fpLen: number;
  fpCrc: number;
}

export interface FileTailerOptions {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly startAt: "beginning" | "end";
  readonly readSize: number;
  readonly pollMs: number;
  readonly rotateWaitMs: number;
  readonly maxLineBytes: number;
  readonly multilineTimeoutMs: number;
  readonly framer: (path: string) => LineFramer;
  /** Adds source-specific fields (labels, kubernetes metadata) to a new record. */
  readonly enrich: (record: LogRecord, path: string) => void;
}

interface Tracked {
  readonly key: string;
  path: string;
  readonly fh: FileHandle;
  readPos: number;
  committed: number;
  carry: Buffer;
  framer: LineFramer;
  fpLen: number;
  fpCrc: number;
  inGlob: boolean;
  goneSince: number | undefined;
  lastData: number;
}

/**
 * Invariant: a checkpoint offset is the end of the last record handed to the buffer; lines held by the
 * framer or without a newline yet are re-read after a restart. Files that leave the glob (renamed or
 * deleted) are read to their end through the open descriptor, then closed after `rotateWaitMs`.
 */
export class FileTailer {
  readonly #o: FileTailerOptions;
  readonly #ctx: SourceContext;
  readonly #files = new Map<string, Tracked>();
  readonly #buf: Buffer;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #first = true;
  /** Checkpoint keys of files gone while the agent was down; deleted with the next buffer write. */
  #stale: Record<string, null> = {};

  constructor(o: FileTailerOptions, ctx: SourceContext) {
    this.#o = o;
    this.#ctx = ctx;
    this.#buf = Buffer.allocUnsafe(o.readSize);
  }

  /**
   * Discovers the files present now (so start_at applies to exactly these), then starts the read loop.
   * Nothing here waits for the buffer, so a full buffer cannot hold up agent startup.
   */
  async start(): Promise<void> {
    await this.#discover(Date.now());
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let read = 0;
      try {
        read = await this.#tick();
      } catch (err) {
        if (this.#stopped) break;
        this.#ctx.metrics.inc(...M.sourceErrors, { source: this.#ctx.name });
        this.#ctx.logger.error("file tail pass failed", { source: this.#ctx.name, error: err as Error });
      }
      if (read === 0 && !this.#stopped) await new Promise<void>((r) => ((this.#wake = r), setTimeout(r, this.#o.pollMs)));
    }
  }

  async #scan(): Promise<Map<string, { path: string; size: number }>> {
    const found = new Map<string, { path: string; size: number }>();
    for (const pattern of this.#o.include) {
      for (const path of await expandGlob(pattern)) {
        if (this.#o.exclude.some((x) => matchesGlob(path, x))) continue;
        const st = await stat(path).catch(() => undefined);
        if (st === undefined || !st.isFile()) continue;
        found.set(`${st.dev}:${st.ino}`, { path, size: st.size });
      }
    }
    return found;
  }

  /** One pass: discover files, read new data, retire drained rotated files. Returns bytes read. */
  async #tick(): Promise<number> {
    const now = Date.now();
    await this.#discover(now);
    if (Object.keys(this.#stale).length > 0) {
      const stale = this.#stale;
      this.#stale = {};
      await this.#ctx.emit([], stale);
    }
    let total = 0;
    for (const t of [...this.#files.values()]) {
      if (this.#stopped) break;
      total += await this.#readFile(t);
      if (!t.inGlob && t.goneSince !== undefined && now - t.goneSince >= this.#o.rotateWaitMs) await this.#retire(t);
    }
    return total;
  }

  /** Scans the globs: tracks new files, notes files that left the glob. Never emits. */
  async #discover(now: number): Promise<void> {
    const found = await this.#scan();
    const saved = this.#ctx.checkpoints();
    for (const [key, f] of found) {
      const t = this.#files.get(key);
      if (t !== undefined) {
        t.path = f.path;
        t.inGlob = true;
        t.goneSince = undefined;
        continue;
      }
      await this.#track(key, f.path, saved.get(key) as FileCheckpoint | undefined, true);
    }
    if (this.#first) {
      this.#first = false;
      await this.#recoverRenamed(saved, found);
    }
    for (const t of this.#files.values()) {
      if (!found.has(t.key) && t.inGlob) {
        t.inGlob = false;
        t.goneSince = now;
      }
    }
  }

  async #track(key: string, path: string, cp: FileCheckpoint | undefined, inGlob: boolean): Promise<Tracked | undefined> {
    const fh = await open(path, "r").catch(() => undefined);
    if (fh === undefined) return undefined;
    const size = (await fh.stat()).size;
    let offset = 0;
    let fp: { len: number; crc: number };
    const valid = cp !== undefined && typeof cp.offset === "number" && typeof cp.fpLen === "number" && typeof cp.fpCrc === "number";
    if (valid) {
      // Resume at the checkpoint with its fingerprint. When the file was truncated or copytruncated while the
      // agent was down, the first read notices the mismatch and recovers from the copy like a live truncation.
      offset = cp.offset;
      fp = { len: cp.fpLen, crc: cp.fpCrc };
    } else {
      if (cp === undefined && this.#first && this.#o.startAt === "end") offset = size;
      fp = await this.#fingerprint(fh);
    }
    const t: Tracked = {
      key,
      path,
      fh,
      readPos: offset,
      committed: offset,
      carry: Buffer.alloc(0),
      framer: this.#o.framer(path),
      fpLen: fp.len,
      fpCrc: fp.crc,
      inGlob,
      goneSince: inGlob ? undefined : Date.now(),
      lastData: Date.now(),
    };
    this.#files.set(key, t);
    this.#ctx.logger.info("tailing file", { source: this.#ctx.name, path, offset });
    return t;
  }

  /** After a restart, finds files renamed away while the agent was down (same dev:ino beside the old path). */
  async #recoverRenamed(saved: Map<string, unknown>, found: Map<string, unknown>): Promise<void> {
    const stale = this.#stale;
    for (const [key, value] of saved) {
      if (found.has(key) || this.#files.has(key)) continue;
      const cp = value as FileCheckpoint;
      let recovered = false;
      const dir = dirname(cp.path);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const p = join(dir, name);
        const st = await stat(p).catch(() => undefined);
        if (st !== undefined && st.isFile() && `${st.dev}:${st.ino}` === key && st.size > cp.offset) {
          recovered = (await this.#track(key, p, cp, false)) !== undefined;
          break;
        }
      }
      if (!recovered) stale[key] = null;
    }
  }

  async #fingerprint(fh: FileHandle): Promise<{ len: number; crc: number }> {
    const b = Buffer.alloc(FINGERPRINT_BYTES);
    const { bytesRead } = await fh.read(b, 0, FINGERPRINT_BYTES, 0);
    return { len: bytesRead, crc: crc32(b.subarray(0, bytesRead)) };
  }

  async #fingerprintOk(fh: FileHandle, len: number, crc: number): Promise<boolean> {
    if (typeof len !== "number" || len <= 0) return true;
    const b = Buffer.alloc(len);
    const { bytesRead } = await fh.read(b, 0, len, 0);
    return bytesRead === len && crc32(b) === crc;
  }

  #checkpoint(t: Tracked): Record<string, FileCheckpoint> {
    return { [t.key]: { path: t.path, offset: t.committed, fpLen: t.fpLen, fpCrc: t.fpCrc } };
  }

  async #emit(t: Tracked, lines: FramedLine[]): Promise<void> {
    const records: LogRecord[] = [];
    const now = this.#ctx.clock.nowNs();
    for (const l of lines) {
      const r: LogRecord = {
        timestamp: l.timestamp ?? now,
        observedTimestamp: now,
        severityNumber: 0,
        severityText: "",
        body: l.body,
        attributes: { "log.file.path": t.path, ...l.attributes },
        resource: {},
        traceId: "",
        spanId: "",
        tenant: "",
        labels: {},
      };
      this.#o.enrich(r, t.path);
      records.push(r);
    }
    const pending = t.framer.pendingStart();
    t.committed = Math.min(pending ?? Number.MAX_SAFE_INTEGER, t.readPos - t.carry.length);
    await this.#ctx.emit(records, this.#checkpoint(t));
  }

  /** Reads what is new in one file (bounded per pass for fairness); handles truncation. */
  async #readFile(t: Tracked): Promise<number> {
    const size = (await t.fh.stat()).size;
    if (size < t.readPos || (t.fpLen > 0 && !(await this.#fingerprintOk(t.fh, t.fpLen, t.fpCrc)))) await this.#truncated(t, size);
    if (t.fpLen < FINGERPRINT_BYTES && size > t.fpLen) {
      const fp = await this.#fingerprint(t.fh);
      t.fpLen = fp.len;
      t.fpCrc = fp.crc;
    }
    let total = 0;
    for (let pass = 0; pass < 16 && !this.#stopped; pass++) {
      const { bytesRead } = await t.fh.read(this.#buf, 0, this.#buf.length, t.readPos);
      if (bytesRead === 0) break;
      total += bytesRead;
      const chunk = this.#buf.subarray(0, bytesRead);
      const data = t.carry.length > 0 ? Buffer.concat([t.carry, chunk]) : chunk;
      const dataStart = t.readPos - t.carry.length;
      t.readPos += bytesRead;
      const lines: FramedLine[] = [];
      let pos = 0;
      for (let nl = data.indexOf(10, pos); nl >= 0; nl = data.indexOf(10, pos)) {
        const endText = nl > pos && data[nl - 1] === 13 ? nl - 1 : nl;
        lines.push(...t.framer.push(data.toString("utf8", pos, endText), dataStart + pos, dataStart + nl + 1));
        pos = nl + 1;
      }
      if (data.length - pos > this.#o.maxLineBytes) {
        lines.push(...t.framer.push(data.toString("utf8", pos), dataStart + pos, dataStart + data.length));
        pos = data.length;
      }
      t.carry = Buffer.from(data.subarray(pos));
      t.lastData = Date.now();
      await this.#emit(t, lines);
    }
    if (total === 0 && t.framer.pendingStart() !== undefined && Date.now() - t.lastData >= this.#o.multilineTimeoutMs) {
      await this.#emit(t, t.framer.flush());
    }
    return total;
  }

  /**
   * copytruncate: the data between our position and the truncation usually sits in the copy. Look for a
   * file beside it starting with the same bytes, read the missing part from it, then restart at 0.
   */
  async #truncated(t: Tracked, size: number): Promise<void> {
    this.#ctx.logger.warn("file truncated; reading it again from the start", { source: this.#ctx.name, path: t.path, position: t.readPos, size });
    const copy = await this.#findCopy(t);
    if (copy !== undefined) {
      try {
        const b = Buffer.alloc(Math.max(0, copy.size - t.readPos));
        const { bytesRead } = await copy.fh.read(b, 0, b.length, t.readPos);
        const data = Buffer.concat([t.carry, b.subarray(0, bytesRead)]);
        const text = data.toString("utf8");
        const parts = text.split("\n");
        const lines: FramedLine[] = [];
        parts.forEach((p, i) => {
          if (i === parts.length - 1 && p === "") return;
          lines.push(...t.framer.push(p.endsWith("\r") ? p.slice(0, -1) : p, 0, 0));
        });
        lines.push(...t.framer.flush());
        t.carry = Buffer.alloc(0);
        this.#ctx.logger.info("recovered the tail of a copytruncated file from its copy", {
          source: this.#ctx.name,
          path: t.path,
          copy: copy.path,
          bytes: bytesRead,
        });
        t.readPos = 0;
        t.committed = 0;
        await this.#emit(t, lines);
      } finally {
        await copy.fh.close();
      }
    } else {
      const lost = t.framer.flush();
      if (t.carry.length > 0) lost.push({ body: t.carry.toString("utf8"), end: 0 });
      t.carry = Buffer.alloc(0);
      t.readPos = 0;
      await this.#emit(t, lost);
    }
    t.framer = this.#o.framer(t.path);
    const fp = await this.#fingerprint(t.fh);
    t.fpLen = fp.len;
    t.fpCrc = fp.crc;
    t.readPos = 0;
    t.committed = 0;
  }

  async #findCopy(t: Tracked): Promise<{ path: string; fh: FileHandle; size: number } | undefined> {
    if (t.fpLen === 0) return undefined;
    const dir = dirname(t.path);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, name);
      if (p === t.path) continue;
      const st = await stat(p).catch(() => undefined);
      if (st === undefined || !st.isFile() || st.size < t.readPos || `${st.dev}:${st.ino}` === t.key) continue;
      const fh = await open(p, "r").catch(() => undefined);
      if (fh === undefined) continue;
      if (await this.#fingerprintOk(fh, t.fpLen, t.fpCrc)) return { path: p, fh, size: st.size };
      await fh.close();
    }
    return undefined;
  }

  /** A file gone from the glob and drained: emit what is held, forget its checkpoint, close it. */
  async #retire(t: Tracked): Promise<void> {
    const lines = t.framer.flush();
    if (t.carry.length > 0) lines.push({ body: t.carry.toString("utf8"), end: t.readPos });
    t.carry = Buffer.alloc(0);
    if (lines.length > 0) await this.#emit(t, lines);
    await this.#ctx.emit([], { [t.key]: null });
    this.#files.delete(t.key);
    await t.fh.close();
    this.#ctx.logger.info("stopped tailing rotated or deleted file", { source: this.#ctx.name, path: t.path });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await Promise.race([this.#loop, new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const t of this.#files.values()) await t.fh.close().catch(() => undefined);
    this.#files.clear();
  }
}

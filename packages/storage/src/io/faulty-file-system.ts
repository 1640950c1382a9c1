// In-memory FileSystem for tests that can tear the last write, lose data not fsynced (a crash) and fail I/O.

import type { FileHandle, FileStat, FileSystem } from "./file-system.js";

interface MemFile {
  /** What a reader sees now (page cache). */
  data: Buffer;
  /** What survives a crash: the content at the last sync(), or undefined if never synced. */
  durable: Buffer | undefined;
  mode: number;
}

/** Options of `crash()`. */
export interface CrashOptions {
  /**
   * Bytes of each file's unsynced tail (data past its durable length) that survive, simulating a torn
   * write: 0 (default) drops all of it; a number keeps that prefix; "half" keeps half of it.
   */
  readonly keepUnsynced?: number | "half";
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return "/" + parts.join("/");
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * A FileSystem held in memory. Files created and renamed are durable at once (a simplification: real
 * filesystems need a directory fsync), but their content is durable only up to the last sync() of a
 * handle or writeFileAtomic. `crash()` discards everything else, optionally keeping a torn prefix.
 * Faults: `failSyncs`/`failWrites` make the next n calls throw EIO; `freeBytes` is settable.
 */
export class FaultyFileSystem implements FileSystem {
  readonly #files = new Map<string, MemFile>();
  readonly #dirs = new Set<string>(["/"]);
  failSyncs = 0;
  failWrites = 0;
  free = 1 << 40;
  /** Counts of operations, for asserting group commit. */
  readonly counts = { writes: 0, syncs: 0 };
  #generation = 0;
  #syncGate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;

  /** Makes every sync() wait until `resumeSyncs()` (to hold appends in flight, e.g. across a crash). */
  pauseSyncs(): void {
    if (this.#syncGate !== undefined) return;
    this.#syncGate = new Promise((r) => (this.#openGate = r));
  }

  resumeSyncs(): void {
    this.#openGate?.();
    this.#syncGate = undefined;
    this.#openGate = undefined;
  }

  join(...parts: string[]): string {
    return normalize(parts.join("/"));
  }

  #file(path: string): MemFile | undefined {
    return this.#files.get(normalize(path));
  }

  async open(path: string, flags: "r" | "r+" | "a" | "w", mode = 0o600): Promise<FileHandle> {
    const p = normalize(path);
    let f = this.#files.get(p);
    if (f === undefined) {
      if (flags === "r" || flags === "r+") throw fsError("ENOENT", `no such file ${p}`);
      if (!this.#dirs.has(parentOf(p))) throw fsError("ENOENT", `no such directory ${parentOf(p)}`);
      f = { data: Buffer.alloc(0), durable: undefined, mode };
      this.#files.set(p, f);
    } else if (flags === "w") {
      f.data = Buffer.alloc(0);
    }
    return this.#handle(p, flags);
  }

  #handle(p: string, flags: "r" | "r+" | "a" | "w"): FileHandle {
    let closed = false;
    const generation = this.#generation;
    const get = (): MemFile => {
      if (closed) throw fsError("EBADF", `file ${p} is closed`);
      if (generation !== this.#generation) throw fsError("EIO", `file ${p} was opened before a simulated crash`);
      const f = this.#files.get(p);
      if (f === undefined) throw fsError("ENOENT", `file ${p} was removed`);
      return f;
    };
    return {
      write: async (data, position) => {
        const f = get();
        if (flags === "r") throw fsError("EBADF", `file ${p} is read-only`);
        this.counts.writes++;
        if (this.failWrites > 0) {
          this.failWrites--;
          throw fsError("EIO", `write to ${p} failed (injected)`);
        }
        const pos = position === undefined || flags === "a" ? f.data.length : position;
        const end = pos + data.length;
        if (end > f.data.length) {
          const next = Buffer.alloc(end);
          f.data.copy(next);
          f.data = next;
        }
        f.data.set(data, pos);
      },
      read: async (length, position) => {
        const f = get();
        return Buffer.from(f.data.subarray(position, Math.min(position + length, f.data.length)));
      },
      sync: async () => {
        if (this.#syncGate !== undefined) await this.#syncGate;
        const f = get();
        this.counts.syncs++;
        if (this.failSyncs > 0) {
          this.failSyncs--;
          throw fsError("EIO", `fsync of ${p} failed (injected)`);
        }
        f.durable = Buffer.from(f.data);
      },
      truncate: async (length) => {
        const f = get();
        f.data = Buffer.from(f.data.subarray(0, length));
      },
      size: async () => get().data.length,
      close: async () => {
        closed = true;
      },
    };
  }

  async readFile(path: string): Promise<Buffer> {
    const f = this.#file(path);
    if (f === undefined) throw fsError("ENOENT", `no such file ${normalize(path)}`);
    return Buffer.from(f.data);
  }

  async writeFileAtomic(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
    const p = normalize(path);
    if (!this.#dirs.has(parentOf(p))) throw fsError("ENOENT", `no such directory ${parentOf(p)}`);
    this.counts.writes++;
    if (this.failWrites > 0) {
      this.failWrites--;
      throw fsError("EIO", `write to ${p} failed (injected)`);
    }
    const copy = Buffer.from(data);
    this.#files.set(p, { data: copy, durable: Buffer.from(copy), mode });
  }

  async readdir(path: string): Promise<string[]> {
    const p = normalize(path);
    const prefix = p === "/" ? "/" : p + "/";
    const out = new Set<string>();
    for (const name of [...this.#files.keys(), ...this.#dirs]) {
      if (name.startsWith(prefix) && name !== p) {
        const rest = name.slice(prefix.length);
        const first = rest.split("/")[0];
        if (first !== undefined && first !== "") out.add(first);
      }
    }
    return [...out].sort();
  }

  async mkdirp(path: string): Promise<void> {
    let p = normalize(path);
    while (p !== "/") {
      this.#dirs.add(p);
      p = parentOf(p);
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const p = normalize(path);
    const f = this.#files.get(p);
    if (f !== undefined) return { size: f.data.length, mode: f.mode, isDirectory: false };
    if (this.#dirs.has(p)) return { size: 0, mode: 0o700, isDirectory: true };
    return undefined;
  }

  async rename(from: string, to: string): Promise<void> {
    const f = this.#file(from);
    if (f === undefined) throw fsError("ENOENT", `no such file ${normalize(from)}`);
    if (!this.#dirs.has(parentOf(normalize(to)))) throw fsError("ENOENT", `no such directory ${parentOf(normalize(to))}`);
    this.#files.delete(normalize(from));
    this.#files.set(normalize(to), f);
  }

  async unlink(path: string): Promise<void> {
    this.#files.delete(normalize(path));
  }

  async syncDir(): Promise<void> {
    this.counts.syncs++;
  }

  async freeBytes(): Promise<number> {
    return this.free;
  }

  /**
   * Simulates power loss: every file falls back to its durable content plus, optionally, a torn
   * prefix of the unsynced tail. Files never synced keep only that prefix (or vanish when it is 0).
   * Handles opened before the crash fail every later call with EIO (the old process is gone).
   */
  crash(opts: CrashOptions = {}): void {
    this.#generation++;
    this.resumeSyncs();
    for (const [p, f] of this.#files) {
      const base = f.durable ?? Buffer.alloc(0);
      let keep = 0;
      if (f.data.length > base.length && base.equals(f.data.subarray(0, base.length))) {
        const tail = f.data.length - base.length;
        keep = opts.keepUnsynced === "half" ? Math.floor(tail / 2) : Math.min(tail, opts.keepUnsynced ?? 0);
      }
      if (f.durable === undefined && keep === 0) {
        this.#files.delete(p);
        continue;
      }
      f.data = Buffer.from(f.data.subarray(0, base.length + keep));
      f.durable = Buffer.from(f.data);
    }
  }

  /** Flips the bits of one byte of a file (both the visible and the durable copy), for tamper tests. */
  flipByte(path: string, offset: number): void {
    const f = this.#file(path);
    if (f === undefined || offset >= f.data.length) throw new Error(`flipByte: ${path} has no byte at ${offset}`);
    f.data[offset] = (f.data[offset] as number) ^ 0xff;
    if (f.durable !== undefined && offset < f.durable.length) f.durable[offset] = (f.durable[offset] as number) ^ 0xff;
  }

  /** Replaces a file's content durably (for tamper tests). */
  setFile(path: string, data: Uint8Array): void {
    const copy = Buffer.from(data);
    this.#files.set(normalize(path), { data: copy, durable: Buffer.from(copy), mode: 0o600 });
  }

  /** Paths of all files, sorted. */
  files(): string[] {
    return [...this.#files.keys()].sort();
  }
}

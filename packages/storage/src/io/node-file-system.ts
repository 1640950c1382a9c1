// FileSystem implementation on node:fs (the only production code that touches the disk).

import { promises as fsp, constants } from "node:fs";
import { join, dirname, basename } from "node:path";
import type { FileHandle, FileStat, FileSystem } from "./file-system.js";

class NodeFileHandle implements FileHandle {
  readonly #h: fsp.FileHandle;
  readonly #append: boolean;
  constructor(h: fsp.FileHandle, append: boolean) {
    this.#h = h;
    this.#append = append;
  }
  async write(data: Uint8Array, position?: number): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const pos = position === undefined ? (this.#append ? null : null) : position + off;
      const { bytesWritten } = await this.#h.write(data, off, data.length - off, pos);
      off += bytesWritten;
    }
  }
  async read(length: number, position: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let off = 0;
    while (off < length) {
      const { bytesRead } = await this.#h.read(buf, off, length - off, position + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === length ? buf : buf.subarray(0, off);
  }
  async sync(): Promise<void> {
    await this.#h.datasync();
  }
  async truncate(length: number): Promise<void> {
    await this.#h.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.#h.stat()).size;
  }
  async close(): Promise<void> {
    await this.#h.close();
  }
}

export class NodeFileSystem implements FileSystem {
  join(...parts: string[]): string {
    return join(...parts);
  }
  async open(path: string, flags: "r" | "r+" | "a" | "w", mode = 0o600): Promise<FileHandle> {
    return new NodeFileHandle(await fsp.open(path, flags, mode), flags === "a");
  }
  readFile(path: string): Promise<Buffer> {
    return fsp.readFile(path);
  }
  async writeFileAtomic(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    const h = await fsp.open(tmp, "w", mode);
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(tmp, path);
    await this.syncDir(dirname(path));
  }
  async readdir(path: string): Promise<string[]> {
    try {
      return await fsp.readdir(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }
  async mkdirp(path: string, mode = 0o700): Promise<void> {
    await fsp.mkdir(path, { recursive: true, mode });
  }
  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = await fsp.stat(path);
      return { size: s.size, mode: s.mode, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }
  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    try {
      await fsp.unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  async syncDir(path: string): Promise<void> {
    const h = await fsp.open(path, constants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
  async freeBytes(path: string): Promise<number> {
    const s = await fsp.statfs(path);
    return s.bavail * s.bsize;
  }
}

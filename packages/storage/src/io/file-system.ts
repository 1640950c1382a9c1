// The filesystem seam: every storage layer does I/O through this interface, so tests can inject faults.

/** An open file. Writes are not durable until sync() resolves. */
export interface FileHandle {
  /** Writes at `position`, or appends at the end when position is undefined. */
  write(data: Uint8Array, position?: number): Promise<void>;
  /** Reads up to `length` bytes at `position`. */
  read(length: number, position: number): Promise<Buffer>;
  /** fsync: everything written so far survives a crash once this resolves. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileStat {
  readonly size: number;
  readonly mode: number;
  readonly isDirectory: boolean;
}

/** Paths are plain strings joined with `join`; implementations decide what they mean. */
export interface FileSystem {
  join(...parts: string[]): string;
  /** Opens a file: "r" read, "r+" read/write, "a" append (created if missing), "w" truncate/create. */
  open(path: string, flags: "r" | "r+" | "a" | "w", mode?: number): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  /** Writes a whole file durably and atomically (temp file, fsync, rename, fsync of the directory). */
  writeFileAtomic(path: string, data: Uint8Array, mode?: number): Promise<void>;
  /** Entries of a directory (names only), [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  mkdirp(path: string, mode?: number): Promise<void>;
  stat(path: string): Promise<FileStat | undefined>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory, making creations, renames and deletions in it durable. */
  syncDir(path: string): Promise<void>;
  /** Free bytes on the filesystem holding `path`. */
  freeBytes(path: string): Promise<number>;
}

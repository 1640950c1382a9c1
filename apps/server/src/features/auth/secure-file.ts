// Private files: atomic 0600 JSON state writes and the start-up check that secrets are not group/world-readable.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { SecurityErrors } from "./errors.js";

/** Writes JSON to `file` atomically (temp file 0600, fsync, rename, fsync of the folder). */
export function writePrivateJson(file: string, value: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic.
  }
}

/** Reads a JSON state file; undefined when it does not exist; SECURITY_STATE_CORRUPT when it does not parse. */
export function readPrivateJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  assertPrivateFile(file);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (err) {
    throw new MeshlogError(SecurityErrors.SECURITY_STATE_CORRUPT, `cannot parse ${file}: ${(err as Error).message}`);
  }
}

/**
 * Throws SECURITY_FILE_INSECURE when `file` exists and is readable or writable by group or others.
 * The message names the file and the command that fixes it.
 */
export function assertPrivateFile(file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) {
    throw new MeshlogError(
      SecurityErrors.SECURITY_FILE_INSECURE,
      `refusing to start: ${file} has mode ${(mode & 0o777).toString(8).padStart(3, "0")} and is accessible by group or others; run: chmod 600 ${file}`,
    );
  }
}

// Durable JSON files of the retention feature under DATA/retention (atomic writes, mode 0600).

import { MeshlogError } from "@meshlog/core";
import { RETENTION_CERTIFICATES_DIR, RETENTION_DIR } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { RetentionErrors } from "./errors.js";

export const POLICIES_FILE = "policies.json";
export const HOLDS_FILE = "holds.json";
/** DATA/retention/compaction/<id>.json: merges journalled before they start (removed when done). */
export const COMPACTION_JOURNAL_DIR = "compaction";

export interface RetentionPaths {
  readonly dir: string;
  readonly policiesFile: string;
  readonly holdsFile: string;
  readonly certificatesDir: string;
}

export function retentionPaths(fs: FileSystem, dataDir: string): RetentionPaths {
  const dir = fs.join(dataDir, RETENTION_DIR);
  return { dir, policiesFile: fs.join(dir, POLICIES_FILE), holdsFile: fs.join(dir, HOLDS_FILE), certificatesDir: fs.join(dir, RETENTION_CERTIFICATES_DIR) };
}

/** Reads a JSON file; undefined when it does not exist; RETENTION_FILE_CORRUPT naming the file otherwise. */
export async function readJsonFile(fs: FileSystem, path: string): Promise<unknown> {
  if ((await fs.stat(path)) === undefined) return undefined;
  const text = (await fs.readFile(path)).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new MeshlogError(RetentionErrors.RETENTION_FILE_CORRUPT, `Cannot parse retention file "${path}": ${(e as Error).message}`);
  }
}

/** Writes a JSON file atomically (temp file, fsync, rename) with mode 0600, creating its folder (0700). */
export async function writeJsonFile(fs: FileSystem, path: string, dir: string, value: unknown): Promise<void> {
  await fs.mkdirp(dir, 0o700);
  await fs.writeFileAtomic(path, Buffer.from(JSON.stringify(value, null, 2) + "\n", "utf8"), 0o600);
}

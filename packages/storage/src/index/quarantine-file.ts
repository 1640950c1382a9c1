// Moves a damaged or orphaned file into a quarantine folder, keeping it as evidence.

import { quarantineName } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";

/** Renames `dir/name` to `qdir/<name>.<reason>.<ms>` and syncs both folders. Returns the new path. */
export async function quarantineFile(fs: FileSystem, dir: string, name: string, qdir: string, reason: string, nowMs: number): Promise<string> {
  await fs.mkdirp(qdir);
  const to = fs.join(qdir, quarantineName(name, reason, nowMs));
  await fs.rename(fs.join(dir, name), to);
  await fs.syncDir(qdir);
  await fs.syncDir(dir);
  return to;
}

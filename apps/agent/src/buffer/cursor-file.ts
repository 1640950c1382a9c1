// Persistence of the per-sink read cursors of the disk buffer (`cursors.json`, replaced atomically).

import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@meshlog/core";
import { CURSORS_FILE } from "./segment-file.js";

/** Position of a reader: segment number, frame offset, record index inside the frame. */
export interface Cursor {
  seg: number;
  off: number;
  idx: number;
}

/** Reads saved cursors; a missing or unreadable file means every reader starts at the oldest data. */
export async function loadCursors(dir: string, logger: Logger): Promise<Record<string, Cursor>> {
  try {
    return JSON.parse(await readFile(join(dir, CURSORS_FILE), "utf8")) as Record<string, Cursor>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      logger.warn("buffer cursor file unreadable; readers restart at the oldest data", { error: err as Error });
    return {};
  }
}

/** Writes the cursors through a temp file and a rename, so a crash leaves the old or the new file. */
export async function saveCursors(dir: string, cursors: ReadonlyMap<string, Cursor>): Promise<void> {
  const path = join(dir, CURSORS_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(Object.fromEntries(cursors)));
  await rename(`${path}.tmp`, path);
}

// Source checkpoints (file offsets, journald cursors) persisted atomically beside the disk buffer.

import { readFile, rename, writeFile, open } from "node:fs/promises";
import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { AgentErrors } from "../errors.js";

export const CHECKPOINTS_FILE = "checkpoints.json";

/**
 * Holds the latest checkpoint of every source key. Values change only when the records they cover are in
 * the disk buffer (the buffer records the update in the same frame), so a restart never skips data.
 * `seq` is the buffer entry sequence the state includes; entries with a higher seq are replayed on top.
 */
export class CheckpointStore {
  readonly #path: string;
  readonly #values = new Map<string, unknown>();
  #seq = 0;
  #persistedSeq = -1;
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  /** Loads `checkpoints.json` from `dir` (absent file = empty state). */
  static async load(dir: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(join(dir, CHECKPOINTS_FILE));
    let text: string;
    try {
      text = await readFile(store.#path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return store;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new MeshlogError(AgentErrors.AGENT_CHECKPOINT_CORRUPT, `Cannot parse checkpoint file "${store.#path}": not JSON`, { cause });
    }
    const obj = parsed as { seq?: unknown; checkpoints?: unknown };
    if (typeof obj !== "object" || obj === null || typeof obj.seq !== "number" || typeof obj.checkpoints !== "object" || obj.checkpoints === null) {
      throw new MeshlogError(AgentErrors.AGENT_CHECKPOINT_CORRUPT, `Cannot read checkpoint file "${store.#path}": expected {seq, checkpoints}`);
    }
    store.#seq = obj.seq;
    store.#persistedSeq = obj.seq;
    for (const [k, v] of Object.entries(obj.checkpoints)) store.#values.set(k, v);
    return store;
  }

  /** Sequence of the last buffer entry whose updates are included. */
  get seq(): number {
    return this.#seq;
  }

  get(key: string): unknown {
    return this.#values.get(key);
  }

  /** All keys starting with `prefix`, with the prefix removed. */
  entries(prefix: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [k, v] of this.#values) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  }

  /** Applies the updates of buffer entry `seq` (null deletes a key). Older entries are ignored. */
  apply(seq: number, updates: Readonly<Record<string, unknown>> | undefined): void {
    if (seq <= this.#seq) return;
    this.#seq = seq;
    if (updates === undefined) return;
    for (const [k, v] of Object.entries(updates)) {
      if (v === null) this.#values.delete(k);
      else this.#values.set(k, v);
    }
  }

  /** Writes the state atomically (temp file, fsync, rename) unless nothing changed. */
  persist(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      if (this.#persistedSeq === this.#seq) return;
      const seq = this.#seq;
      const body = JSON.stringify({ version: 1, seq, checkpoints: Object.fromEntries(this.#values) });
      const tmp = `${this.#path}.tmp`;
      await writeFile(tmp, body);
      const fh = await open(tmp, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.#path);
      this.#persistedSeq = seq;
    });
    return this.#saving;
  }
}

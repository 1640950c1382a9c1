// Runs block sealing on a worker thread (falls back to the calling thread when workers are unavailable).

import { Worker } from "node:worker_threads";
import type { Logger, LogRecord } from "@meshlog/core";
import { sealBlock, type SealInput } from "../block/block-codec.js";
import { blockCipher } from "./block-cipher.js";
import type { SealJob, SealReply } from "./seal-worker.js";

/**
 * One worker that seals blocks, so compression, hashing and encryption do not stall appends and
 * queries. Jobs are answered in order. `close()` terminates the worker.
 */
export class SealPool {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  readonly #logger: Logger;
  #next = 1;

  constructor(logger: Logger, useWorker: boolean) {
    this.#logger = logger;
    if (useWorker) this.#start();
  }

  #start(): void {
    try {
      const w = new Worker(new URL("./seal-worker.js", import.meta.url));
      w.on("message", (m: SealReply) => {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if ("error" in m) p.reject(new Error(m.error));
        else p.resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      });
      w.on("error", (e) => this.#fail(e));
      w.on("exit", (code) => {
        if (this.#worker === w) this.#fail(new Error(`seal worker exited with code ${code}`));
      });
      // Unref after adding listeners (adding a message listener refs the worker again).
      w.unref();
      this.#worker = w;
    } catch (e) {
      this.#logger.warn("seal worker unavailable; sealing on the main thread", { error: e as Error });
      this.#worker = undefined;
    }
  }

  #fail(e: Error): void {
    this.#logger.error("seal worker failed; sealing on the main thread from now on", { error: e });
    this.#worker = undefined;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /** Seals records (sorted, one stream) into block file bytes. */
  seal(records: readonly LogRecord[], input: SealInput): Promise<Buffer> {
    const w = this.#worker;
    if (w === undefined) return Promise.resolve().then(() => sealBlock(records, input, blockCipher).bytes);
    const id = this.#next++;
    const job: SealJob = {
      id,
      records: records as LogRecord[],
      input: { ...input, dataKey: new Uint8Array(input.dataKey), wrappedKey: new Uint8Array(input.wrappedKey) },
    };
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) w.ref();
      w.postMessage(job);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker?.unref();
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) await w.terminate();
  }
}

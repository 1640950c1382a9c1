// Runs block sealing on a worker thread (falls back to the calling thread when workers are unavailable).

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Logger, LogRecord } from "@meshlog/core";
import { sealBlock, sortByTime, type SealInput } from "../block/block-codec.js";
import { decodeWalRecords } from "../wal/wal-record-codec.js";
import { blockCipher } from "./block-cipher.js";
import type { SealJob, SealJobBody, SealReply } from "./seal-worker.js";

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>;
}

/**
 * Worker threads that seal blocks, so compression, hashing and encryption do not stall appends and
 * queries, and a flush seals several streams at once. A job goes to the least busy worker. When a worker
 * fails, its jobs are rejected and sealing continues on the others, or on the calling thread.
 * `close()` terminates the workers.
 */
export class SealPool {
  readonly #workers: PoolWorker[] = [];
  readonly #logger: Logger;
  #next = 1;

  /** `workers` 0 seals on the calling thread; default: one per core, at most 4. */
  constructor(logger: Logger, workers = Math.min(4, availableParallelism())) {
    this.#logger = logger;
    for (let i = 0; i < workers; i++) this.#start();
  }

  /** Blocks that can be sealed at the same time. */
  get size(): number {
    return Math.max(1, this.#workers.length);
  }

  #start(): void {
    try {
      const worker = new Worker(new URL("./seal-worker.js", import.meta.url));
      const pw: PoolWorker = { worker, pending: new Map() };
      worker.on("message", (m: SealReply) => {
        const p = pw.pending.get(m.id);
        if (p === undefined) return;
        pw.pending.delete(m.id);
        if (pw.pending.size === 0) worker.unref();
        if ("error" in m) p.reject(new Error(m.error));
        else p.resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      });
      worker.on("error", (e) => this.#fail(pw, e));
      worker.on("exit", (code) => this.#fail(pw, new Error(`seal worker exited with code ${code}`)));
      // Unref after adding listeners (adding a message listener refs the worker again).
      worker.unref();
      this.#workers.push(pw);
    } catch (e) {
      this.#logger.warn("seal worker unavailable; sealing on the main thread", { error: e as Error });
    }
  }

  #fail(pw: PoolWorker, e: Error): void {
    const i = this.#workers.indexOf(pw);
    if (i < 0) return;
    this.#workers.splice(i, 1);
    this.#logger.error("seal worker failed", { error: e, workersLeft: this.#workers.length });
    for (const p of pw.pending.values()) p.reject(e);
    pw.pending.clear();
  }

  /** Seals records (sorted, one stream) into block file bytes. */
  seal(records: readonly LogRecord[], input: SealInput): Promise<Buffer> {
    return this.#post(input, { records: records as LogRecord[] }, () => sealBlock(records, input, blockCipher).bytes);
  }

  /**
   * Seals `count` records of one stream given as their WAL encoding in arrival order (a head buffer's):
   * the bytes are transferred to a worker (unusable here afterwards), which decodes and sorts them, so no
   * record object is cloned. Without workers they are decoded on the calling thread.
   */
  sealEncoded(count: number, encoded: Uint8Array, input: SealInput): Promise<Buffer> {
    const onCaller = () => sealBlock(sortByTime(decodeWalRecords(encoded, count, input.tenant, input.labels)), input, blockCipher).bytes;
    return this.#post(input, { encoded, count }, onCaller);
  }

  #post(input: SealInput, body: SealJobBody, onCaller: () => Buffer): Promise<Buffer> {
    let pw: PoolWorker | undefined;
    for (const w of this.#workers) if (pw === undefined || w.pending.size < pw.pending.size) pw = w;
    if (pw === undefined) return Promise.resolve().then(onCaller);
    const target = pw;
    const id = this.#next++;
    const job: SealJob = {
      id,
      ...body,
      input: { ...input, dataKey: new Uint8Array(input.dataKey), wrappedKey: new Uint8Array(input.wrappedKey) },
    };
    return new Promise<Buffer>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.ref();
      if ("encoded" in body) target.worker.postMessage(job, [body.encoded.buffer as ArrayBuffer]);
      else target.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const ws = this.#workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

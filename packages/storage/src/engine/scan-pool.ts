// Worker threads that open and needle-scan blocks for select(), so several blocks decode at once (DESIGN §4).

import { Worker } from "node:worker_threads";
import type { Labels, Logger, LogRecord } from "@meshlog/core";
import type { ScanJob, ScanReply } from "./scan-worker.js";

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (r: { records: LogRecord[]; plain: Buffer }) => void; reject: (e: Error) => void }>;
}

/**
 * A small pool of scan workers. A job goes to the least busy worker; when a worker fails its jobs are
 * rejected with `workerFailed: true` (the caller then reads the block on its own thread) and the pool goes
 * on with the others. A block that does not decode is rejected with the decoder's message.
 * With no worker (size 0 or workers unavailable) `available` is false.
 */
export class ScanPool {
  readonly #workers: PoolWorker[] = [];
  readonly #logger: Logger;
  #next = 1;

  constructor(logger: Logger, workers: number) {
    this.#logger = logger;
    for (let i = 0; i < workers; i++) this.#start();
  }

  get available(): boolean {
    return this.#workers.length > 0;
  }

  get size(): number {
    return this.#workers.length;
  }

  #start(): void {
    try {
      const worker = new Worker(new URL("./scan-worker.js", import.meta.url));
      const pw: PoolWorker = { worker, pending: new Map() };
      worker.on("message", (m: ScanReply) => {
        const p = pw.pending.get(m.id);
        if (p === undefined) return;
        pw.pending.delete(m.id);
        if (pw.pending.size === 0) worker.unref();
        if ("error" in m) p.reject(new Error(m.error));
        else p.resolve({ records: m.records, plain: Buffer.from(m.plain.buffer, m.plain.byteOffset, m.plain.byteLength) });
      });
      worker.on("error", (e) => this.#fail(pw, e));
      worker.on("exit", (code) => this.#fail(pw, new Error(`scan worker exited with code ${code}`)));
      worker.unref();
      this.#workers.push(pw);
    } catch (e) {
      this.#logger.warn("scan worker unavailable; blocks are scanned on the main thread", { error: e as Error });
    }
  }

  #fail(pw: PoolWorker, e: Error): void {
    const i = this.#workers.indexOf(pw);
    if (i < 0) return;
    this.#workers.splice(i, 1);
    this.#logger.error("scan worker failed", { error: e, workersLeft: this.#workers.length });
    const failed = Object.assign(new Error(e.message), { workerFailed: true });
    for (const p of pw.pending.values()) p.reject(failed);
    pw.pending.clear();
  }

  /**
   * Opens block file `bytes` (transferred: unusable here afterwards) with `dataKey` and returns the rows
   * that pass `needles`, with the block's labels object, and the column plaintext.
   */
  scan(bytes: Buffer, dataKey: Buffer, needles: readonly string[], labels: Labels): Promise<{ records: LogRecord[]; plain: Buffer }> {
    let pw: PoolWorker | undefined;
    for (const w of this.#workers) if (pw === undefined || w.pending.size < pw.pending.size) pw = w;
    if (pw === undefined) return Promise.reject(Object.assign(new Error("no scan worker"), { workerFailed: true }));
    const target = pw;
    const id = this.#next++;
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
    const job: ScanJob = { id, bytes: owned, dataKey: new Uint8Array(dataKey), needles };
    return new Promise<{ records: LogRecord[]; plain: Buffer }>((resolve, reject) => {
      target.pending.set(id, {
        resolve: (r) => {
          // Structured cloning gave every record its own labels object; restore the shared one.
          for (const rec of r.records) rec.labels = labels;
          resolve(r);
        },
        reject,
      });
      target.worker.ref();
      target.worker.postMessage(job, [owned.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const ws = this.#workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

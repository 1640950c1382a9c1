// Worker-thread entry that seals blocks (columns, Merkle root, bloom, compression, encryption) off the main thread.

import { parentPort } from "node:worker_threads";
import type { LogRecord } from "@meshlog/core";
import { sealBlock, sortByTime, type SealInput } from "../block/block-codec.js";
import { decodeWalRecords } from "../wal/wal-record-codec.js";
import { blockCipher } from "./block-cipher.js";

/**
 * What to seal: records already sorted by time (structured-cloned), or `count` records in arrival order as
 * their WAL encoding (transferred; decoded and sorted here).
 */
export type SealJobBody = { readonly records: LogRecord[] } | { readonly encoded: Uint8Array; readonly count: number };

/** A seal job as posted to the worker (Buffers arrive as Uint8Arrays). */
export type SealJob = SealJobBody & {
  readonly id: number;
  readonly input: Omit<SealInput, "dataKey" | "wrappedKey"> & { dataKey: Uint8Array; wrappedKey: Uint8Array };
};

export type SealReply = { readonly id: number; readonly bytes: Uint8Array } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null) {
  port.on("message", (job: SealJob) => {
    try {
      let records: LogRecord[];
      if ("encoded" in job) records = sortByTime(decodeWalRecords(job.encoded, job.count, job.input.tenant, job.input.labels));
      else {
        // Structured cloning gives every record its own labels object; restore the shared one.
        records = job.records;
        for (const r of records) r.labels = job.input.labels;
      }
      const dataKey = Buffer.from(job.input.dataKey);
      const sealed = sealBlock(records, { ...job.input, dataKey, wrappedKey: Buffer.from(job.input.wrappedKey) }, blockCipher);
      dataKey.fill(0);
      const bytes = new Uint8Array(sealed.bytes);
      port.postMessage({ id: job.id, bytes } satisfies SealReply, [bytes.buffer]);
    } catch (e) {
      port.postMessage({ id: job.id, error: (e as Error).message } satisfies SealReply);
    }
  });
}

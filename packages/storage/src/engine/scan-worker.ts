// Worker-thread entry that decrypts, decompresses and needle-scans blocks for select() off the main thread.

import { parentPort } from "node:worker_threads";
import type { LogRecord } from "@meshlog/core";
import { openPlain, recordsOfPlain } from "../block/block-codec.js";
import { parseBlockHeader } from "../block/block-format.js";
import { RowNeedles } from "../block/row-match.js";
import { blockCipher } from "./block-cipher.js";

/** A block to scan: its file bytes (transferred), the unwrapped data key and the needles. */
export interface ScanJob {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly dataKey: Uint8Array;
  readonly needles: readonly string[];
}

/** Rows that pass the needles (labels restored by the caller) and the plaintext (transferred, for the block cache). */
export type ScanReply = { readonly id: number; readonly records: LogRecord[]; readonly plain: Uint8Array } | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null) {
  port.on("message", (job: ScanJob) => {
    const dataKey = Buffer.from(job.dataKey);
    try {
      const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
      const header = parseBlockHeader(bytes);
      const plain = openPlain(bytes, header, dataKey, blockCipher);
      const records = recordsOfPlain(plain, header.meta, new RowNeedles(job.needles));
      const out = plain.byteOffset === 0 && plain.byteLength === plain.buffer.byteLength ? plain : Buffer.from(plain);
      port.postMessage({ id: job.id, records, plain: out } satisfies ScanReply, [out.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: job.id, error: (e as Error).message } satisfies ScanReply);
    } finally {
      dataKey.fill(0);
      job.dataKey.fill(0);
    }
  });
}

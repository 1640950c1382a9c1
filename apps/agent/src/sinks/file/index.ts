// Sink `file`: appends records as NDJSON to a local file (fsync per batch).

import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import type { SinkDefinition } from "../../contracts.js";
import { batchSchema } from "../http-sender.js";
import { toNdjson } from "../wire-record.js";

export const fileSinkSchema = z
  .strictObject({
    path: z.string().min(1).describe("File to append to (created when missing)."),
    sync: z.boolean().default(true).describe("fsync after each batch."),
    batch: batchSchema,
  })
  .describe("Append to a file.");

export const fileSink: SinkDefinition<z.output<typeof fileSinkSchema>> = {
  type: "file",
  description: "Appends records as NDJSON (native wire form) to a file.",
  configSchema: fileSinkSchema,
  create(config) {
    let fh: FileHandle | undefined;
    return {
      async send(records) {
        try {
          fh ??= await open(config.path, "a");
          await fh.write(toNdjson(records));
          if (config.sync) await fh.datasync();
          return { status: "delivered" };
        } catch (err) {
          return { status: "retry", reason: `cannot append to "${config.path}": ${(err as Error).message}` };
        }
      },
      async close() {
        await fh?.close();
        fh = undefined;
      },
    };
  },
};

// Sink `stdout`: writes records as NDJSON (native wire form) to standard output.

import { z } from "zod";
import type { SinkDefinition } from "../../contracts.js";
import { batchSchema } from "../http-sender.js";
import { toNdjson } from "../wire-record.js";

export const stdoutSinkSchema = z.strictObject({ batch: batchSchema }).describe("Print records.");

export const stdoutSink: SinkDefinition<z.output<typeof stdoutSinkSchema>> = {
  type: "stdout",
  description: "Writes records as NDJSON to standard output (debugging, piping).",
  configSchema: stdoutSinkSchema,
  create() {
    return {
      send: (records) =>
        new Promise((resolve) => {
          process.stdout.write(toNdjson(records), (err) => resolve(err ? { status: "retry", reason: err.message } : { status: "delivered" }));
        }),
      async close() {},
    };
  },
};

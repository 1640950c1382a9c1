// Source `stdin`: one record per line of standard input (no checkpoint: a pipe cannot be re-read).

import { createInterface } from "node:readline";
import { z } from "zod";
import type { LogRecord } from "@meshlog/core";
import type { Source, SourceContext, SourceDefinition } from "../../contracts.js";

export const stdinSourceSchema = z
  .strictObject({
    batch_size: z.number().int().min(1).max(100_000).default(1000).describe("Lines per buffer write."),
    labels: z.record(z.string(), z.string()).default({}).describe("Static labels for records of this source."),
  })
  .describe("Standard input.");
export type StdinSourceConfig = z.output<typeof stdinSourceSchema>;

class StdinSource implements Source {
  readonly #c: StdinSourceConfig;
  readonly #ctx: SourceContext;
  readonly #input: NodeJS.ReadableStream;
  #done: Promise<void> = Promise.resolve();
  #rl: ReturnType<typeof createInterface> | undefined;

  constructor(c: StdinSourceConfig, ctx: SourceContext, input: NodeJS.ReadableStream) {
    this.#c = c;
    this.#ctx = ctx;
    this.#input = input;
  }

  async start(): Promise<void> {
    const rl = createInterface({ input: this.#input, crlfDelay: Infinity });
    this.#rl = rl;
    this.#done = (async () => {
      let batch: LogRecord[] = [];
      for await (const line of rl) {
        const now = this.#ctx.clock.nowNs();
        batch.push({
          timestamp: now,
          observedTimestamp: now,
          severityNumber: 0,
          severityText: "",
          body: line,
          attributes: {},
          resource: {},
          traceId: "",
          spanId: "",
          tenant: "",
          labels: { ...this.#c.labels },
        });
        if (batch.length >= this.#c.batch_size || (this.#input as NodeJS.ReadStream).readableLength === 0) {
          const b = batch;
          batch = [];
          await this.#ctx.emit(b);
        }
      }
      if (batch.length > 0) await this.#ctx.emit(batch);
      this.#ctx.logger.info("stdin closed", { source: this.#ctx.name });
    })().catch((err: unknown) => this.#ctx.logger.error("stdin read failed", { source: this.#ctx.name, error: err as Error }));
  }

  async stop(): Promise<void> {
    this.#rl?.close();
    await Promise.race([this.#done, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** Reads `process.stdin`; tests pass another stream through `createStdinSource`. */
export function createStdinSource(input: NodeJS.ReadableStream): SourceDefinition<StdinSourceConfig> {
  return {
    type: "stdin",
    description: "Reads records line by line from standard input.",
    configSchema: stdinSourceSchema,
    create: (config, ctx) => new StdinSource(config, ctx, input),
  };
}

export const stdinSource = createStdinSource(process.stdin);

// Source `journald`: follows `journalctl -o json --follow`, resuming after the last buffered cursor.

import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import type { LogRecord } from "@meshlog/core";
import type { Source, SourceContext, SourceDefinition } from "../../contracts.js";
import { durationSchema } from "../../config/units.js";
import { M } from "../../runtime/metrics.js";
import { journalEntryRecord } from "./journal-entry.js";

export const journaldSourceSchema = z
  .strictObject({
    journalctl_path: z.string().default("journalctl").describe("journalctl binary."),
    units: z.array(z.string()).default([]).describe("Only these systemd units (journalctl -u); empty: all."),
    start_at: z.enum(["beginning", "end"]).default("end").describe("Where to start without a checkpoint."),
    directory: z.string().optional().describe("Journal directory (journalctl -D), for example a host mount in a container."),
    batch_size: z.number().int().min(1).max(100_000).default(500).describe("Entries per buffer write."),
    restart_delay: durationSchema.default(1000).describe("Wait before restarting journalctl after it exits."),
    labels: z.record(z.string(), z.string()).default({}).describe("Static labels for records of this source."),
  })
  .describe("systemd journal.");
export type JournaldSourceConfig = z.output<typeof journaldSourceSchema>;

/** Arguments for journalctl: resume after `cursor` when known. */
export function journalctlArgs(c: JournaldSourceConfig, cursor: string | undefined): string[] {
  const args = ["-o", "json", "--follow", "--no-pager", "--all"];
  if (c.directory !== undefined) args.push("-D", c.directory);
  for (const u of c.units) args.push("-u", u);
  if (cursor !== undefined) args.push(`--after-cursor=${cursor}`);
  else args.push("--lines", c.start_at === "beginning" ? "all" : "0");
  return args;
}

class JournaldSource implements Source {
  readonly #c: JournaldSourceConfig;
  readonly #ctx: SourceContext;
  #child: ChildProcess | undefined;
  #stopped = false;
  #cursor: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done: Promise<void> = Promise.resolve();

  constructor(c: JournaldSourceConfig, ctx: SourceContext) {
    this.#c = c;
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    const saved = this.#ctx.checkpoints().get("cursor");
    this.#cursor = typeof saved === "string" ? saved : undefined;
    this.#spawn();
  }

  #spawn(): void {
    if (this.#stopped) return;
    const child = spawn(this.#c.journalctl_path, journalctlArgs(this.#c, this.#cursor), { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-2000)));
    child.on("error", (err) => this.#ctx.logger.error("cannot run journalctl", { source: this.#ctx.name, path: this.#c.journalctl_path, error: err }));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity });
    this.#done = (async () => {
      let batch: LogRecord[] = [];
      let cursor: string | undefined;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const records = batch;
        batch = [];
        await this.#ctx.emit(records, { cursor });
        this.#cursor = cursor;
      };
      try {
        for await (const line of lines) {
          const e = journalEntryRecord(line, this.#ctx.clock.nowNs());
          if (e === undefined) {
            if (line.trim() !== "") this.#ctx.metrics.inc(...M.sourceErrors, { source: this.#ctx.name });
            continue;
          }
          if (Object.keys(this.#c.labels).length > 0) e.record.labels = { ...this.#c.labels };
          batch.push(e.record);
          cursor = e.cursor;
          if (batch.length >= this.#c.batch_size || (child.stdout?.readableLength ?? 0) === 0) await flush();
        }
        await flush();
      } catch (err) {
        if (!this.#stopped) this.#ctx.logger.error("journald read failed", { source: this.#ctx.name, error: err as Error });
      }
    })();
    child.on("exit", (code) => {
      if (this.#stopped) return;
      this.#ctx.logger.warn("journalctl exited; restarting", { source: this.#ctx.name, code, stderr: stderr.trim().slice(0, 500) });
      this.#timer = setTimeout(() => void this.#done.then(() => this.#spawn()), this.#c.restart_delay);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#child?.kill("SIGTERM");
    await Promise.race([this.#done, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

export const journaldSource: SourceDefinition<JournaldSourceConfig> = {
  type: "journald",
  description: "Follows the systemd journal through journalctl -o json; the cursor is checkpointed with the records.",
  configSchema: journaldSourceSchema,
  create: (config, ctx) => new JournaldSource(config, ctx),
};

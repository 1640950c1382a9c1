// Source `file`: tails files matched by globs, with multiline joining and checkpoints.

import { z } from "zod";
import type { SourceDefinition } from "../../contracts.js";
import { durationSchema, sizeSchema } from "../../config/units.js";
import { FileTailer } from "./file-tailer.js";
import { MultilineFramer, PlainFramer, multilineSchema } from "./line-framer.js";

/** Options shared by every file-based source (file, kubernetes). */
export const tailOptionsShape = {
  exclude: z.array(z.string()).default([]).describe("Globs of files to skip (for example rotated copies: /var/log/app/*.gz)."),
  start_at: z
    .enum(["beginning", "end"])
    .default("end")
    .describe("Where to start in files present at startup that have no checkpoint; files appearing later are always read from the beginning."),
  read_size: sizeSchema.default(1024 * 1024).describe("Bytes read per system call (default 1MiB)."),
  poll_interval: durationSchema.default(250).describe("How often globs are rescanned and files checked for new data."),
  rotate_wait: durationSchema.default(5000).describe("How long a renamed or deleted file is still read after it left the glob."),
  max_line_size: sizeSchema.default(1024 * 1024).describe("A line longer than this is split."),
  labels: z.record(z.string(), z.string()).default({}).describe("Static labels for records of this source."),
};

export const fileSourceSchema = z
  .strictObject({
    include: z.array(z.string()).min(1).describe("Globs of files to tail (*, ?, [set], {a,b}, **)."),
    ...tailOptionsShape,
    multiline: multilineSchema,
  })
  .describe("Tail files.");
export type FileSourceConfig = z.output<typeof fileSourceSchema>;

export const fileSource: SourceDefinition<FileSourceConfig> = {
  type: "file",
  description: "Tails files matched by globs; handles rotation, truncation and deletion; checkpoints survive restarts.",
  configSchema: fileSourceSchema,
  create(config, ctx) {
    const tailer = new FileTailer(
      {
        include: config.include,
        exclude: config.exclude,
        startAt: config.start_at,
        readSize: config.read_size,
        pollMs: config.poll_interval,
        rotateWaitMs: config.rotate_wait,
        maxLineBytes: config.max_line_size,
        multilineTimeoutMs: config.multiline.timeout,
        framer: () => (config.multiline.mode === "none" ? new PlainFramer() : new MultilineFramer(config.multiline)),
        enrich: (r) => {
          if (Object.keys(config.labels).length > 0) r.labels = { ...config.labels, ...r.labels };
        },
      },
      ctx,
    );
    return { start: () => tailer.start(), stop: () => tailer.stop() };
  },
};

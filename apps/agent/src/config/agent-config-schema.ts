// Top-level schema of the agent config file; component sections are validated by their own schemas.

import { z } from "zod";
import { durationSchema, listenAddressSchema, sizeSchema } from "./units.js";

const componentSection = z.looseObject({ type: z.string().describe("Component type, for example file, syslog, meshlog.") });

export const agentConfigSchema = z
  .strictObject({
    data_dir: z.string().default("/var/lib/meshlog-agent").describe("Folder for the disk buffer and checkpoints; must survive restarts."),
    log_level: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Minimum level of the agent's own JSON-lines log (stderr)."),
    api: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Serve /metrics (Prometheus text) and /health."),
        address: listenAddressSchema.default("127.0.0.1:8687").describe("Local listen address of /metrics and /health."),
      })
      .prefault({})
      .describe("Self-monitoring endpoint."),
    labels: z.record(z.string(), z.string()).default({}).describe("Static stream labels added to every record (labels.source defaults to agent)."),
    fields: z.record(z.string(), z.string()).default({}).describe("Static resource fields added to every record, for example cluster, region, platform."),
    buffer: z
      .strictObject({
        max_size: sizeSchema.default(256 * 1024 * 1024).describe("Size cap of the disk buffer (default 256MiB)."),
        segment_size: sizeSchema.optional().describe("Segment file size (default max_size/8, at most 16MiB)."),
        when_full: z.enum(["block", "drop_oldest"]).default("block").describe("block: sources pause; drop_oldest: oldest data is dropped and counted."),
        sync: z.boolean().default(true).describe("fsync each group of buffer writes."),
      })
      .prefault({})
      .describe("Disk buffer between sources and sinks."),
    retry: z
      .strictObject({
        initial_backoff: durationSchema.default(200).describe("First wait after a failed send; doubles per attempt (with jitter)."),
        max_backoff: durationSchema.default(30_000).describe("Longest wait between attempts (Retry-After from the destination wins)."),
      })
      .prefault({})
      .describe("Sink retries: a batch is retried until delivered or rejected, never dropped."),
    checkpoint_interval: durationSchema.default(1000).describe("How often source checkpoints are persisted besides the buffer frames."),
    sources: z.record(z.string(), componentSection).describe("Named sources."),
    transforms: z.array(componentSection).default([]).describe("Transforms applied in order to every record (from the shared pipeline)."),
    sinks: z.record(z.string(), componentSection).describe("Named sinks; each has its own buffer cursor."),
  })
  .describe("meshlog agent configuration.");

export type AgentConfigRaw = z.output<typeof agentConfigSchema>;

// The `anomalies` section of the server config: the detector job, its bounds and each detector's thresholds.

import { z } from "zod";

const positiveInt = (def: number, text: string) => z.number().int().positive().default(def).describe(text);
const ratio = (def: number, text: string) => z.number().min(0).max(1).default(def).describe(text);

export const anomaliesConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Run the anomaly detector job. Env MESHLOG_ANOMALIES_ENABLED."),
    intervalSeconds: z
      .number()
      .int()
      .min(5)
      .max(86400)
      .default(60)
      .describe("Seconds between detector runs; each run looks at the data that arrived since the previous one. Env MESHLOG_ANOMALIES_INTERVAL."),
    delaySeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(10)
      .describe("Lines are judged this many seconds after their timestamp, so lines that arrive a little late still count in their interval."),
    zThreshold: z
      .number()
      .positive()
      .default(4)
      .describe("Score (deviations from the baseline, robust z-score) at which volume, error-ratio and mesh findings become anomalies."),
    alpha: z.number().gt(0).max(1).default(0.1).describe("Weight of the newest interval in the exponentially weighted baselines (0..1]."),
    minHistory: positiveInt(5, "Intervals a baseline needs before it may report anything (warm-up)."),
    maxLinesPerStream: positiveInt(100_000, "Most lines one run reads from one stream; a busier stream counts as this many (its spike is still seen)."),
    maxStreamsPerTenant: positiveInt(5000, "Most streams per tenant with a baseline; the ones quiet the longest are forgotten first."),
    maxAnomaliesPerRun: positiveInt(50, "Most anomaly records one run writes per tenant (highest scores first); the rest are counted in the log."),
    volume: z
      .object({
        enabled: z.boolean().default(true).describe("Report spikes and drops of a stream's line count per interval."),
        minCount: positiveInt(20, "A spike needs at least this many lines in the interval; a drop needs a baseline of at least this many."),
      })
      .strict()
      .prefault({})
      .describe("Volume per stream."),
    errorRatio: z
      .object({
        enabled: z.boolean().default(true).describe("Report a rise of the share of lines with severity error or worse in a stream."),
        minLines: positiveInt(20, "Intervals with fewer lines neither update the baseline nor report."),
        minErrors: positiveInt(5, "Error lines an interval needs to report."),
        minRatio: ratio(0.05, "Error ratio an interval needs to report, whatever the baseline."),
      })
      .strict()
      .prefault({})
      .describe("Error ratio per stream."),
    templates: z
      .object({
        enabled: z.boolean().default(true).describe("Report log templates never seen before in a stream."),
        sampleLines: positiveInt(1000, "Lines per stream and run fed to the stream's template miner (evenly thinned over the interval)."),
        maxStreams: positiveInt(500, "Streams with a template miner (least recently active evicted; an evicted stream warms up again)."),
        maxTemplatesPerStream: positiveInt(300, "Templates one stream's miner keeps (least recently used evicted)."),
        warmupLines: positiveInt(500, "Lines a stream's miner must have seen before new templates are reported."),
        warmupRuns: positiveInt(3, "Runs a stream's miner must have seen before new templates are reported."),
        maxPerStream: positiveInt(3, "Most new-template anomalies per stream and run."),
        shareEnabled: z
          .boolean()
          .default(true)
          .describe("Report a known template whose share of a stream's sampled lines jumps above its baseline (template-spike)."),
        minShare: ratio(0.05, "Share of the sample a template needs for a template-spike, whatever the baseline."),
        minShareLines: positiveInt(10, "Sampled lines of the template a template-spike needs (samples under 50 lines are not judged)."),
      })
      .strict()
      .prefault({})
      .describe("New templates per stream (the Drain-style pattern miner of /loki/api/v1/patterns)."),
    silence: z
      .object({
        enabled: z.boolean().default(true).describe("Report a steady stream that stopped sending."),
        minutes: z.number().positive().default(10).describe("A stream must be quiet for at least this many minutes. Env MESHLOG_ANOMALIES_SILENCE_MINUTES."),
        gapFactor: z.number().min(1).default(5).describe("A stream must also be quiet for this many times its usual gap between lines."),
      })
      .strict()
      .prefault({})
      .describe("Silence of a stream."),
    mesh: z
      .object({
        enabled: z.boolean().default(true).describe("Report service-mesh signals from Envoy, Istio and Linkerd logs."),
        minRequests: positiveInt(20, "Requests per service/upstream and interval below which the 5xx ratio is not judged."),
        min5xxRatio: ratio(0.05, "5xx ratio an interval needs to report, whatever the baseline."),
        cold5xxRatio: ratio(0.5, "5xx ratio reported even before the baseline is warm."),
        minConnectFailures: positiveInt(5, "Upstream connect failures (Envoy flags UF, URX, UH, NR, NC, DF, ...) per interval needed to report."),
        minTlsFailures: positiveInt(5, "TLS/mTLS handshake failures per interval needed to report."),
      })
      .strict()
      .prefault({})
      .describe("Mesh signals per namespace, service and upstream."),
    auth: z
      .object({
        enabled: z.boolean().default(true).describe("Report bursts of authentication failures."),
        deniedThreshold: positiveInt(20, "Denied requests of one principal or remote address per interval (audit trail) that make a burst."),
        sshThreshold: positiveInt(10, 'sshd "Failed password" / "Invalid user" lines from one address per interval that make a burst.'),
      })
      .strict()
      .prefault({})
      .describe("Authentication-failure bursts."),
  })
  .strict()
  .prefault({})
  .describe("Anomaly detection: baselines per stream, mesh signals and auth-failure bursts, written back as records (see docs/anomalies.md).");

export type AnomaliesConfig = z.infer<typeof anomaliesConfigSchema>;

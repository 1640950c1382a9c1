// The `alerting` section of the server config: evaluation, delivery, and rules and receivers defined in the file.

import { parseDurationNs } from "@meshlog/core";
import { z } from "zod";
import { receiverSchema } from "./receiver-types.js";

const duration = z.string().regex(/^(0|(\d+(ms|s|m|h|d))+)$/, "must be a duration like 30s, 1m or 1h");

export const alertingConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Evaluate alert rules and send notifications. Env MESHLOG_ALERTING_ENABLED."),
    evaluationInterval: duration
      // A zero interval would make every group due again at once, forever.
      .refine((d) => d !== "0" && parseDurationNs(d, "alerting.evaluationInterval") >= 1_000_000_000n, "must be at least 1s")
      .default("1m")
      .describe("How often a rule group is evaluated when it sets no `interval`. Env MESHLOG_ALERTING_EVALUATION_INTERVAL."),
    externalUrl: z
      .string()
      .max(2048)
      .default("")
      .describe("URL of this server as users reach it, sent in notifications (externalURL, links). Env MESHLOG_ALERTING_EXTERNAL_URL."),
    notifyTimeoutSeconds: z.number().positive().default(10).describe("Timeout of one notification request. Env MESHLOG_ALERTING_NOTIFY_TIMEOUT."),
    notifyRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe("Retries of a notification that failed with a network error, 429 or 5xx. Env MESHLOG_ALERTING_NOTIFY_RETRIES."),
    notifyBackoffMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe("First retry delay, doubled on each retry (at most 60 s). Env MESHLOG_ALERTING_NOTIFY_BACKOFF_MS."),
    maxIncidents: z
      .number()
      .int()
      .positive()
      .default(10000)
      .describe("Incidents kept in DATA/alerting/incidents.json (oldest resolved ones go first; every timeline event is also in the audit trail)."),
    rules: z
      .record(z.string(), z.record(z.string(), z.array(z.unknown())))
      .default({})
      .describe("Rule groups per tenant and namespace, in Prometheus rule-file form (config file only; read-only through the API)."),
    receivers: z
      .record(z.string(), z.array(receiverSchema))
      .default({})
      .describe("Notification receivers per tenant (config file only; read-only through the API)."),
  })
  .strict()
  .prefault({})
  .describe("Alert rules, their evaluation and notifications (see docs/alerting.md).");

export type AlertingConfig = z.infer<typeof alertingConfigSchema>;

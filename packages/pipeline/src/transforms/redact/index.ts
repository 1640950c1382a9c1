// The `redact` transform: masks, hashes or drops PII and secrets in bodies, attributes and resources.

import type { LogRecord } from "@meshlog/core";
import type { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";
import { redactionConfigSchema } from "../../redaction/redaction-config.js";
import { Redactor } from "../../redaction/redactor.js";

export type RedactConfig = z.output<typeof redactionConfigSchema>;

/** A redact transform also exposes its per-rule counts (for metrics). */
export interface RedactTransform {
  process(records: LogRecord[]): LogRecord[];
  counts(): Record<string, number>;
}

export const redactTransform: TransformDefinition<RedactConfig> = {
  type: "redact",
  description: "Redacts credit cards, emails, tokens, keys, passwords, SSNs (and optionally IPs) plus custom RE2 patterns.",
  configSchema: redactionConfigSchema,
  create(config): RedactTransform {
    const redactor = new Redactor(config);
    return {
      process(records) {
        for (const r of records) redactor.redactRecord(r);
        return records;
      },
      counts: () => redactor.counts(),
    };
  },
};

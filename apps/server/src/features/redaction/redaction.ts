// Installs redaction on the single write path: every record is redacted before it reaches the WAL; counts per rule as metrics.

import { Redactor } from "@meshlog/pipeline";
import type { ServerContext } from "../../context.js";

export function installRedaction(ctx: ServerContext): void {
  const { enabled, ...config } = ctx.config.redaction;
  if (!enabled) {
    ctx.log.warn("redaction is disabled: secrets and personal data in log lines are stored as sent");
    return;
  }
  const redactor = new Redactor(config);
  ctx.ingest.use((records) => {
    for (const r of records) redactor.redactRecord(r);
    return records;
  });
  const gauge = ctx.metrics.gauge("meshlog_redactions_total", "Values redacted before storage, by rule (counter semantics).");
  ctx.metrics.onCollect(() => {
    for (const [rule, n] of Object.entries(redactor.counts())) gauge.set({ rule }, n);
  });
  ctx.services.set("redactor", redactor);
}

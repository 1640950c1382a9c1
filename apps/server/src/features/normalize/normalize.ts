// Installs normalization on the single write path (before redaction, so detected fields are redacted too).

import type { ServerContext } from "../../context.js";
import { RecordNormalizer } from "./record-normalizer.js";

/** Adds the normalizer as a processing step when `normalize.enabled`; counts what it did as metrics. */
export function installNormalize(ctx: ServerContext): void {
  const { enabled, ...opts } = ctx.config.normalize;
  if (!enabled) return;
  const normalizer = new RecordNormalizer(opts);
  ctx.ingest.use((records) => normalizer.process(records));
  const gauge = ctx.metrics.gauge("meshlog_normalize_records_total", "Records without severity seen by normalization, by outcome (counter semantics).");
  ctx.metrics.onCollect(() => {
    for (const [outcome, n] of Object.entries(normalizer.counts())) gauge.set({ outcome }, n);
  });
  ctx.services.set("normalizer", normalizer);
}

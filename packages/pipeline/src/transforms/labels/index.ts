// The `labels` transform: sets stream labels from label rules (defaults: service, namespace, source, level).

import { MeshlogError } from "@meshlog/core";
import type { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";
import { LabelRules, labelRulesConfigSchema } from "../../labels/label-rules.js";

export type LabelsConfig = z.output<typeof labelRulesConfigSchema>;

export const labelsTransform: TransformDefinition<LabelsConfig> = {
  type: "labels",
  description: "Chooses low-cardinality stream labels from record fields by rules, within the label limits.",
  configSchema: labelRulesConfigSchema,
  create(config, ctx) {
    const rules = new LabelRules(config);
    let warned = 0;
    return {
      process(records) {
        for (const r of records) {
          try {
            rules.apply(r);
          } catch (err) {
            // The record keeps its previous labels; the limit error is logged (rate-limited).
            if (warned++ % 1000 === 0)
              ctx.logger.warn("label rules rejected a label set", { error: err instanceof MeshlogError ? err.message : String(err), occurrences: warned });
          }
        }
        return records;
      },
    };
  },
};

// The `add_fields` transform: static attributes, resource attributes and labels (cluster, region, platform).

import { validateLabels } from "@meshlog/core";
import { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";

const stringMap = z.record(z.string(), z.string());

export const addFieldsConfigSchema = z
  .object({
    attributes: stringMap.default({}).describe("Attributes to add, e.g. { env: prod }."),
    resource: stringMap.default({}).describe("Resource attributes to add, e.g. { k8s.cluster.name: eu-1, cloud.region: eu-west-1 }."),
    labels: stringMap.default({}).describe("Stream labels to add (keep them low-cardinality), e.g. { cluster: eu-1 }."),
    overwrite: z.boolean().default(false).describe("Replace values that are already set."),
  })
  .strict();

export type AddFieldsConfig = z.output<typeof addFieldsConfigSchema>;

export const addFieldsTransform: TransformDefinition<AddFieldsConfig> = {
  type: "add_fields",
  description: "Adds static attributes, resource attributes and labels.",
  configSchema: addFieldsConfigSchema,
  create(config) {
    const merge = (target: Record<string, string>, add: Record<string, string>): void => {
      for (const [k, v] of Object.entries(add)) if (config.overwrite || target[k] === undefined) target[k] = v;
    };
    validateLabels(config.labels); // names and lengths are checked when the chain is built
    const hasLabels = Object.keys(config.labels).length > 0;
    return {
      process(records) {
        for (const r of records) {
          merge(r.attributes, config.attributes);
          merge(r.resource, config.resource);
          if (hasLabels) {
            const labels = { ...r.labels };
            merge(labels, config.labels);
            r.labels = labels;
          }
        }
        return records;
      },
    };
  },
};

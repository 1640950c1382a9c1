// The `drop` transform: removes records matching all (or any) of its conditions.

import { z } from "zod";
import type { TransformDefinition } from "../../contracts.js";
import { compileCondition, conditionSchema } from "./drop-condition.js";

export const dropConfigSchema = z
  .object({
    conditions: z
      .array(conditionSchema)
      .min(1)
      .describe('Conditions such as `level = "debug"` or `{ field: attributes.url.path, op: "=~", value: "/healthz.*" }`.'),
    match: z.enum(["all", "any"]).default("all").describe("Drop when all conditions hold, or when any holds."),
  })
  .strict();

export type DropConfig = z.output<typeof dropConfigSchema>;

export const dropTransform: TransformDefinition<DropConfig> = {
  type: "drop",
  description: "Drops records matching LogQL-like field conditions (=, !=, =~, !~).",
  configSchema: dropConfigSchema,
  create(config) {
    const conds = config.conditions.map((c) => compileCondition(c));
    const all = config.match === "all";
    const matches = all
      ? (r: Parameters<(typeof conds)[number]>[0]) => conds.every((c) => c(r))
      : (r: Parameters<(typeof conds)[number]>[0]) => conds.some((c) => c(r));
    return { process: (records) => records.filter((r) => !matches(r)) };
  },
};

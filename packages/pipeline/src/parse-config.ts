// Parses a config value with a zod schema; failures become one MeshlogError naming the key and the problem.

import { MeshlogError } from "@meshlog/core";
import type { z } from "zod";
import { PipelineErrors } from "./errors.js";

/** Parses `value` with `schema`; throws PIPELINE_CONFIG_INVALID like `transforms[1] (drop): conditions.0.field: ...`. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const msgs = r.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys: string[] }).keys.map((k) => `"${path === "" ? k : `${path}.${k}`}"`).join(", ");
      return `unknown key ${keys}`;
    }
    return `${path === "" ? "" : `${path}: `}${issue.message}`;
  });
  throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, `${where}: ${msgs.join("; ")}`, { details: { issues: r.error.issues.length } });
}

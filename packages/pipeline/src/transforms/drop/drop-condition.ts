// Record conditions for the drop transform: `field = "v"`, `!=`, `=~ "re"`, `!~`, as in LogQL label matchers.

import { MeshlogError, type LogRecord } from "@meshlog/core";
import { RE2JS } from "re2js";
import { z } from "zod";
import { PipelineErrors } from "../../errors.js";
import { compileFieldRef } from "../../field-ref.js";

export const CONDITION_OPS = ["=", "!=", "=~", "!~"] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export const conditionObjectSchema = z
  .object({
    field: z.string().min(1).describe("Field reference: body, level, severity, source, labels.X, attributes.X, resource.X, traceId, ..."),
    op: z.enum(CONDITION_OPS).default("=").describe("= equals, != differs, =~ matches the RE2 regex (whole value), !~ does not match."),
    value: z.string().describe("Value or regular expression. An absent field reads as the empty string."),
  })
  .strict();

/** A condition as configured: an object, or LogQL-like text `attributes.url.path =~ "/health.*"`. */
export const conditionSchema = z.union([z.string().min(1), conditionObjectSchema]);
export type ConditionSpec = z.input<typeof conditionSchema>;

/** A compiled condition. */
export type RecordCondition = (r: LogRecord) => boolean;

const TEXT_FORM = /^\s*([A-Za-z_][\w.\-/]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$/;

/** Parses the text form of a condition; throws PIPELINE_CONFIG_INVALID saying what is wrong. */
export function parseConditionText(text: string): { field: string; op: ConditionOp; value: string } {
  if (text.length > 4096) throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, "condition is longer than 4096 characters");
  const m = TEXT_FORM.exec(text);
  if (m === null) {
    throw new MeshlogError(
      PipelineErrors.PIPELINE_CONFIG_INVALID,
      `condition ${JSON.stringify(text.slice(0, 80))} is not FIELD OP "VALUE" with OP one of =, !=, =~, !~`,
    );
  }
  const quoted = m[3];
  const value = quoted !== undefined ? (JSON.parse(`"${quoted}"`) as string) : (m[4] as string);
  return { field: m[1] as string, op: m[2] as ConditionOp, value };
}

/** Compiles a condition (regexes once, RE2 semantics, anchored to the whole value). */
export function compileCondition(spec: ConditionSpec): RecordCondition {
  const c = typeof spec === "string" ? parseConditionText(spec) : { field: spec.field, op: spec.op ?? "=", value: spec.value };
  const get = compileFieldRef(c.field);
  switch (c.op) {
    case "=":
      return (r) => (get(r) ?? "") === c.value;
    case "!=":
      return (r) => (get(r) ?? "") !== c.value;
    case "=~":
    case "!~": {
      let re: RE2JS;
      try {
        re = RE2JS.compile(`^(?:${c.value})$`);
      } catch (err) {
        throw new MeshlogError(PipelineErrors.PIPELINE_PATTERN_INVALID, `condition on "${c.field}": ${(err as Error).message} (RE2 syntax)`, { cause: err });
      }
      const want = c.op === "=~";
      return (r) => re.test(get(r) ?? "") === want;
    }
  }
}

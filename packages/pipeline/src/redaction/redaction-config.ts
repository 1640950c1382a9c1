// Redaction configuration: which rules run, how matches are replaced, and where.

import { z } from "zod";
import { BUILTIN_RULE_NAMES } from "./builtin-detectors.js";

/** Keys holding random trace context ids, never redacted unless skipKeys is set explicitly. */
export const DEFAULT_SKIP_KEYS = ["trace_id", "span_id", "traceId", "spanId", "trace.id", "span.id", "parent_id", "parentId"] as const;

export const REDACTION_MODES = ["mask", "hash", "drop"] as const;
export type RedactionMode = (typeof REDACTION_MODES)[number];

const modeSchema = z.enum(REDACTION_MODES);
const ruleSetting = z.union([z.boolean(), modeSchema]);

export const customPatternSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, "must be lower-case letters, digits and _")
      .describe("Rule name, used in markers and counts."),
    pattern: z.string().min(1).describe("RE2 regular expression (linear-time; no backreferences or lookaround)."),
    caseInsensitive: z.boolean().default(false).describe("Match without regard to case."),
    group: z.number().int().min(0).default(0).describe("Capture group to replace; 0 = the whole match."),
    keywords: z.array(z.string().min(1)).default([]).describe("Run only on values containing one of these words (case-insensitive); empty = all values."),
    mode: modeSchema.optional().describe("Replacement mode for this rule; default: the top-level mode."),
  })
  .strict();

const rulesShape = Object.fromEntries(BUILTIN_RULE_NAMES.map((n) => [n, ruleSetting.optional()])) as Record<
  (typeof BUILTIN_RULE_NAMES)[number],
  z.ZodOptional<typeof ruleSetting>
>;

export const redactionConfigSchema = z
  .object({
    mode: modeSchema
      .default("mask")
      .describe(
        "mask: `[REDACTED:<rule>]`; hash: `[<rule>:hmac:<hex>]` (HMAC-SHA256 with hashKey, so equal values stay joinable); drop: remove the attribute, or replace the whole body.",
      ),
    hashKey: z.string().default("").describe("HMAC key for hash mode (per tenant, kept secret); required when any rule hashes."),
    hashLength: z.number().int().min(8).max(64).default(16).describe("Hex characters of the HMAC kept in hash markers."),
    rules: z
      .object(rulesShape)
      .strict()
      .default({})
      .describe("Built-in rules: true/false to enable or disable, or a mode. All are on by default except ipv4 and ipv6."),
    custom: z.array(customPatternSchema).default([]).describe("Custom patterns, run after the built-in rules."),
    body: z.boolean().default(true).describe("Redact the body."),
    attributes: z.boolean().default(true).describe("Redact attribute values (and whole values of secret-named keys like password or api_key)."),
    resource: z.boolean().default(true).describe("Redact resource values."),
    skipKeys: z
      .array(z.string())
      .default([...DEFAULT_SKIP_KEYS])
      .describe("Attribute/resource keys never redacted; default: the trace and span id keys (random hex that can look like card numbers)."),
  })
  .strict();

/** Redaction config as written by users (everything optional). */
export type RedactionConfig = z.input<typeof redactionConfigSchema>;
/** Redaction config with defaults applied. */
export type ResolvedRedactionConfig = z.output<typeof redactionConfigSchema>;

// Stream label rules: choose the few low-cardinality labels of a record from its fields (DESIGN §2).

import { DEFAULT_LABEL_LIMITS, MeshlogError, validateLabels, type LabelLimits, type Labels, type LogRecord } from "@meshlog/core";
import { z } from "zod";
import { PipelineErrors } from "../errors.js";
import { compileFieldRef, type FieldGetter } from "../field-ref.js";
import { parseConfig } from "../parse-config.js";

export const labelRuleSchema = z
  .object({
    label: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a label name (letters, digits, _)")
      .describe("Name of the stream label to set."),
    from: z
      .array(z.string().min(1))
      .min(1)
      .describe("Field references tried in order (labels.X, resource.X, attributes.X, level, source, ...); the first present value is used."),
    allowHighCardinality: z
      .boolean()
      .default(false)
      .describe("Allow fields and values that look high-cardinality (ids, pods, paths, addresses). Off: such rules are rejected and such values skipped."),
  })
  .strict();

export type LabelRule = z.output<typeof labelRuleSchema>;

/** The default rules: service, namespace, source, level. */
export const DEFAULT_LABEL_RULES: readonly LabelRule[] = [
  {
    label: "service",
    from: [
      "labels.service",
      "resource.service.name",
      "attributes.service.name",
      "attributes.app",
      "attributes.service",
      "resource.k8s.container.name",
      "attributes.k8s.container.name",
    ],
    allowHighCardinality: false,
  },
  { label: "namespace", from: ["labels.namespace", "resource.k8s.namespace.name", "attributes.k8s.namespace.name"], allowHighCardinality: false },
  { label: "source", from: ["source"], allowHighCardinality: false },
  { label: "level", from: ["labels.level", "level"], allowHighCardinality: false },
];

export const labelRulesConfigSchema = z
  .object({
    rules: z
      .array(labelRuleSchema)
      .default(DEFAULT_LABEL_RULES.map((r) => ({ ...r, from: [...r.from] })))
      .describe("Label rules, applied in order; a label the sender already set is kept."),
    keepSenderLabels: z.boolean().default(true).describe("Keep labels the sender set (validated against the limits)."),
    maxLabelNamesPerStream: z.number().int().positive().default(DEFAULT_LABEL_LIMITS.maxLabelNamesPerStream).describe("Most labels per stream."),
    maxLabelValueLength: z.number().int().positive().default(DEFAULT_LABEL_LIMITS.maxLabelValueLength).describe("Longest label value, in characters."),
  })
  .strict();

export type LabelRulesConfig = z.input<typeof labelRulesConfigSchema>;

// Field keys whose values are unbounded: pods, ids, users, paths, addresses, times.
const HIGH_CARDINALITY_KEY =
  /(^|[._-])(pod|uid|id|ids|trace|span|user|username|email|path|url|query|address|addr|ip|port|session|request|timestamp|time|ts|duration)([._-]|$)|(Id|ID|_id)$/;
const HIGH_CARDINALITY_REFS = new Set(["body", "traceId", "spanId", "tenant", "severityNumber"]);

/** True when a field reference names a field whose values are high-cardinality (pod names, ids, paths...). */
export function isHighCardinalityField(ref: string): boolean {
  if (HIGH_CARDINALITY_REFS.has(ref)) return true;
  const dot = ref.indexOf(".");
  if (dot < 0) return false;
  const key = ref.slice(dot + 1);
  return HIGH_CARDINALITY_KEY.test(key) || key === "upstream.host" || key === "k8s.pod.name";
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
const MANY_DIGITS = /\d{6,}/;
const ADDRESS = /^\d{1,3}(\.\d{1,3}){3}(:\d+)?$|^\[?[0-9a-f:]+\]?(:\d+)?$/i;

/** True when a value looks unique per event (UUID, long hex, long numbers, IP addresses) or is over 128 characters. */
export function looksHighCardinality(value: string): boolean {
  return (
    value.length > 128 ||
    UUID.test(value) ||
    LONG_HEX.test(value) ||
    MANY_DIGITS.test(value) ||
    (value.includes(".") || value.includes(":") ? ADDRESS.test(value) : false)
  );
}

interface CompiledRule {
  label: string;
  getters: FieldGetter[];
  allowHigh: boolean;
}

/**
 * Applies label rules to records. Construction validates the config (throws MeshlogError naming the rule);
 * `labelsFor` returns the record's new label set, validated against the limits (throws the core label
 * errors when the sender's labels break them). Values that look high-cardinality are skipped and counted
 * unless the rule allows them.
 */
export class LabelRules {
  readonly #rules: CompiledRule[];
  readonly #keepSender: boolean;
  readonly #limits: LabelLimits;
  #skipped = 0;

  constructor(config: LabelRulesConfig = {}) {
    const c = parseConfig(labelRulesConfigSchema, config, "label rules");
    this.#keepSender = c.keepSenderLabels;
    this.#limits = { ...DEFAULT_LABEL_LIMITS, maxLabelNamesPerStream: c.maxLabelNamesPerStream, maxLabelValueLength: c.maxLabelValueLength };
    this.#rules = c.rules.map((r, i) => {
      if (!r.allowHighCardinality) {
        const bad = r.from.find((f) => f !== `labels.${r.label}` && isHighCardinalityField(f));
        if (bad !== undefined) {
          throw new MeshlogError(
            PipelineErrors.PIPELINE_CONFIG_INVALID,
            `label rules: rules.${i} (label "${r.label}") reads "${bad}", a high-cardinality field; keep it as an attribute or set allowHighCardinality: true`,
          );
        }
      }
      return { label: r.label, getters: r.from.map((f) => compileFieldRef(f)), allowHigh: r.allowHighCardinality };
    });
  }

  /** The label set for `r` (does not modify `r`). */
  labelsFor(r: LogRecord): Labels {
    const out: Record<string, string> = {};
    if (this.#keepSender) Object.assign(out, r.labels);
    else if (r.labels.source !== undefined) out.source = r.labels.source;
    for (const rule of this.#rules) {
      if (Object.hasOwn(out, rule.label) && out[rule.label] !== "") continue;
      for (const get of rule.getters) {
        const v = get(r);
        if (v === undefined) continue;
        if (!rule.allowHigh && looksHighCardinality(v)) {
          this.#skipped++;
          break;
        }
        out[rule.label] = v;
        break;
      }
    }
    return validateLabels(out, this.#limits);
  }

  /** Sets `r.labels` from the rules; returns the record. */
  apply(r: LogRecord): LogRecord {
    r.labels = this.labelsFor(r);
    return r;
  }

  /** How many values were kept out of labels because they looked high-cardinality. */
  get skippedHighCardinality(): number {
    return this.#skipped;
  }
}

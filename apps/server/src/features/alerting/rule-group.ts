// Alert rule groups in Prometheus rule-file form (as Loki's ruler, cortextool and Grafana send them): types and validation.

import { MeshlogError, parseDurationNs } from "@meshlog/core";
import { isLogExpr, type Expr } from "@meshlog/query";
import { parse as parseYaml } from "yaml";
import { AlertingErrors } from "./errors.js";

/** One alerting rule as written by users (strings kept as given so YAML round-trips). */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

/** Largest rule group body accepted, bytes. */
export const MAX_GROUP_BYTES = 1024 * 1024;
export const MAX_RULES_PER_GROUP = 100;
export const MAX_GROUPS_PER_TENANT = 500;
const MAX_NAME = 256;
const MAX_TEXT = 16 * 1024;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses something that checks a query (the QueryEngine's `parse`: syntax, limits, Loki's semantic rules). */
export type ExprParser = (query: string) => Expr;

const invalid = (field: string, msg: string): MeshlogError =>
  new MeshlogError(AlertingErrors.ALERT_RULE_INVALID, `invalid rule group: ${field}: ${msg}`, { details: { field } });

/** Parses a duration as Prometheus accepts it in rule files (`0`, `30s`, `5m`, `1h30m`); `field` names it in errors. */
export function ruleDurationNs(text: string, field: string): bigint {
  if (text.trim() === "0") return 0n;
  try {
    return parseDurationNs(text, field);
  } catch {
    throw invalid(field, `${JSON.stringify(text.slice(0, 64))} is not a duration like 0s, 30s, 5m or 1h`);
  }
}

function name(v: unknown, field: string): string {
  if (typeof v !== "string" || v.trim() === "") throw invalid(field, "must be a non-empty string");
  if (v.length > MAX_NAME) throw invalid(field, `is longer than ${MAX_NAME} characters`);
  return v;
}

/** YAML scalars (numbers, booleans) become strings, as Go's YAML decoding into map[string]string does. */
function stringMap(v: unknown, field: string, checkNames: boolean): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(field, "must be a mapping of names to strings");
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (checkNames && !LABEL_NAME.test(k)) throw invalid(`${field}.${k.slice(0, 64)}`, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
    if (checkNames && k.startsWith("__")) throw invalid(`${field}.${k.slice(0, 64)}`, "label names starting with __ are reserved");
    if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") throw invalid(`${field}.${k.slice(0, 64)}`, "must be a string");
    const s = String(x);
    if (s.length > MAX_TEXT) throw invalid(`${field}.${k.slice(0, 64)}`, `is longer than ${MAX_TEXT} characters`);
    out[k] = s;
  }
  return out;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw invalid(field === "" ? k.slice(0, 64) : `${field}.${k.slice(0, 64)}`, "unknown field");
}

function rule(v: unknown, field: string, parseExpr: ExprParser): AlertRule {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw invalid(field, "must be a mapping with alert and expr");
  const o = v as Record<string, unknown>;
  if (o.record !== undefined)
    throw invalid(`${field}.record`, "recording rules are not supported; only alerting rules (alert, expr, for, labels, annotations)");
  checkKeys(o, ["alert", "expr", "for", "labels", "annotations"], field);
  const alert = name(o.alert, `${field}.alert`);
  if (!LABEL_NAME.test(alert)) throw invalid(`${field}.alert`, `${JSON.stringify(alert.slice(0, 64))} is not a valid alert name ([a-zA-Z_][a-zA-Z0-9_]*)`);
  if (typeof o.expr !== "string" || o.expr.trim() === "") throw invalid(`${field}.expr`, "must be a non-empty LogQL metric query");
  let expr: Expr;
  try {
    expr = parseExpr(o.expr);
  } catch (e) {
    throw invalid(`${field}.expr`, (e as Error).message);
  }
  if (isLogExpr(expr))
    throw invalid(`${field}.expr`, 'must be a LogQL metric query (e.g. sum(count_over_time({app="x"} |= "error" [5m])) > 3), not a log query');
  const out: AlertRule = { alert, expr: o.expr };
  if (o.for !== undefined && o.for !== null) {
    if (typeof o.for !== "string" && typeof o.for !== "number") throw invalid(`${field}.for`, "must be a duration like 5m");
    ruleDurationNs(String(o.for), `${field}.for`);
    out.for = String(o.for);
  }
  const labels = stringMap(o.labels, `${field}.labels`, true);
  if (labels !== undefined) {
    if (labels.alertname !== undefined) throw invalid(`${field}.labels.alertname`, "is set from the rule's alert name");
    out.labels = labels;
  }
  const annotations = stringMap(o.annotations, `${field}.annotations`, false);
  if (annotations !== undefined) out.annotations = annotations;
  return out;
}

/** Validates one rule group (already decoded from YAML or JSON); field names in errors are relative to the group. */
export function validateRuleGroup(v: unknown, parseExpr: ExprParser, prefix = ""): RuleGroup {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw invalid(prefix || "body", "must be a rule group mapping: {name, interval, rules}");
  const o = v as Record<string, unknown>;
  const at = (k: string): string => (prefix === "" ? k : `${prefix}.${k}`);
  checkKeys(o, ["name", "interval", "rules", "limit"], prefix);
  const group: RuleGroup = { name: name(o.name, at("name")), rules: [] };
  if (o.name !== undefined && (o.name as string).includes("/")) throw invalid(at("name"), "must not contain /");
  if (o.interval !== undefined && o.interval !== null) {
    if (typeof o.interval !== "string") throw invalid(at("interval"), "must be a duration like 1m");
    const ns = ruleDurationNs(o.interval, at("interval"));
    if (ns < 1_000_000_000n) throw invalid(at("interval"), "must be at least 1s");
    group.interval = o.interval;
  }
  if (o.limit !== undefined && o.limit !== 0) throw invalid(at("limit"), "alert limits are not supported (use 0 or leave it out)");
  if (!Array.isArray(o.rules) || o.rules.length === 0) throw invalid(at("rules"), "must be a non-empty list of rules");
  if (o.rules.length > MAX_RULES_PER_GROUP) throw invalid(at("rules"), `has ${o.rules.length} rules; at most ${MAX_RULES_PER_GROUP} per group`);
  group.rules = o.rules.map((r, i) => rule(r, at(`rules[${i}]`), parseExpr));
  return group;
}

/** Decodes a rule group body: YAML (cortextool, Grafana) or JSON. Aliases are bounded by the YAML parser. */
export function parseRuleGroupText(text: string, parseExpr: ExprParser): RuleGroup {
  if (Buffer.byteLength(text) > MAX_GROUP_BYTES) throw invalid("body", `is larger than ${MAX_GROUP_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    throw invalid("body", `is not valid YAML: ${(e as Error).message.split("\n")[0]?.slice(0, 200) ?? ""}`);
  }
  return validateRuleGroup(doc, parseExpr);
}

// Semantic validation of a parsed LogQL expression (Loki's rules), after parsing and before planning.

import { MeshlogError, parseDurationNs } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { Expr, LogExpr, Matcher, MetricExpr, RangeOp } from "./ast.js";
import { SafeRegex } from "../regex/safe-regex.js";

const invalid = (msg: string): never => {
  throw new MeshlogError(QueryErrors.QUERY_INVALID, msg);
};

/** Range aggregations that need `| unwrap`. */
const UNWRAP_REQUIRED: ReadonlySet<RangeOp> = new Set([
  "sum_over_time",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "first_over_time",
  "last_over_time",
  "quantile_over_time",
  "rate_counter",
]);
/** Range aggregations that may not unwrap. */
const UNWRAP_FORBIDDEN: ReadonlySet<RangeOp> = new Set(["count_over_time", "bytes_over_time", "bytes_rate"]);

/** True when a matcher matches the empty string (so it alone would select every stream). */
export function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return SafeRegex.compile(m.value, { anchored: true, where: `matcher ${m.name}` }).test("");
    case "!~":
      return !SafeRegex.compile(m.value, { anchored: true, where: `matcher ${m.name}` }).test("");
  }
}

/** Validates a selector: at least one matcher that does not match the empty string; regexes compile. */
export function validateSelector(ms: readonly Matcher[]): void {
  if (ms.length === 0)
    invalid(
      'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
  let ok = false;
  for (const m of ms) if (!matchesEmpty(m)) ok = true;
  if (!ok)
    invalid(
      'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
}

function validateLog(e: LogExpr): void {
  validateSelector(e.matchers);
}

/** Whether an expression evaluates to a scalar (no labels). */
export function isScalarExpr(e: MetricExpr): boolean {
  if (e.kind === "number") return true;
  if (e.kind === "binary") return isScalarExpr(e.left) && isScalarExpr(e.right);
  return false;
}

function validateMetric(e: MetricExpr): void {
  switch (e.kind) {
    case "number":
    case "vector":
      return;
    case "rangeAgg": {
      validateLog(e.range.log);
      const range = parseDurationNs(e.range.range, "range");
      if (range <= 0n) invalid(`${e.op}: the range must be greater than zero`);
      if (e.range.offset !== undefined) parseDurationNs(e.range.offset, "offset");
      const unwrapped = e.range.unwrap !== undefined;
      if (UNWRAP_REQUIRED.has(e.op) && !unwrapped) invalid(`invalid aggregation ${e.op} without unwrap`);
      if (UNWRAP_FORBIDDEN.has(e.op) && unwrapped) invalid(`invalid aggregation ${e.op} with unwrap`);
      if (e.grouping !== undefined && !unwrapped) invalid(`grouping not allowed for ${e.op} aggregation`);
      if (e.op === "quantile_over_time" && (e.param === undefined || Number.isNaN(e.param))) invalid("quantile_over_time needs a quantile parameter");
      return;
    }
    case "vectorAgg": {
      if (e.op === "topk" || e.op === "bottomk" || e.op === "approx_topk") {
        if (e.param === undefined || !Number.isInteger(e.param) || e.param <= 0) invalid(`${e.op}: the parameter must be a positive integer, got ${e.param}`);
      } else if (e.param !== undefined) invalid(`${e.op} takes no parameter`);
      if ((e.op === "sort" || e.op === "sort_desc") && e.grouping !== undefined) invalid(`${e.op} does not accept by/without`);
      if (e.op === "approx_topk" && e.grouping !== undefined) invalid("grouping not allowed for approx_topk aggregation");
      if (isScalarExpr(e.inner)) invalid(`${e.op}: expected a vector expression, got a scalar`);
      validateMetric(e.inner);
      return;
    }
    case "labelReplace":
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(e.dst)) invalid(`label_replace: invalid destination label name ${JSON.stringify(e.dst)}`);
      SafeRegex.compile(e.regex, { anchored: true, where: "label_replace" });
      validateMetric(e.inner);
      return;
    case "binary": {
      validateMetric(e.left);
      validateMetric(e.right);
      const ls = isScalarExpr(e.left);
      const rs = isScalarExpr(e.right);
      const comparison = ["==", "!=", ">", ">=", "<", "<="].includes(e.op);
      if (["and", "or", "unless"].includes(e.op) && (ls || rs)) invalid(`set operator "${e.op}" not allowed in binary scalar expression`);
      if (comparison && ls && rs && !e.bool) invalid("comparisons between scalars must use BOOL modifier");
      if (e.bool && !comparison) invalid(`bool modifier can only be used on comparison operators, not "${e.op}"`);
      if (e.matching !== undefined && (ls || rs)) invalid("vector matching only allowed between vectors");
      return;
    }
  }
}

/** Validates a whole expression; throws QUERY_INVALID / QUERY_REGEX_INVALID naming the problem. */
export function analyze(e: Expr): void {
  if (e.kind === "log") validateLog(e);
  else validateMetric(e);
}

/** True when the expression uses an aggregation Loki answers for instant queries only (approx_topk). */
export function usesInstantOnlyAggregation(e: Expr): boolean {
  switch (e.kind) {
    case "vectorAgg":
      return e.op === "approx_topk" || usesInstantOnlyAggregation(e.inner);
    case "labelReplace":
      return usesInstantOnlyAggregation(e.inner);
    case "binary":
      return usesInstantOnlyAggregation(e.left) || usesInstantOnlyAggregation(e.right);
    default:
      return false;
  }
}

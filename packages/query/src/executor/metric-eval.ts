// Evaluates a metric expression tree on a step grid: scalars are per-step arrays, vectors are matrices.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { MetricExpr } from "../language/ast.js";
import type { QueryContext } from "./query-context.js";
import { SUMMABLE, evalRangeAgg, type EvalGrid, type Matrix } from "./range-aggregation.js";
import { labelReplace, scalarBinary, vectorAggregate, vectorBinary, vectorScalarBinary } from "./vector-ops.js";

export type MetricValue = { kind: "scalar"; values: Float64Array } | { kind: "vector"; matrix: Matrix };

/** Label names the query groups or matches on; metadata labels with these names are kept on series. */
export function referencedLabels(e: MetricExpr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case "rangeAgg":
      if (e.grouping !== undefined && !e.grouping.without) for (const l of e.grouping.labels) out.add(l);
      break;
    case "vectorAgg":
      if (e.grouping !== undefined && !e.grouping.without) for (const l of e.grouping.labels) out.add(l);
      referencedLabels(e.inner, out);
      break;
    case "binary":
      if (e.matching?.on === true) for (const l of e.matching.labels) out.add(l);
      for (const l of e.matching?.group?.include ?? []) out.add(l);
      referencedLabels(e.left, out);
      referencedLabels(e.right, out);
      break;
    case "labelReplace":
      out.add(e.src);
      referencedLabels(e.inner, out);
      break;
    default:
      break;
  }
  return out;
}

export async function evalMetric(ctx: QueryContext, e: MetricExpr, grid: EvalGrid, keepMeta: ReadonlySet<string>): Promise<MetricValue> {
  const n = grid.n;
  switch (e.kind) {
    case "number":
      return { kind: "scalar", values: new Float64Array(n).fill(e.value) };
    case "vector":
      return { kind: "vector", matrix: new Map([["", { labels: {}, values: new Float64Array(n).fill(e.value) }]]) };
    case "rangeAgg":
      return { kind: "vector", matrix: await evalRangeAgg(ctx, e, grid, keepMeta) };
    case "vectorAgg": {
      const ri = e.inner;
      const pushdown = e.op === "sum" && ri.kind === "rangeAgg" && ri.grouping === undefined && SUMMABLE.has(ri.op);
      const inner: MetricValue = pushdown
        ? { kind: "vector", matrix: await evalRangeAgg(ctx, ri, grid, keepMeta, e.grouping ?? { without: false, labels: [] }) }
        : await evalMetric(ctx, e.inner, grid, keepMeta);
      if (inner.kind !== "vector") throw new MeshlogError(QueryErrors.QUERY_INVALID, `${e.op}: expected a vector expression, got a scalar`);
      return { kind: "vector", matrix: vectorAggregate(e, inner.matrix, n) };
    }
    case "labelReplace": {
      const inner = await evalMetric(ctx, e.inner, grid, keepMeta);
      if (inner.kind !== "vector") throw new MeshlogError(QueryErrors.QUERY_INVALID, "label_replace: expected a vector expression");
      return { kind: "vector", matrix: labelReplace(e, inner.matrix) };
    }
    case "binary": {
      const l = await evalMetric(ctx, e.left, grid, keepMeta);
      ctx.check();
      const r = await evalMetric(ctx, e.right, grid, keepMeta);
      if (l.kind === "scalar" && r.kind === "scalar") return { kind: "scalar", values: scalarBinary(e.op, e.bool, l.values, r.values) };
      if (l.kind === "vector" && r.kind === "scalar") return { kind: "vector", matrix: vectorScalarBinary(e.op, e.bool, l.matrix, r.values, false) };
      if (l.kind === "scalar" && r.kind === "vector") return { kind: "vector", matrix: vectorScalarBinary(e.op, e.bool, r.matrix, l.values, true) };
      if (l.kind === "vector" && r.kind === "vector") return { kind: "vector", matrix: vectorBinary(e.op, e.bool, e.matching, l.matrix, r.matrix, n) };
      throw new Error("BUG: unreachable binary operand kinds");
    }
  }
}

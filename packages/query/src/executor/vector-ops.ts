// Step-wise vector operations: aggregations (sum/avg/.../topk/sort), binary operators with vector
// matching, and label_replace. Every function maps Matrix (series x steps) to Matrix.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { BinaryOp, MetricExpr, VectorMatching } from "../language/ast.js";
import { SafeRegex } from "../regex/safe-regex.js";
import type { Matrix, Series } from "./range-aggregation.js";
import { labelsKey, projectLabels } from "./series-key.js";

/** A scalar is one value per step (no labels). */
export type Scalar = Float64Array;

export function vectorAggregate(node: Extract<MetricExpr, { kind: "vectorAgg" }>, input: Matrix, n: number): Matrix {
  const { op, grouping } = node;
  const groups = new Map<string, { labels: Record<string, string>; members: Series[] }>();
  for (const s of input.values()) {
    const labels = grouping === undefined ? {} : projectLabels(s.labels, grouping.labels, grouping.without);
    const key = op === "sort" || op === "sort_desc" ? labelsKey(s.labels) : labelsKey(labels);
    let g = groups.get(key);
    if (g === undefined) {
      g = { labels: op === "sort" || op === "sort_desc" ? s.labels : labels, members: [] };
      groups.set(key, g);
    }
    g.members.push(s);
  }
  const out: Matrix = new Map();
  // approx_topk: Loki approximates with count-min sketches per shard; series here are bounded by query.maxSeries,
  // so the exact top k (without grouping: the analyzer refuses by/without) is both affordable and a valid answer.
  if (op === "topk" || op === "bottomk" || op === "approx_topk") {
    const k = node.param ?? 1;
    const selected = new Map<Series, Float64Array>();
    for (const g of groups.values()) {
      for (let i = 0; i < n; i++) {
        const present = g.members.filter((m) => !Number.isNaN(m.values[i] as number));
        present.sort((a, b) => (op !== "bottomk" ? (b.values[i] as number) - (a.values[i] as number) : (a.values[i] as number) - (b.values[i] as number)));
        for (const m of present.slice(0, k)) {
          let v = selected.get(m);
          if (v === undefined) {
            v = new Float64Array(n).fill(NaN);
            selected.set(m, v);
          }
          v[i] = m.values[i] as number;
        }
      }
    }
    const entries = [...selected.entries()];
    if (n === 1) entries.sort((a, b) => (op !== "bottomk" ? (b[1][0] as number) - (a[1][0] as number) : (a[1][0] as number) - (b[1][0] as number)));
    for (const [m, values] of entries) out.set(labelsKey(m.labels), { labels: m.labels, values });
    return out;
  }
  if (op === "sort" || op === "sort_desc") {
    const all = [...input.values()];
    all.sort((a, b) => {
      const x = a.values[n - 1] as number;
      const y = b.values[n - 1] as number;
      return op === "sort" ? x - y : y - x;
    });
    for (const s of all) out.set(labelsKey(s.labels), s);
    return out;
  }
  for (const [key, g] of groups) {
    const values = new Float64Array(n).fill(NaN);
    let any = false;
    for (let i = 0; i < n; i++) {
      let cnt = 0;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      let mean = 0;
      let m2 = 0;
      for (const m of g.members) {
        const v = m.values[i] as number;
        if (Number.isNaN(v)) continue;
        cnt++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        const d = v - mean;
        mean += d / cnt;
        m2 += d * (v - mean);
      }
      if (cnt === 0) continue;
      any = true;
      switch (op) {
        case "sum":
          values[i] = sum;
          break;
        case "avg":
          values[i] = sum / cnt;
          break;
        case "min":
          values[i] = min;
          break;
        case "max":
          values[i] = max;
          break;
        case "count":
          values[i] = cnt;
          break;
        case "stdvar":
          values[i] = m2 / cnt;
          break;
        case "stddev":
          values[i] = Math.sqrt(m2 / cnt);
          break;
        default:
          break;
      }
    }
    if (any) out.set(key, { labels: g.labels, values });
  }
  return out;
}

const COMPARISON = new Set<BinaryOp>(["==", "!=", ">", ">=", "<", "<="]);

function arith(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "%":
      return a % b;
    case "^":
      return a ** b;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    default:
      return NaN;
  }
}

/** Applies `op` to a value pair: arithmetic result, or for comparisons the kept value / bool / NaN (dropped). */
function apply(op: BinaryOp, bool: boolean, a: number, b: number, keep: number): number {
  const r = arith(op, a, b);
  if (!COMPARISON.has(op)) return r;
  if (bool) return r;
  return r === 1 ? keep : NaN;
}

export function scalarBinary(op: BinaryOp, bool: boolean, a: Scalar, b: Scalar): Scalar {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = apply(op, bool, a[i] as number, b[i] as number, a[i] as number);
  return out;
}

/** vector op scalar (or scalar op vector when `scalarLeft`). */
export function vectorScalarBinary(op: BinaryOp, bool: boolean, v: Matrix, s: Scalar, scalarLeft: boolean): Matrix {
  const out: Matrix = new Map();
  for (const [key, ser] of v) {
    const values = new Float64Array(s.length);
    let any = false;
    for (let i = 0; i < s.length; i++) {
      const x = ser.values[i] as number;
      if (Number.isNaN(x)) {
        values[i] = NaN;
        continue;
      }
      const r = scalarLeft ? apply(op, bool, s[i] as number, x, x) : apply(op, bool, x, s[i] as number, x);
      values[i] = r;
      if (!Number.isNaN(r)) any = true;
    }
    if (any) out.set(key, { labels: ser.labels, values });
  }
  return out;
}

function signature(labels: Record<string, string>, m: VectorMatching | undefined): string {
  if (m === undefined) return labelsKey(labels);
  return labelsKey(projectLabels(labels, m.labels, !m.on));
}

export function vectorBinary(op: BinaryOp, bool: boolean, matching: VectorMatching | undefined, left: Matrix, right: Matrix, n: number): Matrix {
  const out: Matrix = new Map();
  if (op === "and" || op === "or" || op === "unless") {
    const rightSigs = new Map<string, Series[]>();
    for (const s of right.values()) {
      const k = signature(s.labels, matching);
      const list = rightSigs.get(k) ?? [];
      list.push(s);
      rightSigs.set(k, list);
    }
    const presentRight = (k: string, i: number): boolean => (rightSigs.get(k) ?? []).some((s) => !Number.isNaN(s.values[i] as number));
    const leftSigsAt = new Map<string, Series[]>();
    for (const [key, s] of left) {
      const sig = signature(s.labels, matching);
      const list = leftSigsAt.get(sig) ?? [];
      list.push(s);
      leftSigsAt.set(sig, list);
      const values = new Float64Array(n).fill(NaN);
      let any = false;
      for (let i = 0; i < n; i++) {
        const v = s.values[i] as number;
        if (Number.isNaN(v)) continue;
        const keep = op === "or" ? true : op === "and" ? presentRight(sig, i) : !presentRight(sig, i);
        if (keep) {
          values[i] = v;
          any = true;
        }
      }
      if (any) out.set(key, { labels: s.labels, values });
    }
    if (op === "or") {
      for (const [key, s] of right) {
        const sig = signature(s.labels, matching);
        const values = new Float64Array(n).fill(NaN);
        let any = false;
        for (let i = 0; i < n; i++) {
          const v = s.values[i] as number;
          if (Number.isNaN(v)) continue;
          if ((leftSigsAt.get(sig) ?? []).some((l) => !Number.isNaN(l.values[i] as number))) continue;
          values[i] = v;
          any = true;
        }
        if (any && !out.has(key)) out.set(key, { labels: s.labels, values });
      }
    }
    return out;
  }
  const side = matching?.group?.side;
  const one = side === "right" ? left : right;
  const many = side === "right" ? right : left;
  const oneBySig = new Map<string, Series[]>();
  for (const s of one.values()) {
    const k = signature(s.labels, matching);
    const list = oneBySig.get(k) ?? [];
    list.push(s);
    oneBySig.set(k, list);
  }
  const comparison = COMPARISON.has(op);
  for (const s of many.values()) {
    const sig = signature(s.labels, matching);
    const partners = oneBySig.get(sig);
    if (partners === undefined) continue;
    for (const p of partners) {
      let labels: Record<string, string>;
      if (side !== undefined) {
        labels = { ...s.labels };
        for (const l of matching?.group?.include ?? []) {
          const v = p.labels[l];
          if (v !== undefined) labels[l] = v;
          else delete labels[l];
        }
      } else if (comparison && !bool) labels = s.labels;
      else if (matching?.on === true) labels = projectLabels(s.labels, matching.labels, false);
      else if (matching !== undefined) labels = projectLabels(s.labels, matching.labels, true);
      else labels = s.labels;
      const values = new Float64Array(n).fill(NaN);
      let any = false;
      for (let i = 0; i < n; i++) {
        const a = side === "right" ? (p.values[i] as number) : (s.values[i] as number);
        const b = side === "right" ? (s.values[i] as number) : (p.values[i] as number);
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        const r = apply(op, bool, a, b, side === "right" ? b : a);
        values[i] = r;
        if (!Number.isNaN(r)) any = true;
      }
      if (any) {
        const key = labelsKey(labels);
        const existing = out.get(key);
        if (existing !== undefined && side === undefined && !(comparison && !bool)) {
          throw new MeshlogError(
            QueryErrors.QUERY_INVALID,
            `multiple matches for labels ${JSON.stringify(labels)}: many-to-one matching must be explicit (group_left/group_right)`,
          );
        }
        if (existing === undefined) out.set(key, { labels, values });
        else for (let i = 0; i < n; i++) if (Number.isNaN(existing.values[i] as number)) existing.values[i] = values[i] as number;
      }
    }
  }
  return out;
}

export function labelReplace(node: Extract<MetricExpr, { kind: "labelReplace" }>, input: Matrix): Matrix {
  const re = SafeRegex.compile(node.regex, { anchored: true, where: "label_replace" });
  const out: Matrix = new Map();
  for (const s of input.values()) {
    const src = s.labels[node.src] ?? "";
    const groups = re.exec(src);
    let labels = s.labels;
    if (groups !== undefined) {
      const value = node.replacement.replace(/\$(\d+)|\$\{(\w+)\}/g, (_m, d: string | undefined, name: string | undefined) => {
        const idx = d !== undefined ? Number(d) : /^\d+$/.test(name ?? "") ? Number(name) : -1;
        return idx >= 0 ? (groups[idx] ?? "") : "";
      });
      labels = { ...s.labels };
      if (value === "") delete labels[node.dst];
      else labels[node.dst] = value;
    }
    const key = labelsKey(labels);
    if (!out.has(key)) out.set(key, { labels, values: s.values });
  }
  return out;
}

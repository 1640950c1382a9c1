// Range aggregations (count_over_time, rate, *_over_time with unwrap...) evaluated on a step grid.
// Each entry is visited once: additive aggregations add it to a difference array over the steps whose
// window holds it (O(1) per entry); order-dependent ones buffer (time, value) per series and slide a window.

import { MeshlogError, parseDurationNs } from "@meshlog/core";
import type { StoredEntry, StreamInfo } from "@meshlog/storage";
import { QueryErrors } from "../errors.js";
import type { Grouping, LabelFilterExpr, MetricExpr, RangeOp } from "../language/ast.js";
import { compileLabelFilter } from "../pipeline/label-filter.js";
import { compilePipeline } from "../pipeline/log-pipeline.js";
import { LabelsBuilder, PipelineErrors } from "../pipeline/labels-builder.js";
import { parseBytes, parseGoDurationSeconds } from "../pipeline/units.js";
import { metadataOf, metadataValue, type QueryContext } from "./query-context.js";
import { labelsKey, projectLabels } from "./series-key.js";

/** Evaluation times: t_i = start + i*step for i < n. Instant queries have n = 1. */
export interface EvalGrid {
  readonly start: bigint;
  readonly step: bigint;
  readonly n: number;
}

export interface Series {
  labels: Record<string, string>;
  /** One value per step; NaN where the series has no sample. */
  values: Float64Array;
}
export type Matrix = Map<string, Series>;

/** Aggregations over integer samples (counts, bytes): exact with difference arrays. Unwrapped values use windows. */
const ADDITIVE: ReadonlySet<RangeOp> = new Set(["count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time"]);

interface AddAcc {
  labels: Record<string, string>;
  sum: Float64Array;
  cnt: Float64Array;
  sq: Float64Array | undefined;
}
interface PointAcc {
  labels: Record<string, string>;
  ts: number[];
  vs: number[];
}

function pipelineError(err: string, labels: Record<string, string>): MeshlogError {
  const shown = Object.entries(labels)
    .filter(([k]) => !k.startsWith("__error"))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
  return new MeshlogError(
    QueryErrors.QUERY_PIPELINE_ERROR,
    `pipeline error: '${err}' for series: '{${shown}}'. Use a label filter to intentionally skip this error. (e.g | __error__!="${err}"). To skip all potential errors you can match empty errors.(e.g __error__="") The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )`,
  );
}

/** Range aggregations whose per-series results may be summed early (sum of sums). */
export const SUMMABLE: ReadonlySet<RangeOp> = new Set(["count_over_time", "rate", "bytes_over_time", "bytes_rate", "sum_over_time"]);

/**
 * Evaluates one range aggregation over the grid. `keepMeta` names metadata labels kept on series.
 * `pushdown` (only for SUMMABLE ops under a `sum`) projects series labels early, so high-cardinality
 * parsed labels never become intermediate series.
 */
export async function evalRangeAgg(
  ctx: QueryContext,
  node: Extract<MetricExpr, { kind: "rangeAgg" }>,
  grid: EvalGrid,
  keepMeta: ReadonlySet<string>,
  pushdown?: Grouping,
): Promise<Matrix> {
  const { op, range: lr } = node;
  const rangeNs = parseDurationNs(lr.range, "range");
  const offsetNs = lr.offset !== undefined ? parseDurationNs(lr.offset, "offset") : 0n;
  const pipeline = compilePipeline(lr.log.stages);
  const post: ((lb: LabelsBuilder) => boolean)[] = (lr.unwrap?.post ?? []).map((f: LabelFilterExpr) => compileLabelFilter(f));
  const n = grid.n;
  const lastT = grid.start + grid.step * BigInt(n - 1);
  const selStart = grid.start - rangeNs - offsetNs + 1n;
  const selEnd = lastT - offsetNs + 1n;
  const streams = await ctx.streams(lr.log.matchers, selStart, selEnd);
  const byId = new Map<string, StreamInfo>(streams.map((s) => [s.id, s]));
  const stepN = Number(grid.step);
  const rangeN = Number(rangeNs);
  const rangeSec = rangeN / 1e9;
  const additive = ADDITIVE.has(op) && lr.unwrap === undefined;
  const addAccs = new Map<string, AddAcc>();
  const pointAccs = new Map<string, PointAcc>();
  const needSq = op === "stddev_over_time" || op === "stdvar_over_time";
  const unwrap = lr.unwrap;
  const grouping = node.grouping;
  const fast = pipeline.lineOnly && unwrap === undefined && grouping === undefined;
  const metaNamesByStream = new Map<string, string[]>();
  const fastLabels = new Map<string, { key: string; labels: Record<string, string> }>();
  const bytes = op === "bytes_over_time" || op === "bytes_rate";
  let cells = 0;
  let points = 0;
  const budget = ctx.limits.maxSamples;
  const overBudget = (): MeshlogError =>
    new MeshlogError(
      QueryErrors.QUERY_LIMIT_POINTS,
      `the query needs more than ${budget} samples in memory; use a larger step, a shorter range or fewer series`,
    );
  const prefilter = pipeline.prefilter;

  await ctx.scan(streams, selStart, selEnd, "forward", pipeline.requiredSubstrings, (batch: readonly StoredEntry[]) => {
    for (const { streamId, record } of batch) {
      if (prefilter !== undefined && !prefilter(record.body)) continue;
      const info = byId.get(streamId);
      if (info === undefined) continue;
      let key: string;
      let labels: Record<string, string>;
      let value = 1;
      if (fast) {
        let names = metaNamesByStream.get(streamId);
        if (names === undefined) {
          names = [...keepMeta].filter((m) => info.labels[m] === undefined);
          metaNamesByStream.set(streamId, names);
        }
        let rawKey = streamId;
        for (const m of names) rawKey += `\u0000${metadataValue(record, m, info.labels) ?? ""}`;
        let hit = fastLabels.get(rawKey);
        if (hit === undefined) {
          const l: Record<string, string> = { ...info.labels };
          for (const m of names) {
            const v = metadataValue(record, m, info.labels);
            if (v !== undefined && v !== "") l[m] = v;
          }
          const projected = pushdown !== undefined ? projectLabels(l, pushdown.labels, pushdown.without) : l;
          hit = { key: labelsKey(projected), labels: projected };
          fastLabels.set(rawKey, hit);
        }
        key = hit.key;
        labels = hit.labels;
      } else {
        const lb = new LabelsBuilder(info.labels, () => metadataOf(record, info.labels));
        const entry = { ts: record.timestamp, line: record.body, labels: lb };
        if (!pipeline.process(entry)) continue;
        if (unwrap !== undefined) {
          const raw = lb.get(unwrap.label);
          let v: number | undefined;
          if (raw === undefined) v = undefined;
          else if (unwrap.conv === "") v = raw.trim() === "" ? undefined : Number(raw);
          else if (unwrap.conv === "bytes") v = parseBytes(raw);
          else v = parseGoDurationSeconds(raw);
          if (v === undefined || Number.isNaN(v)) {
            lb.setError(
              PipelineErrors.sample,
              raw === undefined ? `label ${unwrap.label} is missing` : `cannot convert ${JSON.stringify(raw.slice(0, 64))} of label ${unwrap.label}`,
            );
            value = NaN;
          } else value = v;
          let keep = true;
          for (const f of post) if (!f(lb)) keep = false;
          if (!keep) continue;
        } else if (bytes) value = Buffer.byteLength(entry.line, "utf8");
        const all = lb.all({ withMeta: false });
        if (lb.error !== undefined) throw pipelineError(lb.error, all);
        for (const m of keepMeta)
          if (all[m] === undefined) {
            const v = lb.get(m);
            if (v !== undefined && v !== "") all[m] = v;
          }
        if (unwrap !== undefined) delete all[unwrap.label];
        const g = grouping ?? pushdown;
        labels = g !== undefined ? projectLabels(all, g.labels, g.without) : all;
        key = labelsKey(labels);
      }
      if (fast && bytes) value = Buffer.byteLength(record.body, "utf8");
      ctx.postFilterLines++;
      const relU = Number(record.timestamp + offsetNs - grid.start);
      if (additive) {
        const iMin = Math.max(0, Math.ceil(relU / stepN));
        const iMax = Math.min(n - 1, Math.ceil((relU + rangeN) / stepN) - 1);
        if (iMin > iMax) continue;
        let acc = addAccs.get(key);
        if (acc === undefined) {
          cells += (n + 1) * (needSq ? 3 : 2);
          if (cells > budget) throw overBudget();
          acc = { labels, sum: new Float64Array(n + 1), cnt: new Float64Array(n + 1), sq: needSq ? new Float64Array(n + 1) : undefined };
          addAccs.set(key, acc);
        }
        acc.sum[iMin]! += value;
        acc.sum[iMax + 1]! -= value;
        acc.cnt[iMin]! += 1;
        acc.cnt[iMax + 1]! -= 1;
        if (acc.sq !== undefined) {
          acc.sq[iMin]! += value * value;
          acc.sq[iMax + 1]! -= value * value;
        }
      } else {
        let acc = pointAccs.get(key);
        if (acc === undefined) {
          acc = { labels, ts: [], vs: [] };
          pointAccs.set(key, acc);
        }
        if (++points > budget) throw overBudget();
        acc.ts.push(relU);
        acc.vs.push(value);
      }
    }
    return true;
  });

  const out: Matrix = new Map();
  if (op === "absent_over_time") {
    const total = new Float64Array(n);
    for (const acc of addAccs.values()) {
      let c = 0;
      for (let i = 0; i < n; i++) {
        c += acc.cnt[i] as number;
        total[i]! += c;
      }
    }
    const values = new Float64Array(n).fill(NaN);
    let any = false;
    for (let i = 0; i < n; i++)
      if ((total[i] as number) <= 0) {
        values[i] = 1;
        any = true;
      }
    if (any) {
      const labels: Record<string, string> = {};
      for (const m of lr.log.matchers) if (m.op === "=") labels[m.name] = m.value;
      out.set(labelsKey(labels), { labels, values });
    }
    return out;
  }
  for (const [key, acc] of addAccs) {
    const values = new Float64Array(n);
    let s = 0;
    let c = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      s += acc.sum[i] as number;
      c += acc.cnt[i] as number;
      if (acc.sq !== undefined) q += acc.sq[i] as number;
      if (c < 0.5) {
        values[i] = NaN;
        continue;
      }
      switch (op) {
        case "count_over_time":
          values[i] = Math.round(c);
          break;
        case "rate":
          values[i] = (unwrap !== undefined ? s : Math.round(c)) / rangeSec;
          break;
        case "bytes_over_time":
        case "sum_over_time":
          values[i] = s;
          break;
        case "bytes_rate":
          values[i] = s / rangeSec;
          break;
        case "avg_over_time":
          values[i] = s / c;
          break;
        case "stdvar_over_time":
        case "stddev_over_time": {
          const mean = s / c;
          const v = Math.max(0, q / c - mean * mean);
          values[i] = op === "stdvar_over_time" ? v : Math.sqrt(v);
          break;
        }
        default:
          values[i] = NaN;
      }
    }
    out.set(key, { labels: acc.labels, values });
  }
  for (const [key, acc] of pointAccs) {
    const values = new Float64Array(n).fill(NaN);
    let lo = 0;
    let hi = 0;
    const m = acc.ts.length;
    for (let i = 0; i < n; i++) {
      const t = i * stepN;
      while (hi < m && (acc.ts[hi] as number) <= t) hi++;
      while (lo < hi && (acc.ts[lo] as number) <= t - rangeN) lo++;
      if (hi <= lo) continue;
      values[i] = windowValue(op, acc.ts, acc.vs, lo, hi, node.param ?? 0, t - rangeN, t, rangeSec);
    }
    out.set(key, { labels: acc.labels, values });
  }
  return out;
}

function windowValue(op: RangeOp, ts: number[], vs: number[], lo: number, hi: number, param: number, wStart: number, wEnd: number, rangeSec: number): number {
  switch (op) {
    case "min_over_time": {
      let r = Infinity;
      for (let i = lo; i < hi; i++) r = Math.min(r, vs[i] as number);
      return r;
    }
    case "max_over_time": {
      let r = -Infinity;
      for (let i = lo; i < hi; i++) r = Math.max(r, vs[i] as number);
      return r;
    }
    case "sum_over_time":
    case "rate":
    case "avg_over_time":
    case "stddev_over_time":
    case "stdvar_over_time": {
      let sum = 0;
      let mean = 0;
      let m2 = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) {
        const v = vs[i] as number;
        sum += v;
        c++;
        const d = v - mean;
        mean += d / c;
        m2 += d * (v - mean);
      }
      if (op === "sum_over_time") return sum;
      if (op === "rate") return sum / rangeSec;
      if (op === "avg_over_time") return mean;
      return op === "stdvar_over_time" ? m2 / c : Math.sqrt(m2 / c);
    }
    case "first_over_time":
      return vs[lo] as number;
    case "last_over_time":
      return vs[hi - 1] as number;
    case "quantile_over_time": {
      if (param < 0) return -Infinity;
      if (param > 1) return Infinity;
      const w = vs.slice(lo, hi).sort((a, b) => a - b);
      const rank = param * (w.length - 1);
      const a = Math.floor(rank);
      const b = Math.min(w.length - 1, a + 1);
      const frac = rank - a;
      return (w[a] as number) * (1 - frac) + (w[b] as number) * frac;
    }
    case "rate_counter":
      return extrapolatedCounterRate(ts, vs, lo, hi, wStart, wEnd, rangeSec);
    default:
      return NaN;
  }
}

/** Prometheus-style extrapolated rate of a counter over the window (resets add back the pre-reset value). */
function extrapolatedCounterRate(ts: number[], vs: number[], lo: number, hi: number, wStart: number, wEnd: number, rangeSec: number): number {
  const count = hi - lo;
  if (count < 2) return NaN;
  const first = vs[lo] as number;
  let result = (vs[hi - 1] as number) - first;
  for (let i = lo + 1; i < hi; i++) if ((vs[i] as number) < (vs[i - 1] as number)) result += vs[i - 1] as number;
  const firstT = ts[lo] as number;
  const lastT = ts[hi - 1] as number;
  let durationToStart = (firstT - wStart) / 1e9;
  const durationToEnd = (wEnd - lastT) / 1e9;
  const sampled = (lastT - firstT) / 1e9;
  if (sampled <= 0) return NaN;
  const avg = sampled / (count - 1);
  if (result > 0 && first >= 0) {
    const toZero = sampled * (first / result);
    if (toZero < durationToStart) durationToStart = toZero;
  }
  const threshold = avg * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : avg / 2;
  interval += durationToEnd < threshold ? durationToEnd : avg / 2;
  return (result * (interval / sampled)) / rangeSec;
}

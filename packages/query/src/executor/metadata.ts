// Metadata queries for the Loki API: label names/values, series, index stats, volume, detected fields/labels.
// All of them see only streams inside the caller's tenant and scope.

import type { StoredEntry, StreamInfo } from "@meshlog/storage";
import type { Expr, Matcher } from "../language/ast.js";
import { LabelsBuilder } from "../pipeline/labels-builder.js";
import { jsonParser, logfmtParser } from "../pipeline/line-parsers.js";
import { parseBytes, parseGoDurationSeconds } from "../pipeline/units.js";
import { runLogQuery } from "./log-query.js";
import { metadataOf, type QueryContext } from "./query-context.js";
import type { EvalGrid } from "./range-aggregation.js";
import { labelsKey, projectLabels } from "./series-key.js";

/** The stream matchers of the first selector of an expression. */
export function selectorOf(e: Expr): readonly Matcher[] {
  switch (e.kind) {
    case "log":
      return e.matchers;
    case "rangeAgg":
      return e.range.log.matchers;
    case "vectorAgg":
    case "labelReplace":
      return selectorOf(e.inner);
    case "binary": {
      const l = selectorOf(e.left);
      return l.length > 0 ? l : selectorOf(e.right);
    }
    default:
      return [];
  }
}

export async function labelNames(ctx: QueryContext, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<string[]> {
  const names = new Set<string>();
  for (const s of await ctx.streams(matchers, start, end)) for (const k of Object.keys(s.labels)) names.add(k);
  return [...names].sort();
}

export async function labelValues(ctx: QueryContext, name: string, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<string[]> {
  const values = new Set<string>();
  for (const s of await ctx.streams(matchers, start, end)) {
    const v = s.labels[name];
    if (v !== undefined && v !== "") values.add(v);
  }
  return [...values].sort();
}

export async function seriesOf(ctx: QueryContext, selectors: readonly (readonly Matcher[])[], start: bigint, end: bigint): Promise<Record<string, string>[]> {
  const seen = new Map<string, Record<string, string>>();
  for (const ms of selectors) for (const s of await ctx.streams(ms, start, end)) seen.set(s.id, { ...s.labels });
  return [...seen.values()].sort((a, b) => (labelsKey(a) < labelsKey(b) ? -1 : 1));
}

export interface IndexStats {
  streams: number;
  chunks: number;
  bytes: number;
  entries: number;
}

export async function indexStats(ctx: QueryContext, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<IndexStats> {
  const streams = await ctx.streams(matchers, start, end);
  let bytes = 0;
  let entries = 0;
  await ctx.scan(streams, start, end, "forward", [], (batch) => {
    for (const e of batch) bytes += Buffer.byteLength(e.record.body, "utf8");
    entries += batch.length;
  });
  return { streams: streams.length, chunks: Math.max(ctx.selectStats.blocksScanned, entries > 0 ? streams.length : 0), bytes, entries };
}

/**
 * Bytes per group over [start, end): groups by `targetLabels`, else by the label names of the query's
 * matchers. With a grid (volume_range) the bytes are bucketed per step; otherwise one value at `end`.
 * Returns the `limit` largest groups.
 */
export async function volume(
  ctx: QueryContext,
  matchers: readonly Matcher[],
  start: bigint,
  end: bigint,
  opts: { targetLabels?: readonly string[]; limit: number; grid?: EvalGrid; aggregateBy?: "series" | "labels" },
): Promise<{ labels: Record<string, string>; values: Float64Array }[]> {
  const streams = await ctx.streams(matchers, start, end);
  const targeted = opts.targetLabels !== undefined && opts.targetLabels.length > 0;
  const names = targeted ? (opts.targetLabels as readonly string[]) : [...new Set(matchers.map((m) => m.name))];
  const n = opts.grid?.n ?? 1;
  type Group = { labels: Record<string, string>; values: Float64Array; total: number };
  const groups = new Map<string, Group>();
  const groupsOfStream = new Map<string, Group[]>();
  const groupOf = (labels: Record<string, string>): Group => {
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (g === undefined) {
      g = { labels, values: new Float64Array(n), total: 0 };
      groups.set(key, g);
    }
    return g;
  };
  for (const s of streams) {
    // aggregateBy=labels (Loki): one series {name=""} per label name of the matching streams (only the target
    // labels when given), holding the volume of every stream carrying that label.
    const keys =
      opts.aggregateBy === "labels"
        ? Object.keys(s.labels)
            .filter((k) => !targeted || names.includes(k))
            .map((k) => ({ [k]: "" }))
        : [projectLabels(s.labels, names, false)];
    groupsOfStream.set(s.id, keys.map(groupOf));
  }
  await ctx.scan(streams, start, end, "forward", [], (batch: readonly StoredEntry[]) => {
    for (const { streamId, record } of batch) {
      const gs = groupsOfStream.get(streamId);
      if (gs === undefined) continue;
      const b = Buffer.byteLength(record.body, "utf8");
      let i = 0;
      if (opts.grid !== undefined) {
        const rel = record.timestamp - opts.grid.start;
        i = rel <= 0n ? 0 : Math.min(n - 1, Number((rel + opts.grid.step - 1n) / opts.grid.step));
      }
      for (const g of gs) {
        g.values[i]! += b;
        g.total += b;
      }
    }
  });
  return [...groups.values()]
    .filter((g) => g.total > 0)
    .sort((a, b) => b.total - a.total)
    .slice(0, opts.limit);
}

export interface DetectedField {
  label: string;
  type: "string" | "int" | "float" | "boolean" | "duration" | "bytes";
  cardinality: number;
  parsers: string[] | null;
}

function typeOf(values: Iterable<string>): DetectedField["type"] {
  let all = { int: true, float: true, boolean: true, duration: true, bytes: true };
  let any = false;
  for (const v of values) {
    any = true;
    all = {
      int: all.int && /^-?\d+$/.test(v),
      float: all.float && v.trim() !== "" && !Number.isNaN(Number(v)),
      boolean: all.boolean && /^(true|false)$/i.test(v),
      duration: all.duration && /[a-zµ]$/.test(v) && parseGoDurationSeconds(v) !== undefined,
      bytes: all.bytes && /[bB]$/.test(v) && parseBytes(v) !== undefined,
    };
  }
  if (!any) return "string";
  if (all.int) return "int";
  if (all.float) return "float";
  if (all.boolean) return "boolean";
  if (all.duration) return "duration";
  if (all.bytes) return "bytes";
  return "string";
}

/** Fields found in recent lines: parsed by json or logfmt, plus structured metadata. */
export async function detectedFields(
  ctx: QueryContext,
  expr: Expr,
  start: bigint,
  end: bigint,
  lineLimit: number,
): Promise<Map<string, { values: Set<string>; parsers: Set<string> }>> {
  const fields = new Map<string, { values: Set<string>; parsers: Set<string> }>();
  const add = (name: string, value: string, parser: string | undefined): void => {
    if (name.startsWith("__")) return;
    let f = fields.get(name);
    if (f === undefined) {
      f = { values: new Set(), parsers: new Set() };
      fields.set(name, f);
    }
    if (f.values.size < 1000) f.values.add(value);
    if (parser !== undefined) f.parsers.add(parser);
  };
  const logExpr = expr.kind === "log" ? expr : { kind: "log" as const, matchers: selectorOf(expr), stages: [] };
  const { streams } = await runLogQuery(ctx, logExpr, { start, end, limit: lineLimit, direction: "backward", categorizeLabels: true });
  const json = jsonParser([]);
  const logfmt = logfmtParser(false, false, []);
  for (const s of streams) {
    for (const v of s.values) {
      const line = v[1];
      const extra = v[2];
      for (const [k, val] of Object.entries(extra?.structuredMetadata ?? {})) add(k, val, undefined);
      for (const [k, val] of Object.entries(extra?.parsed ?? {})) add(k, val, undefined);
      const lb = new LabelsBuilder({}, () => ({}));
      const trimmed = line.trimStart();
      const parser = trimmed.startsWith("{") ? "json" : "logfmt";
      (parser === "json" ? json : logfmt)(line, lb);
      if (lb.error !== undefined) continue;
      for (const [k, val] of Object.entries(lb.parsed())) add(k, val, parser);
    }
  }
  return fields;
}

export function describeFields(fields: Map<string, { values: Set<string>; parsers: Set<string> }>, limit: number): DetectedField[] {
  return [...fields.entries()]
    .map(([label, f]) => ({ label, type: typeOf(f.values), cardinality: f.values.size, parsers: f.parsers.size > 0 ? [...f.parsers].sort() : null }))
    .sort((a, b) => (a.label < b.label ? -1 : 1))
    .slice(0, limit);
}

export async function detectedLabels(
  ctx: QueryContext,
  matchers: readonly Matcher[],
  start: bigint,
  end: bigint,
): Promise<{ label: string; cardinality: number }[]> {
  const values = new Map<string, Set<string>>();
  const streams: StreamInfo[] = await ctx.streams(matchers, start, end);
  for (const s of streams) {
    for (const [k, v] of Object.entries(s.labels)) {
      let set = values.get(k);
      if (set === undefined) values.set(k, (set = new Set()));
      set.add(v);
    }
  }
  return [...values.entries()].map(([label, set]) => ({ label, cardinality: set.size })).sort((a, b) => (a.label < b.label ? -1 : 1));
}

export { metadataOf };

// The query engine: parses, validates and runs LogQL against a LogStore under limits, honouring the scope.

import { MeshlogError, systemClock, type Clock, type Logger, silentLogger } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import { QueryErrors } from "../errors.js";
import { analyze, isScalarExpr, usesInstantOnlyAggregation, validateSelector } from "../language/analyzer.js";
import type { Expr, Matcher } from "../language/ast.js";
import { parseExpr, parseSelector } from "../language/parser.js";
import { runLogQuery } from "./log-query.js";
import { evalMetric, referencedLabels } from "./metric-eval.js";
import { QueryContext } from "./query-context.js";
import type { EvalGrid } from "./range-aggregation.js";
import {
  DEFAULT_QUERY_LIMITS,
  type QueryEngineOptions,
  type QueryLimits,
  type QueryRequest,
  type QueryResult,
  type SampleResult,
  type SeriesResult,
} from "./query-types.js";
import { formatSampleValue } from "./sample-format.js";
import {
  describeFields,
  detectedFields,
  detectedLabels,
  indexStats,
  labelNames,
  labelValues,
  selectorOf,
  seriesOf,
  volume,
  type DetectedField,
  type IndexStats,
} from "./metadata.js";

/** Common fields of metadata requests; `end` is inclusive. */
export interface MetadataRequest {
  readonly tenant: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly query?: string;
  readonly scope?: string;
  readonly signal?: AbortSignal;
}

const NS_PER_HOUR = 3_600_000_000_000n;

export class QueryEngine {
  readonly store: LogStore;
  readonly limits: QueryLimits;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(store: LogStore, limits: Partial<QueryLimits> = {}, opts: QueryEngineOptions = {}) {
    this.store = store;
    this.limits = { ...DEFAULT_QUERY_LIMITS, ...limits };
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Parses and validates a query (length and nesting limits, Loki's semantic rules). */
  parse(query: string): Expr {
    if (query.length > this.limits.maxQueryChars) {
      throw new MeshlogError(QueryErrors.QUERY_TOO_LARGE, `the query is ${query.length} characters long, the limit is ${this.limits.maxQueryChars}`);
    }
    const e = parseExpr(query);
    analyze(e);
    return e;
  }

  /** Parses a scope selector (the principal's read restriction). */
  scopeMatchers(scope: string | undefined): Matcher[] | undefined {
    if (scope === undefined || scope.trim() === "") return undefined;
    const ms = parseSelector(scope);
    validateSelector(ms);
    return ms;
  }

  /** A context for one request (used by metadata endpoints too). */
  context(tenant: string, scope: string | undefined, signal?: AbortSignal): QueryContext {
    return new QueryContext({ store: this.store, tenant, limits: this.limits, scope: this.scopeMatchers(scope), clock: this.#clock, signal });
  }

  checkRange(start: bigint, end: bigint): void {
    if (end < start) throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "end timestamp must not be before start time");
    if (end - start > this.limits.maxQueryLengthNs) {
      const hours = (n: bigint): string => `${(Number(n) / Number(NS_PER_HOUR)).toFixed(0)}h`;
      throw new MeshlogError(
        QueryErrors.QUERY_LIMIT_LENGTH,
        `the query time range exceeds the limit (query length: ${hours(end - start)}, limit: ${hours(this.limits.maxQueryLengthNs)}); set query.maxQueryLengthHours (MESHLOG_QUERY_MAX_LENGTH_HOURS) to allow more`,
      );
    }
  }

  async query(req: QueryRequest): Promise<QueryResult> {
    const expr = this.parse(req.query);
    const ctx = this.context(req.tenant, req.scope, req.signal);
    this.checkRange(req.start, req.end);
    const started = this.#clock.nowMs();
    try {
      if (expr.kind === "log") {
        if (req.step === undefined && req.start === req.end) {
          throw new MeshlogError(
            QueryErrors.QUERY_INVALID,
            "log queries are not supported as an instant query type, please change your query to a range query type",
          );
        }
        if (req.limit > this.limits.maxEntries) {
          throw new MeshlogError(
            QueryErrors.QUERY_LIMIT_ENTRIES,
            `max entries limit per query exceeded, limit > max_entries_limit (${req.limit} > ${this.limits.maxEntries}); the limit is the setting query.maxEntries (MESHLOG_QUERY_MAX_ENTRIES)`,
          );
        }
        if (req.limit < 0 || !Number.isInteger(req.limit))
          throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `limit must be a non-negative integer, got ${req.limit}`);
        const { streams, entries } = await runLogQuery(ctx, expr, {
          start: req.start,
          end: req.end,
          limit: req.limit,
          direction: req.direction,
          ...(req.interval !== undefined ? { interval: req.interval } : {}),
          ...(req.categorizeLabels === true ? { categorizeLabels: true } : {}),
        });
        return { resultType: "streams", result: streams, stats: ctx.stats(entries) };
      }
      if (req.step !== undefined && usesInstantOnlyAggregation(expr))
        throw new MeshlogError(QueryErrors.QUERY_INVALID, "approx_topk error: count min sketches are only supported on instant queries");
      const grid = this.#grid(req);
      const value = await evalMetric(ctx, expr, grid, referencedLabels(expr));
      const stepSec = (i: number): number => Number(grid.start + grid.step * BigInt(i)) / 1e9;
      if (value.kind === "scalar") {
        if (req.step === undefined) return { resultType: "scalar", result: [stepSec(0), formatSampleValue(value.values[0] as number)], stats: ctx.stats(1) };
        const values: [number, string][] = [];
        for (let i = 0; i < grid.n; i++) values.push([stepSec(i), formatSampleValue(value.values[i] as number)]);
        return { resultType: "matrix", result: [{ metric: {}, values }], stats: ctx.stats(values.length) };
      }
      const series = [...value.matrix.values()];
      if (series.length > this.limits.maxSeries) {
        throw new MeshlogError(
          QueryErrors.QUERY_LIMIT_SERIES,
          `maximum of series (${this.limits.maxSeries}) reached for a single query; the limit is the setting query.maxSeries (MESHLOG_QUERY_MAX_SERIES); add a by () clause or narrower selectors`,
        );
      }
      if (req.step === undefined) {
        const result: SampleResult[] = [];
        for (const s of series) {
          const v = s.values[0] as number;
          if (!Number.isNaN(v)) result.push({ metric: s.labels, value: [stepSec(0), formatSampleValue(v)] });
        }
        return { resultType: "vector", result, stats: ctx.stats(result.length) };
      }
      const result: SeriesResult[] = [];
      let points = 0;
      for (const s of series) {
        const values: [number, string][] = [];
        for (let i = 0; i < grid.n; i++) {
          const v = s.values[i] as number;
          if (!Number.isNaN(v)) values.push([stepSec(i), formatSampleValue(v)]);
        }
        points += values.length;
        if (values.length > 0) result.push({ metric: s.labels, values });
      }
      result.sort((a, b) => compareLabels(a.metric, b.metric));
      return { resultType: "matrix", result, stats: ctx.stats(points) };
    } finally {
      this.#log.debug("query finished", { tenant: req.tenant, ms: this.#clock.nowMs() - started, lines: ctx.linesProcessed });
    }
  }

  #matchers(query: string | undefined): readonly Matcher[] {
    return query === undefined || query.trim() === "" ? [] : selectorOf(this.parse(query));
  }

  /** Stream label names in [start, end], optionally of streams matching `query`. */
  async labels(req: MetadataRequest): Promise<string[]> {
    this.checkRange(req.start, req.end);
    return labelNames(this.context(req.tenant, req.scope, req.signal), this.#matchers(req.query), req.start, req.end + 1n);
  }

  /** Values of one stream label. */
  async labelValues(req: MetadataRequest & { readonly name: string }): Promise<string[]> {
    this.checkRange(req.start, req.end);
    return labelValues(this.context(req.tenant, req.scope, req.signal), req.name, this.#matchers(req.query), req.start, req.end + 1n);
  }

  /** Label sets of streams matching any of the `match` selectors. */
  async series(req: Omit<MetadataRequest, "query"> & { readonly match: readonly string[] }): Promise<Record<string, string>[]> {
    this.checkRange(req.start, req.end);
    const selectors = req.match.map((m) => this.#matchers(m));
    if (selectors.length === 0) selectors.push([]);
    return seriesOf(this.context(req.tenant, req.scope, req.signal), selectors, req.start, req.end + 1n);
  }

  async indexStats(req: MetadataRequest & { readonly query: string }): Promise<IndexStats> {
    this.checkRange(req.start, req.end);
    return indexStats(this.context(req.tenant, req.scope, req.signal), this.#matchers(req.query), req.start, req.end + 1n);
  }

  /** Bytes per label group (index/volume), or per step with `step` (index/volume_range). */
  async volume(
    req: MetadataRequest & {
      readonly query: string;
      readonly step?: bigint;
      readonly limit?: number;
      readonly targetLabels?: readonly string[];
      /** "series" (default): one series per combination of label values; "labels": one {name=""} series per label name. */
      readonly aggregateBy?: "series" | "labels";
    },
  ): Promise<QueryResult> {
    this.checkRange(req.start, req.end);
    const ctx = this.context(req.tenant, req.scope, req.signal);
    const grid = req.step !== undefined ? this.#grid({ ...req, limit: 0, direction: "forward", step: req.step }) : undefined;
    const groups = await volume(ctx, this.#matchers(req.query), req.start, req.end + 1n, {
      limit: req.limit ?? 100,
      ...(req.targetLabels !== undefined ? { targetLabels: req.targetLabels } : {}),
      ...(req.aggregateBy !== undefined ? { aggregateBy: req.aggregateBy } : {}),
      ...(grid !== undefined ? { grid } : {}),
    });
    if (grid === undefined) {
      const t = Number(req.end) / 1e9;
      return {
        resultType: "vector",
        result: groups.map((g) => ({ metric: g.labels, value: [t, formatSampleValue(g.values[0] as number)] })),
        stats: ctx.stats(groups.length),
      };
    }
    const result: SeriesResult[] = groups.map((g) => ({
      metric: g.labels,
      values: [...g.values].flatMap((v, i): [number, string][] => (v > 0 ? [[Number(grid.start + grid.step * BigInt(i)) / 1e9, formatSampleValue(v)]] : [])),
    }));
    return { resultType: "matrix", result, stats: ctx.stats(result.length) };
  }

  async detectedFields(
    req: MetadataRequest & { readonly query: string; readonly lineLimit?: number; readonly limit?: number },
  ): Promise<{ fields: DetectedField[]; limit: number }> {
    this.checkRange(req.start, req.end);
    const limit = req.limit ?? 1000;
    const fields = await detectedFields(
      this.context(req.tenant, req.scope, req.signal),
      this.parse(req.query),
      req.start,
      req.end + 1n,
      Math.min(req.lineLimit ?? 1000, this.limits.maxEntries),
    );
    return { fields: describeFields(fields, limit), limit };
  }

  async detectedFieldValues(
    req: MetadataRequest & { readonly query: string; readonly name: string; readonly lineLimit?: number; readonly limit?: number },
  ): Promise<{ values: string[]; limit: number }> {
    this.checkRange(req.start, req.end);
    const limit = req.limit ?? 1000;
    const fields = await detectedFields(
      this.context(req.tenant, req.scope, req.signal),
      this.parse(req.query),
      req.start,
      req.end + 1n,
      Math.min(req.lineLimit ?? 1000, this.limits.maxEntries),
    );
    return { values: [...(fields.get(req.name)?.values ?? [])].sort().slice(0, limit), limit };
  }

  async detectedLabels(req: MetadataRequest): Promise<{ detectedLabels: { label: string; cardinality: number }[] }> {
    this.checkRange(req.start, req.end);
    return { detectedLabels: await detectedLabels(this.context(req.tenant, req.scope, req.signal), this.#matchers(req.query), req.start, req.end + 1n) };
  }

  #grid(req: QueryRequest): EvalGrid {
    if (req.step === undefined) return { start: req.end, step: 1n, n: 1 };
    if (req.step <= 0n)
      throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "zero or negative query resolution step widths are not accepted. Try a positive integer");
    const n = Number((req.end - req.start) / req.step) + 1;
    if (n > this.limits.maxPoints) {
      throw new MeshlogError(
        QueryErrors.QUERY_LIMIT_POINTS,
        `exceeded maximum resolution of ${this.limits.maxPoints.toLocaleString("en-US")} points per timeseries. Try increasing the value of the step parameter`,
      );
    }
    return { start: req.start, step: req.step, n };
  }
}

function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const ka = JSON.stringify(Object.entries(a).sort());
  const kb = JSON.stringify(Object.entries(b).sort());
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export { isScalarExpr };

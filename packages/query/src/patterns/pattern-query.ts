// The patterns query (Loki's /loki/api/v1/patterns): mines the lines a log query selects, newest first, under a
// line budget, one miner per level, and answers Loki's shape with per-step samples.

import { MeshlogError, levelOf, type LogRecord } from "@meshlog/core";
import type { StoredEntry, StreamInfo } from "@meshlog/storage";
import { QueryErrors } from "../errors.js";
import type { QueryEngine } from "../executor/query-engine.js";
import { metadataOf } from "../executor/query-context.js";
import { LabelsBuilder } from "../pipeline/labels-builder.js";
import { compilePipeline } from "../pipeline/log-pipeline.js";
import { PatternMiner, type PatternMinerOptions } from "./pattern-miner.js";

export interface PatternsRequest {
  readonly tenant: string;
  /** A log query: stream selector, optionally with line filters and other pipeline stages. */
  readonly query: string;
  /** Inclusive range, ns. */
  readonly start: bigint;
  readonly end: bigint;
  /** Sample bucket width, ns (at least 1 ms). */
  readonly step: bigint;
  /** Most lines mined; the newest lines of the range are mined first. */
  readonly maxLines: number;
  /** Most patterns returned (default 300, like Loki). */
  readonly limit?: number;
  /** The principal's read scope, ANDed into the selector. */
  readonly scope?: string;
  readonly signal?: AbortSignal;
  /** Miner tuning (the step comes from `step`). */
  readonly miner?: Partial<Omit<PatternMinerOptions, "stepNs">>;
}

/** One pattern as Loki answers it: samples are [unix seconds, lines] of non-empty steps, in time order. */
export interface PatternSeries {
  pattern: string;
  level: string;
  samples: [number, number][];
}

export interface PatternsResult {
  patterns: PatternSeries[];
  /** Lines mined. */
  lines: number;
  /** True when the line budget left out lines of the range (a line past the budget exists), not when exactly `maxLines` matched. */
  truncated: boolean;
}

export const DEFAULT_PATTERNS_LIMIT = 300;

const NS = 1_000_000_000n;
/** Most distinct levels mined apart (one miner each). */
const MAX_LEVELS = 16;

/** The level a line is mined under: the stream's `detected_level` or `level` label, else the record's severity. */
export function lineLevel(stream: Readonly<Record<string, string>>, r: LogRecord): string {
  return stream.detected_level ?? stream.level ?? levelOf(r.severityNumber);
}

export async function queryPatterns(engine: QueryEngine, req: PatternsRequest): Promise<PatternsResult> {
  engine.checkRange(req.start, req.end);
  if (req.step < 1_000_000n) {
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid step: the patterns step must be at least 1ms, got ${req.step}ns`);
  }
  const buckets = (req.end - req.start) / req.step + 1n;
  if (buckets > BigInt(engine.limits.maxPoints)) {
    throw new MeshlogError(
      QueryErrors.QUERY_LIMIT_POINTS,
      `invalid step: ${buckets} samples per pattern exceed the limit of ${engine.limits.maxPoints}; increase the step parameter`,
    );
  }
  if (!Number.isInteger(req.maxLines) || req.maxLines < 1) {
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid patterns line budget ${req.maxLines}: must be a positive integer`);
  }
  const limit = req.limit ?? DEFAULT_PATTERNS_LIMIT;
  const expr = engine.parse(req.query);
  if (expr.kind !== "log") {
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "invalid query: patterns need a log query (a stream selector, optionally with line filters)");
  }
  const ctx = engine.context(req.tenant, req.scope, req.signal);
  const pipeline = compilePipeline(expr.stages);
  const endExcl = req.end + 1n;
  const streams = await ctx.streams(expr.matchers, req.start, endExcl);
  const byId = new Map<string, StreamInfo>(streams.map((s) => [s.id, s]));
  const miners = new Map<string, PatternMiner>();
  const minerOptions = { ...req.miner, stepNs: req.step };
  let lines = 0;
  let truncated = false;
  await ctx.scan(
    streams,
    req.start,
    endExcl,
    "backward",
    pipeline.requiredSubstrings,
    (batch: readonly StoredEntry[]) => {
      for (const { streamId, record } of batch) {
        if (pipeline.prefilter !== undefined && !pipeline.prefilter(record.body)) continue;
        const info = byId.get(streamId);
        if (info === undefined) continue;
        let line = record.body;
        if (!pipeline.lineOnly) {
          const entry = { ts: record.timestamp, line, labels: new LabelsBuilder(info.labels, () => metadataOf(record, info.labels)) };
          if (!pipeline.process(entry)) continue;
          line = entry.line;
        }
        // The budget is full and one more line matched: lines were left out.
        if (lines >= req.maxLines) {
          truncated = true;
          return false;
        }
        ctx.postFilterLines++;
        let level = lineLevel(info.labels, record);
        // Levels come from labels: past MAX_LEVELS distinct values the rest share one miner.
        if (!miners.has(level) && miners.size >= MAX_LEVELS) level = "unknown";
        let miner = miners.get(level);
        if (miner === undefined) {
          miner = new PatternMiner(minerOptions);
          miners.set(level, miner);
        }
        miner.add(line, record.timestamp);
        lines++;
      }
      return true;
    },
    // One line past the budget is read so truncation is reported only when lines were really left out.
    expr.stages.length === 0 ? req.maxLines + 1 : undefined,
  );
  return { patterns: collect(miners, limit), lines, truncated };
}

/** Merges templates of equal text and level (a template can generalize into another), sorts by lines, cuts to `limit`. */
function collect(miners: ReadonlyMap<string, PatternMiner>, limit: number): PatternSeries[] {
  const merged = new Map<string, { pattern: string; level: string; total: number; buckets: Map<bigint, number> }>();
  for (const [level, miner] of miners) {
    for (const p of miner.templates()) {
      if (p.pattern.trim() === "") continue;
      const key = `${level}\u0000${p.pattern}`;
      let m = merged.get(key);
      if (m === undefined) {
        m = { pattern: p.pattern, level, total: 0, buckets: new Map() };
        merged.set(key, m);
      }
      m.total += p.count;
      for (const [t, n] of p.samples) m.buckets.set(t, (m.buckets.get(t) ?? 0) + n);
    }
  }
  return [...merged.values()]
    .sort((a, b) => b.total - a.total || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : a.level < b.level ? -1 : 1))
    .slice(0, limit)
    .map((m) => ({
      pattern: m.pattern,
      level: m.level,
      samples: [...m.buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([t, n]): [number, number] => [Number(t / NS) + Number(t % NS) / 1e9, n]),
    }));
}

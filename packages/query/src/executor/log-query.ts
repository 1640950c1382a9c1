// Log query execution: select streams, scan in time order, run the pipeline, group into result streams.

import type { StoredEntry, StreamInfo } from "@meshlog/storage";
import type { LogExpr } from "../language/ast.js";
import { compilePipeline } from "../pipeline/log-pipeline.js";
import { LabelsBuilder } from "../pipeline/labels-builder.js";
import { metadataOf, type QueryContext } from "./query-context.js";
import type { Direction, StreamResult, StreamValue } from "./query-types.js";
import { labelsKey } from "./series-key.js";

export interface LogQueryParams {
  readonly start: bigint;
  readonly end: bigint;
  readonly limit: number;
  readonly direction: Direction;
  readonly interval?: bigint;
  readonly categorizeLabels?: boolean;
}

/** Runs a log query; returns result streams and the number of entries. Stops reading at `limit` entries. */
export async function runLogQuery(ctx: QueryContext, expr: LogExpr, p: LogQueryParams): Promise<{ streams: StreamResult[]; entries: number }> {
  const pipeline = compilePipeline(expr.stages);
  const streams = await ctx.streams(expr.matchers, p.start, p.end);
  const byId = new Map<string, StreamInfo>(streams.map((s) => [s.id, s]));
  const out = new Map<string, StreamResult & { lastTs?: bigint }>();
  let count = 0;
  if (p.limit <= 0) return { streams: [], entries: 0 };
  const prefilter = pipeline.prefilter;
  const lineOnly = pipeline.lineOnly;
  await ctx.scan(
    streams,
    p.start,
    p.end,
    p.direction,
    pipeline.requiredSubstrings,
    (batch: readonly StoredEntry[]) => {
      for (const { streamId, record } of batch) {
        if (prefilter !== undefined && !prefilter(record.body)) continue;
        const info = byId.get(streamId);
        if (info === undefined) continue;
        const lb = new LabelsBuilder(info.labels, () => metadataOf(record, info.labels));
        const entry = { ts: record.timestamp, line: record.body, labels: lb };
        if (!lineOnly && !pipeline.process(entry)) continue;
        ctx.postFilterLines++;
        let stream: Record<string, string>;
        let extra: StreamValue[2] | undefined;
        if (p.categorizeLabels === true) {
          stream = { ...info.labels };
          const meta = lb.meta();
          const parsed = lb.parsed();
          const sm = Object.keys(meta).length > 0 ? meta : undefined;
          const ps = Object.keys(parsed).length > 0 ? parsed : undefined;
          if (sm !== undefined || ps !== undefined)
            extra = { ...(sm !== undefined ? { structuredMetadata: sm } : {}), ...(ps !== undefined ? { parsed: ps } : {}) };
        } else stream = lb.all();
        const key = labelsKey(stream);
        let s = out.get(key);
        if (s === undefined) {
          s = { stream, values: [] };
          out.set(key, s);
        }
        if (p.interval !== undefined && p.interval > 0n && s.lastTs !== undefined) {
          const gap = p.direction === "forward" ? entry.ts - s.lastTs : s.lastTs - entry.ts;
          if (gap < p.interval) continue;
        }
        s.lastTs = entry.ts;
        s.values.push(extra !== undefined ? [entry.ts.toString(), entry.line, extra] : [entry.ts.toString(), entry.line]);
        if (++count >= p.limit) return false;
      }
      return true;
    },
    expr.stages.length === 0 && p.interval === undefined ? p.limit : undefined,
  );
  return { streams: [...out.values()].map(({ stream, values }) => ({ stream, values })), entries: count };
}

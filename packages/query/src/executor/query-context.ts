// Per-query execution context: tenant, scope, deadline/cancellation, stream selection and store scans with stats.

import { MeshlogError, levelOf, type Clock, type LogRecord } from "@meshlog/core";
import { emptySelectStats, type LogStore, type SelectStats, type StoredEntry, type StreamInfo } from "@meshlog/storage";
import { QueryErrors } from "../errors.js";
import type { Matcher } from "../language/ast.js";
import { compileMatchers } from "../pipeline/label-filter.js";
import { sanitizeLabelName } from "../pipeline/labels-builder.js";
import type { QueryLimits, QueryStats } from "./query-types.js";

/**
 * Structured metadata of a record as labels: resource attributes, then record attributes (winning on clashes),
 * names sanitized to label syntax (`k8s.pod.name` -> `k8s_pod_name`); trace_id, span_id, detected_level.
 */
export function metadataOf(r: LogRecord, stream: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in r.resource) {
    const v = r.resource[k];
    if (v !== undefined && v !== "") out[sanitizeLabelName(k)] = v;
  }
  const a = r.attributes;
  for (const k in a) {
    const v = a[k];
    if (v !== undefined && v !== "") out[sanitizeLabelName(k)] = v;
  }
  if (r.traceId !== "") out.trace_id = r.traceId;
  if (r.spanId !== "") out.span_id = r.spanId;
  if (r.severityNumber > 0 && stream.detected_level === undefined) out.detected_level = levelOf(r.severityNumber);
  return out;
}

/** One metadata value of a record by label name (cheaper than building the whole metadata object). */
export function metadataValue(r: LogRecord, name: string, stream: Readonly<Record<string, string>>): string | undefined {
  if (name === "detected_level") return r.severityNumber > 0 && stream.detected_level === undefined ? levelOf(r.severityNumber) : r.attributes[name];
  if (name === "trace_id" && r.traceId !== "") return r.traceId;
  if (name === "span_id" && r.spanId !== "") return r.spanId;
  const direct = r.attributes[name];
  if (direct !== undefined) return direct;
  for (const k in r.attributes) if (k !== name && sanitizeLabelName(k) === name) return r.attributes[k];
  const res = r.resource[name];
  if (res !== undefined) return res;
  for (const k in r.resource) if (k !== name && sanitizeLabelName(k) === name) return r.resource[k];
  return undefined;
}

export class QueryContext {
  readonly store: LogStore;
  readonly tenant: string;
  readonly limits: QueryLimits;
  readonly selectStats: SelectStats = emptySelectStats();
  linesProcessed = 0;
  bytesProcessed = 0;
  postFilterLines = 0;
  readonly #scope: ((l: Readonly<Record<string, string>>) => boolean) | undefined;
  readonly #deadline: number;
  readonly #clock: Clock;
  readonly #signal: AbortSignal | undefined;
  readonly #startedMs: number;
  #streamCache = new Map<string, Promise<readonly StreamInfo[]>>();

  constructor(opts: {
    store: LogStore;
    tenant: string;
    limits: QueryLimits;
    scope: readonly Matcher[] | undefined;
    clock: Clock;
    signal: AbortSignal | undefined;
  }) {
    this.store = opts.store;
    this.tenant = opts.tenant;
    this.limits = opts.limits;
    this.#scope = opts.scope !== undefined && opts.scope.length > 0 ? compileMatchers(opts.scope) : undefined;
    this.#clock = opts.clock;
    this.#startedMs = opts.clock.nowMs();
    this.#deadline = this.#startedMs + opts.limits.timeoutMs;
    this.#signal = opts.signal;
  }

  /** Throws QUERY_CANCELED or QUERY_TIMEOUT when the query must stop. Called between batches and in long loops. */
  check(): void {
    if (this.#signal?.aborted === true) throw new MeshlogError(QueryErrors.QUERY_CANCELED, "the query was cancelled");
    if (this.#clock.nowMs() > this.#deadline) {
      throw new MeshlogError(
        QueryErrors.QUERY_TIMEOUT,
        `the query ran longer than the timeout of ${this.limits.timeoutMs / 1000}s (query.timeoutSeconds); narrow the time range or add filters`,
      );
    }
  }

  /** True when the labels are inside the principal's scope (always true without a scope). */
  inScope(labels: Readonly<Record<string, string>>): boolean {
    return this.#scope === undefined || this.#scope(labels);
  }

  /** Streams of the tenant overlapping [start, end) that match the matchers and the scope. */
  async streams(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<StreamInfo[]> {
    const key = `${start}:${end}`;
    let all = this.#streamCache.get(key);
    if (all === undefined) {
      all = this.store.streams(this.tenant, start, end);
      this.#streamCache.set(key, all);
    }
    const match = compileMatchers(matchers);
    return (await all).filter((s) => this.inScope(s.labels) && match(s.labels));
  }

  /** Scans records of the streams in [start, end) in order, calling onBatch; stops when it returns false. */
  async scan(
    streams: readonly StreamInfo[],
    start: bigint,
    end: bigint,
    direction: "forward" | "backward",
    requiredSubstrings: readonly string[],
    onBatch: (batch: readonly StoredEntry[]) => boolean | void,
    limit?: number,
  ): Promise<void> {
    if (streams.length === 0 || end <= start) return;
    this.check();
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    this.#signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const batch of this.store.select(
        {
          tenant: this.tenant,
          streamIds: streams.map((s) => s.id),
          start,
          end,
          direction,
          ...(requiredSubstrings.length > 0 ? { requiredSubstrings } : {}),
          ...(limit !== undefined ? { limit } : {}),
          signal: ac.signal,
        },
        this.selectStats,
      )) {
        this.linesProcessed += batch.length;
        for (const e of batch) this.bytesProcessed += e.record.body.length;
        if (onBatch(batch) === false) break;
        this.check();
      }
    } finally {
      ac.abort();
      this.#signal?.removeEventListener("abort", onAbort);
    }
    this.check();
  }

  stats(entriesReturned: number): QueryStats {
    const execTime = Math.max(0, this.#clock.nowMs() - this.#startedMs) / 1000;
    const s = this.selectStats;
    const per = (n: number): number => (execTime > 0 ? Math.round(n / execTime) : n);
    return {
      summary: {
        bytesProcessedPerSecond: per(this.bytesProcessed),
        linesProcessedPerSecond: per(this.linesProcessed),
        totalBytesProcessed: this.bytesProcessed,
        totalLinesProcessed: this.linesProcessed,
        totalEntriesReturned: entriesReturned,
        totalPostFilterLines: this.postFilterLines,
        execTime,
        queueTime: 0,
        subqueries: 0,
        shards: 0,
        splits: 0,
        totalStructuredMetadataBytesProcessed: 0,
      },
      querier: {
        store: {
          totalChunksRef: s.blocksTotal,
          totalChunksDownloaded: s.blocksScanned,
          chunksDownloadTime: 0,
          chunk: {
            headChunkBytes: 0,
            headChunkLines: s.headRecordsScanned,
            decompressedBytes: s.bytesDecompressed,
            decompressedLines: this.linesProcessed - s.headRecordsScanned,
            compressedBytes: 0,
            totalDuplicates: 0,
          },
          blocksPrunedByTime: s.blocksPrunedByTime,
          blocksPrunedByBloom: s.blocksPrunedByBloom,
        },
      },
    };
  }
}

// Requests, results and limits of the query engine (shapes follow Loki's HTTP API so the edge can pass them through).

import type { Clock, Logger } from "@meshlog/core";

/** Limits every query is held to (Loki's names in comments). */
export interface QueryLimits {
  /** max_entries_limit_per_query: the most lines one log query may return. */
  readonly maxEntries: number;
  /** max_query_series: the most series a metric query may return. */
  readonly maxSeries: number;
  /** max_query_length: longest [start, end] range, nanoseconds. */
  readonly maxQueryLengthNs: bigint;
  /** query_timeout, milliseconds. */
  readonly timeoutMs: number;
  /** Longest query text, characters. */
  readonly maxQueryChars: number;
  /** Most evaluation steps per series (Loki: 11,000 points). */
  readonly maxPoints: number;
  /** Memory bound: most (series x step) cells plus buffered samples one query may hold. */
  readonly maxSamples: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxEntries: 5000,
  maxSeries: 500,
  maxQueryLengthNs: 721n * 3600n * 1_000_000_000n,
  timeoutMs: 60_000,
  maxQueryChars: 128 * 1024,
  maxPoints: 11_000,
  maxSamples: 20_000_000,
};

export type Direction = "forward" | "backward";

export interface QueryRequest {
  readonly tenant: string;
  readonly query: string;
  /** Range queries: inclusive start and end (ns). Instant queries: start === end === evaluation time. */
  readonly start: bigint;
  readonly end: bigint;
  /** Present for range queries (query_range); absent for instant queries. */
  readonly step?: bigint;
  /** Log queries only: return at most one entry per interval. */
  readonly interval?: bigint;
  readonly limit: number;
  readonly direction: Direction;
  /** LogQL stream selector the principal is restricted to; ANDed into every selector. */
  readonly scope?: string;
  /** Return stream labels only, with metadata and parsed labels per entry (Loki's categorize-labels). */
  readonly categorizeLabels?: boolean;
  readonly signal?: AbortSignal;
}

/** Entry of a streams result: [ns timestamp string, line] or with categorized labels. */
export type StreamValue = [string, string] | [string, string, { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }];

export interface StreamResult {
  stream: Record<string, string>;
  values: StreamValue[];
}

export interface SeriesResult {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface SampleResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** Loki-shaped statistics of one query. */
export interface QueryStats {
  summary: {
    bytesProcessedPerSecond: number;
    linesProcessedPerSecond: number;
    totalBytesProcessed: number;
    totalLinesProcessed: number;
    totalEntriesReturned: number;
    totalPostFilterLines: number;
    execTime: number;
    queueTime: number;
    subqueries: number;
    shards: number;
    splits: number;
    totalStructuredMetadataBytesProcessed: number;
  };
  querier: {
    store: {
      totalChunksRef: number;
      totalChunksDownloaded: number;
      chunksDownloadTime: number;
      chunk: {
        headChunkBytes: number;
        headChunkLines: number;
        decompressedBytes: number;
        decompressedLines: number;
        compressedBytes: number;
        totalDuplicates: number;
      };
      blocksPrunedByTime: number;
      blocksPrunedByBloom: number;
    };
  };
}

export type QueryResult =
  | { resultType: "streams"; result: StreamResult[]; stats: QueryStats }
  | { resultType: "matrix"; result: SeriesResult[]; stats: QueryStats }
  | { resultType: "vector"; result: SampleResult[]; stats: QueryStats }
  | { resultType: "scalar"; result: [number, string]; stats: QueryStats };

export interface QueryEngineOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

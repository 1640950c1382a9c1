// The storage seam: what the server and the query engine need from a log store. Two implementations are
// planned: the embedded engine (this package) and ClickHouse (DESIGN §8). Keep it free of engine details.

import type { Labels, LogRecord } from "@meshlog/core";

/** A stream known to the store: tenant + label set, with the time range of its data. */
export interface StreamInfo {
  readonly tenant: string;
  readonly id: string;
  readonly labels: Labels;
  /** Earliest and latest record timestamp (ns) held for this stream, or 0n/0n when unknown. */
  readonly minTime: bigint;
  readonly maxTime: bigint;
}

/** What to read. Streams are chosen by the caller (the query layer evaluates label matchers). */
export interface SelectRequest {
  readonly tenant: string;
  readonly streamIds: readonly string[];
  /** Inclusive start, exclusive end, nanoseconds. */
  readonly start: bigint;
  readonly end: bigint;
  readonly direction: "forward" | "backward";
  /** Stop after this many records (undefined: no limit). */
  readonly limit?: number;
  /**
   * Substrings that every matching line must contain, compared case-insensitively (the literals of `|=`
   * filters, or values of exact attribute filters). Used only to prune blocks: blocks carry a TextBloom
   * (from @meshlog/core) over their bodies and attribute values, and a block is skipped when
   * `!bloom.mightContain(s)` for any of them. The caller still applies its filters to what comes back.
   */
  readonly requiredSubstrings?: readonly string[];
  readonly signal?: AbortSignal;
}

/** One record with its stream, as returned by select and tail. */
export interface StoredEntry {
  readonly streamId: string;
  readonly record: LogRecord;
}

/** Counters of the work a select did (reported in query stats). */
export interface SelectStats {
  blocksTotal: number;
  blocksScanned: number;
  blocksPrunedByTime: number;
  blocksPrunedByBloom: number;
  bytesDecompressed: number;
  headRecordsScanned: number;
  /** Blocks served from the engine's decrypted-block cache (a subset of blocksScanned; absent when the store has no cache). */
  blockCacheHits?: number;
}

export type TailListener = (entries: readonly StoredEntry[]) => void;

/** Summary of a store's size per tenant (for /metrics, index/stats and the UI). */
export interface StoreStats {
  readonly tenant: string;
  readonly streams: number;
  readonly blocks: number;
  readonly records: number;
  readonly storedBytes: number;
}

/** The interface every storage backend implements. All methods are tenant-scoped. */
export interface LogStore {
  /**
   * Appends records (all of one tenant). Resolves only once they are durable (fsynced) and visible to
   * select and tail. Rejects with STORAGE_BACKPRESSURE when the store cannot take more right now.
   */
  append(tenant: string, records: readonly LogRecord[]): Promise<void>;
  /** Streams of a tenant that hold data overlapping [start, end). */
  streams(tenant: string, start: bigint, end: bigint): Promise<readonly StreamInfo[]>;
  /** Records of the given streams in timestamp order (per direction), merged across streams, in batches. */
  select(req: SelectRequest, stats?: SelectStats): AsyncIterable<readonly StoredEntry[]>;
  /** Subscribes to records of a tenant as they are appended. Returns the unsubscribe function. */
  tail(tenant: string, listener: TailListener): () => void;
  /** Tenants that have data. */
  tenants(): Promise<readonly string[]>;
  stats(tenant: string): Promise<StoreStats>;
  /** Seals whatever is buffered in memory into durable blocks (used at shutdown and in tests). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function emptySelectStats(): SelectStats {
  return { blocksTotal: 0, blocksScanned: 0, blocksPrunedByTime: 0, blocksPrunedByBloom: 0, bytesDecompressed: 0, headRecordsScanned: 0 };
}

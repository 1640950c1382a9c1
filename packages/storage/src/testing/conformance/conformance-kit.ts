// Shared helpers of the LogStore conformance suite: fixtures, record builders, select collectors, bounded waits.

import type { Labels, LogRecord } from "@meshlog/core";
import type { LogStore, SelectRequest, SelectStats, StoredEntry, StreamInfo } from "../../contract.js";
import { testRecord } from "@meshlog/testkit";

/** A store under test, with the means to remove what it left behind (and, for persistent stores, to reopen it). */
export interface StoreFixture {
  readonly store: LogStore;
  /** Removes the store's data (temp folders, tables). Called after the store is closed. */
  cleanup(): Promise<void>;
  /**
   * Opens the same backing data again, after the suite has closed `store` (required when the suite runs with
   * `persistent: true`). The suite closes the returned store itself.
   */
  reopen?(): Promise<LogStore>;
}

export type MakeStore = () => Promise<StoreFixture>;

export interface ConformanceOptions {
  /** The store keeps its data across close() and reopen(): runs the restart cases (the fixture must provide reopen). */
  readonly persistent?: boolean;
  /** Extra time allowed per case, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** What a case receives. */
export interface CaseContext {
  readonly fixture: StoreFixture;
  readonly store: LogStore;
}

export interface ConformanceCase {
  readonly title: string;
  /** Runs only when the options allow (e.g. persistence). */
  readonly when?: (opts: ConformanceOptions) => boolean;
  run(c: CaseContext): Promise<void>;
}

/** 2023-11-14T22:13:20Z in nanoseconds: the base time of every case. */
export const T0 = 1_700_000_000_000_000_000n;
/** An end bound after every timestamp the suite writes. */
export const END = 2n ** 62n;

/** Builds a complete record; `extra` overrides any field. */
export function rec(tenant: string, labels: Labels, ts: bigint, body: string, extra: Partial<LogRecord> = {}): LogRecord {
  return testRecord({ tenant, labels, timestamp: ts, observedTimestamp: ts + 1000n, body, ...extra });
}

/** A label set's identity regardless of key order. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** All streams of a tenant over the whole time range. */
export function allStreams(store: LogStore, tenant: string): Promise<readonly StreamInfo[]> {
  return store.streams(tenant, 0n, END);
}

/** Stream id of the stream with these labels, as the store reports it; throws when the store does not list it. */
export async function idOf(store: LogStore, tenant: string, labels: Labels): Promise<string> {
  const s = (await allStreams(store, tenant)).find((x) => labelsKey(x.labels) === labelsKey(labels));
  if (s === undefined) throw new Error(`streams(${JSON.stringify(tenant)}) does not list the stream ${JSON.stringify(labels)}`);
  return s.id;
}

/** Runs a select to the end and returns every entry, checking that no batch is returned twice. */
export async function collect(store: LogStore, req: Partial<SelectRequest> & { tenant: string }, stats?: SelectStats): Promise<StoredEntry[]> {
  const streamIds = req.streamIds ?? (await allStreams(store, req.tenant)).map((s) => s.id);
  const full: SelectRequest = { start: 0n, end: END, direction: "forward", ...req, streamIds };
  const out: StoredEntry[] = [];
  for await (const batch of store.select(full, stats)) out.push(...batch);
  return out;
}

/** Bodies of entries, in order. */
export function bodies(entries: readonly StoredEntry[]): string[] {
  return entries.map((e) => e.record.body);
}

/** True when timestamps never decrease (forward) or never increase (backward). */
export function isOrdered(entries: readonly StoredEntry[], direction: "forward" | "backward"): boolean {
  for (let i = 1; i < entries.length; i++) {
    const a = (entries[i - 1] as StoredEntry).record.timestamp;
    const b = (entries[i] as StoredEntry).record.timestamp;
    if (direction === "forward" ? b < a : b > a) return false;
  }
  return true;
}

/** Waits until cond() holds, yielding to the event loop; gives up after `maxMs` (bounded) and returns the last answer. */
export async function waitUntil(cond: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** A deterministic shuffle (so failures reproduce). */
export function shuffled<T>(xs: readonly T[], seed = 42): T[] {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// Merge of time-ordered sources (head buffers and blocks) into one ordered stream of entries, opened lazily.

import type { StoredEntry } from "../contract.js";

/** A run of entries sorted ascending by timestamp, loaded on demand. */
export interface EntrySource {
  readonly minTime: bigint;
  readonly maxTime: bigint;
  /** Entries in ascending timestamp order, already limited to the requested time range. */
  load(): Promise<readonly StoredEntry[]>;
}

interface Cursor {
  readonly entries: readonly StoredEntry[];
  idx: number;
  readonly order: number;
}

/** Binary heap of cursors keyed by their current entry's timestamp (min for forward, max for backward). */
class CursorHeap {
  readonly #a: Cursor[] = [];
  readonly #sign: number;
  constructor(forward: boolean) {
    this.#sign = forward ? 1 : -1;
  }
  get size(): number {
    return this.#a.length;
  }
  #ts(c: Cursor): bigint {
    return (c.entries[c.idx] as StoredEntry).record.timestamp;
  }
  #less(x: Cursor, y: Cursor): boolean {
    const a = this.#ts(x);
    const b = this.#ts(y);
    if (a !== b) return this.#sign > 0 ? a < b : a > b;
    return x.order < y.order;
  }
  top(): Cursor | undefined {
    return this.#a[0];
  }
  topTs(): bigint | undefined {
    const t = this.#a[0];
    return t === undefined ? undefined : this.#ts(t);
  }
  push(c: Cursor): void {
    const a = this.#a;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i] as Cursor, a[p] as Cursor)) break;
      [a[i], a[p]] = [a[p] as Cursor, a[i] as Cursor];
      i = p;
    }
  }
  /** Re-positions the top after its index advanced, or removes it when exhausted. */
  fixTop(): void {
    const a = this.#a;
    const t = a[0] as Cursor;
    if (t.idx >= t.entries.length) {
      const last = a.pop() as Cursor;
      if (a.length === 0) return;
      a[0] = last;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.#less(a[l] as Cursor, a[m] as Cursor)) m = l;
      if (r < a.length && this.#less(a[r] as Cursor, a[m] as Cursor)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m] as Cursor, a[i] as Cursor];
      i = m;
    }
  }
}

/**
 * Yields entries of all sources in timestamp order (ascending for forward, descending for backward),
 * in batches of `batchSize`, stopping after `limit` entries or when `signal` aborts. A source is loaded
 * only when the merge front reaches its time range, so a limited query touches few blocks; with
 * `prefetch` > 0 the loads of that many following sources start at the same time (for parallel block
 * scans; at most `prefetch` loads are wasted when the query stops early). Loads must not reject.
 */
export async function* mergeSources(
  sources: readonly EntrySource[],
  forward: boolean,
  limit: number | undefined,
  signal: AbortSignal | undefined,
  batchSize = 1000,
  prefetch = 0,
): AsyncGenerator<readonly StoredEntry[]> {
  const ordered = sources
    .map((s, order) => ({ s, order }))
    .sort((x, y) =>
      forward
        ? x.s.minTime < y.s.minTime
          ? -1
          : x.s.minTime > y.s.minTime
            ? 1
            : x.order - y.order
        : x.s.maxTime > y.s.maxTime
          ? -1
          : x.s.maxTime < y.s.maxTime
            ? 1
            : x.order - y.order,
    );
  const heap = new CursorHeap(forward);
  const started = new Map<number, Promise<readonly StoredEntry[]>>();
  let next = 0;
  let emitted = 0;
  let batch: StoredEntry[] = [];
  const max = limit ?? Number.POSITIVE_INFINITY;
  while (emitted < max) {
    // Open every source that could hold the next entry.
    while (next < ordered.length) {
      const cand = ordered[next] as { s: EntrySource; order: number };
      const front = heap.topTs();
      const reach = forward ? cand.s.minTime : cand.s.maxTime;
      if (front !== undefined && (forward ? reach > front : reach < front)) break;
      if (signal?.aborted === true) return;
      // Start the loads of the next `prefetch` sources too, so that they run while this one is awaited.
      for (let k = next; k < Math.min(ordered.length, next + 1 + prefetch); k++) {
        const o = ordered[k] as { s: EntrySource; order: number };
        if (started.has(k)) continue;
        const load = o.s.load();
        load.catch(() => undefined); // a prefetched load the query never reaches must not be an unhandled rejection
        started.set(k, load);
      }
      const entries = await (started.get(next) as Promise<readonly StoredEntry[]>);
      started.delete(next);
      next++;
      if (entries.length === 0) continue;
      heap.push({ entries: forward ? entries : entries.slice().reverse(), idx: 0, order: cand.order });
    }
    const top = heap.top();
    if (top === undefined) break;
    batch.push(top.entries[top.idx] as StoredEntry);
    top.idx++;
    heap.fixTop();
    emitted++;
    if (batch.length >= batchSize) {
      if (signal?.aborted === true) return;
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && signal?.aborted !== true) yield batch;
}

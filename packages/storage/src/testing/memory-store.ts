// A reference in-memory LogStore: the behaviour the embedded engine must match (used by tests of other layers).

import { streamIdOf, type LogRecord } from "@meshlog/core";
import type { LogStore, SelectRequest, SelectStats, StoredEntry, StoreStats, StreamInfo, TailListener } from "../contract.js";

interface MemStream {
  info: { tenant: string; id: string; labels: LogRecord["labels"]; minTime: bigint; maxTime: bigint };
  records: LogRecord[];
}

export class MemoryStore implements LogStore {
  readonly #streams = new Map<string, Map<string, MemStream>>();
  readonly #listeners = new Map<string, Set<TailListener>>();

  async append(tenant: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    let byId = this.#streams.get(tenant);
    if (byId === undefined) this.#streams.set(tenant, (byId = new Map()));
    const entries: StoredEntry[] = [];
    for (const r of records) {
      const id = streamIdOf(tenant, r.labels);
      let s = byId.get(id);
      if (s === undefined) {
        s = { info: { tenant, id, labels: r.labels, minTime: r.timestamp, maxTime: r.timestamp }, records: [] };
        byId.set(id, s);
      }
      s.records.push(r);
      if (r.timestamp < s.info.minTime) s.info.minTime = r.timestamp;
      if (r.timestamp > s.info.maxTime) s.info.maxTime = r.timestamp;
      entries.push({ streamId: id, record: r });
    }
    for (const l of this.#listeners.get(tenant) ?? []) l(entries);
  }

  async streams(tenant: string, start: bigint, end: bigint): Promise<readonly StreamInfo[]> {
    return [...(this.#streams.get(tenant)?.values() ?? [])].filter((s) => s.info.maxTime >= start && s.info.minTime < end).map((s) => ({ ...s.info }));
  }

  async *select(req: SelectRequest, stats?: SelectStats): AsyncIterable<readonly StoredEntry[]> {
    const byId = this.#streams.get(req.tenant);
    if (byId === undefined) return;
    const all: StoredEntry[] = [];
    for (const id of req.streamIds) {
      const s = byId.get(id);
      if (s === undefined) continue;
      for (const r of s.records) if (r.timestamp >= req.start && r.timestamp < req.end) all.push({ streamId: id, record: r });
    }
    if (stats !== undefined) stats.headRecordsScanned += all.length;
    const sign = req.direction === "forward" ? 1 : -1;
    all.sort((a, b) => (a.record.timestamp < b.record.timestamp ? -sign : a.record.timestamp > b.record.timestamp ? sign : 0));
    const limited = req.limit === undefined ? all : all.slice(0, req.limit);
    for (let i = 0; i < limited.length; i += 1000) {
      if (req.signal?.aborted === true) return;
      yield limited.slice(i, i + 1000);
    }
  }

  tail(tenant: string, listener: TailListener): () => void {
    let set = this.#listeners.get(tenant);
    if (set === undefined) this.#listeners.set(tenant, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async tenants(): Promise<readonly string[]> {
    return [...this.#streams.keys()];
  }

  async stats(tenant: string): Promise<StoreStats> {
    const s = [...(this.#streams.get(tenant)?.values() ?? [])];
    const records = s.reduce((n, x) => n + x.records.length, 0);
    return { tenant, streams: s.length, blocks: 0, records, storedBytes: 0 };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

// Tracks every source seen (receiver, tenant, service, host): totals, recent rates, errors and last-seen time.

import type { LogRecord } from "@meshlog/core";

export interface SourceStats {
  tenant: string;
  source: string;
  service: string;
  host: string;
  lines: number;
  bytes: number;
  errors: number;
  lastSeenMs: number;
  /** Exponentially weighted rates, per second. */
  linesPerSecond: number;
  bytesPerSecond: number;
}

interface Entry extends SourceStats {
  windowLines: number;
  windowBytes: number;
}

const TICK_MS = 5000;
const ALPHA = 0.3;

export class SourceTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #lastTick: number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#lastTick = now();
  }

  /** Records a stored batch (called after it is durable). */
  observe(tenant: string, records: readonly LogRecord[]): void {
    const now = this.#now();
    this.#tick(now);
    for (const r of records) {
      const source = r.labels.source ?? "";
      const service = r.labels.service ?? r.resource["service.name"] ?? "";
      const host = r.resource["host.name"] ?? r.labels.host ?? "";
      const key = `${tenant}\u0000${source}\u0000${service}\u0000${host}`;
      let e = this.#entries.get(key);
      if (e === undefined) {
        e = {
          tenant,
          source,
          service,
          host,
          lines: 0,
          bytes: 0,
          errors: 0,
          lastSeenMs: now,
          linesPerSecond: 0,
          bytesPerSecond: 0,
          windowLines: 0,
          windowBytes: 0,
        };
        this.#entries.set(key, e);
      }
      const size = r.body.length;
      e.lines++;
      e.bytes += size;
      e.windowLines++;
      e.windowBytes += size;
      if (r.severityNumber >= 17) e.errors++;
      e.lastSeenMs = now;
    }
  }

  /** All sources, busiest first. `silentAfterMs`: sources quiet for longer are flagged silent. */
  list(silentAfterMs = 5 * 60_000): (SourceStats & { silent: boolean })[] {
    const now = this.#now();
    this.#tick(now);
    return [...this.#entries.values()]
      .map(({ windowLines: _l, windowBytes: _b, ...s }) => ({ ...s, silent: now - s.lastSeenMs > silentAfterMs }))
      .sort((a, b) => b.linesPerSecond - a.linesPerSecond || b.lines - a.lines);
  }

  #tick(now: number): void {
    while (now - this.#lastTick >= TICK_MS) {
      for (const e of this.#entries.values()) {
        e.linesPerSecond = ALPHA * (e.windowLines / (TICK_MS / 1000)) + (1 - ALPHA) * e.linesPerSecond;
        e.bytesPerSecond = ALPHA * (e.windowBytes / (TICK_MS / 1000)) + (1 - ALPHA) * e.bytesPerSecond;
        e.windowLines = 0;
        e.windowBytes = 0;
      }
      this.#lastTick += TICK_MS;
      if (now - this.#lastTick > 10 * TICK_MS) this.#lastTick = now - TICK_MS; // long idle: decay quickly, no spin
    }
  }
}

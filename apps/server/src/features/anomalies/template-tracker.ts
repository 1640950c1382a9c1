// Template miners per stream, kept across runs in least-recently-active order: feeds each run's line sample to the
// stream's miner and returns the templates it had never seen, once the miner is past its warm-up.

import { PatternMiner } from "@meshlog/query";
import { newTemplateFindings, type Finding, type TemplateWarmth } from "./detectors.js";

export interface TemplateTrackerOptions {
  /** Streams with a miner; the least recently active one is evicted beyond it. */
  readonly maxStreams: number;
  readonly maxTemplatesPerStream: number;
  readonly warmupLines: number;
  readonly warmupRuns: number;
  readonly maxPerStream: number;
}

interface Entry {
  readonly miner: PatternMiner;
  warmth: TemplateWarmth;
}

/** Bounded: at most `maxStreams` miners of at most `maxTemplatesPerStream` templates, one sample bucket each. */
export class TemplateTracker {
  readonly #o: TemplateTrackerOptions;
  /** Key: tenant + stream id, least recently active first. */
  readonly #miners = new Map<string, Entry>();

  constructor(o: TemplateTrackerOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#miners.size;
  }

  /** Feeds one run's sample of a stream; returns the new templates (none while the miner warms up). */
  observe(tenant: string, streamId: string, sample: readonly { line: string; ts: bigint }[]): Finding[] {
    if (sample.length === 0) return [];
    const k = `${tenant}\u0000${streamId}`;
    let e = this.#miners.get(k);
    if (e === undefined) {
      e = {
        miner: new PatternMiner({ maxClusters: this.#o.maxTemplatesPerStream, maxSamplesPerTemplate: 1, stepNs: 3_600_000_000_000n, maxLineLength: 1024 }),
        warmth: { lines: 0, runs: 0 },
      };
      if (this.#miners.size >= this.#o.maxStreams) {
        const oldest = this.#miners.keys().next();
        if (oldest.done !== true) this.#miners.delete(oldest.value);
      }
    } else this.#miners.delete(k);
    this.#miners.set(k, e);
    const before = e.warmth;
    let maxIdBefore = 0;
    for (const t of e.miner.templates()) if (t.id > maxIdBefore) maxIdBefore = t.id;
    for (const s of sample) e.miner.add(s.line, s.ts);
    e.warmth = { lines: before.lines + sample.length, runs: before.runs + 1 };
    return newTemplateFindings(before, maxIdBefore, e.miner.templates(), this.#o);
  }

  /** Forgets the miners of a tenant's streams that are not in `keep`. */
  retain(tenant: string, keep: ReadonlySet<string>): void {
    const prefix = `${tenant}\u0000`;
    for (const k of [...this.#miners.keys()]) if (k.startsWith(prefix) && !keep.has(k.slice(prefix.length))) this.#miners.delete(k);
  }
}

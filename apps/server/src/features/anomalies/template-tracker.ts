// Template miners per stream, kept across runs in least-recently-active order: feeds each run's line sample to the
// stream's miner, returns the templates it had never seen once the miner is past its warm-up, and judges each known
// template's share of the sample against its baseline (a template that suddenly makes up much more of the stream).

import { PatternMiner } from "@meshlog/query";
import { EMPTY_BASELINE, type Baseline } from "./baseline.js";
import { newTemplateFindings, ratioStep, type BaselineParams, type Finding, type TemplateWarmth } from "./detectors.js";

export interface TemplateTrackerOptions {
  /** Streams with a miner; the least recently active one is evicted beyond it. */
  readonly maxStreams: number;
  readonly maxTemplatesPerStream: number;
  readonly warmupLines: number;
  readonly warmupRuns: number;
  readonly maxPerStream: number;
  /** Template shares: baseline parameters, and the sample size, lines and share a finding needs. */
  readonly share: BaselineParams & { readonly minSample: number; readonly minLines: number; readonly minRatio: number };
}

interface Entry {
  readonly miner: PatternMiner;
  warmth: TemplateWarmth;
  /** Share of the sample per template id (ids are those of this miner; kept in memory only). */
  readonly shares: Map<number, Baseline>;
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

  /** Feeds one run's sample of a stream; returns new templates (none while the miner warms up) and share spikes. */
  observe(tenant: string, streamId: string, sample: readonly { line: string; ts: bigint }[]): Finding[] {
    if (sample.length === 0) return [];
    const k = `${tenant}\u0000${streamId}`;
    let e = this.#miners.get(k);
    if (e === undefined) {
      e = {
        miner: new PatternMiner({ maxClusters: this.#o.maxTemplatesPerStream, maxSamplesPerTemplate: 1, stepNs: 3_600_000_000_000n, maxLineLength: 1024 }),
        warmth: { lines: 0, runs: 0 },
        shares: new Map(),
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
    const counts = new Map<number, number>();
    for (const s of sample) {
      const id = e.miner.add(s.line, s.ts);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    e.warmth = { lines: before.lines + sample.length, runs: before.runs + 1 };
    const templates = e.miner.templates();
    const out = newTemplateFindings(before, maxIdBefore, templates, this.#o);
    if (sample.length < this.#o.share.minSample) return out;
    const p = { ...this.#o.share, minTotal: this.#o.share.minSample, minBad: this.#o.share.minLines };
    const live = new Set<number>();
    for (const t of templates) {
      live.add(t.id);
      const b = e.shares.get(t.id) ?? EMPTY_BASELINE;
      const step = ratioStep(b, counts.get(t.id) ?? 0, sample.length, "template-spike", p);
      e.shares.set(t.id, step.next);
      // A template born in this run is the new-template detector's; its share has no history yet.
      if (step.finding !== undefined && t.id <= maxIdBefore) {
        const f = step.finding;
        const pattern = t.pattern.length > 300 ? t.pattern.slice(0, 300) + "…" : t.pattern;
        out.push({ ...f, message: `${f.message} of the sampled lines: ${pattern}`, details: { pattern: t.pattern.slice(0, 2000) } });
      }
    }
    for (const id of [...e.shares.keys()]) if (!live.has(id)) e.shares.delete(id);
    return out;
  }

  /** Forgets the miners of a tenant's streams that are not in `keep`. */
  retain(tenant: string, keep: ReadonlySet<string>): void {
    const prefix = `${tenant}\u0000`;
    for (const k of [...this.#miners.keys()]) if (k.startsWith(prefix) && !keep.has(k.slice(prefix.length))) this.#miners.delete(k);
  }
}

// Finds bursts of denied requests per principal or address in one pass over time-ordered audit events, in bounded memory.

/** A run of at least `count` denied requests of one principal or address, all within `windowMs` of the first. */
export interface DeniedBurst {
  readonly who: string;
  readonly from: string;
  readonly to: string;
  readonly denied: number;
}

interface Track {
  /** Times of the current candidate window (fewer than `count`: a full window opens a burst). */
  win: number[];
  open: { fromMs: number; toMs: number; denied: number } | undefined;
  lastMs: number;
}

/**
 * Streaming burst detector. Feed `add` in time order. A burst starts when `count` denials of one key fall within
 * `windowMs`, takes every further denial within `windowMs` of its first, and the next window starts after it.
 * Memory: fewer than `count` times per key, keys idle for longer than the window are closed and dropped, and at
 * most `maxListed` bursts are kept (all are counted), so hostile floods of denied requests cannot grow it.
 */
export class DeniedBursts {
  readonly #windowMs: number;
  readonly #count: number;
  readonly #maxListed: number;
  readonly #tracks = new Map<string, Track>();
  readonly #listed: DeniedBurst[] = [];
  #total = 0;
  #nowMs = -Infinity;

  constructor(windowMs: number, count: number, maxListed: number) {
    this.#windowMs = windowMs;
    this.#count = count;
    this.#maxListed = maxListed;
  }

  /** Times held across every key (for tests of the memory bound). */
  get held(): number {
    let n = 0;
    for (const t of this.#tracks.values()) n += t.win.length;
    return n;
  }

  add(who: string, ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.#nowMs = Math.max(this.#nowMs, ms);
    let t = this.#tracks.get(who);
    if (t === undefined) {
      if (this.#tracks.size >= 4096) this.#sweep();
      t = { win: [], open: undefined, lastMs: ms };
      this.#tracks.set(who, t);
    }
    t.lastMs = ms;
    if (t.open !== undefined) {
      if (ms - t.open.fromMs <= this.#windowMs) {
        t.open.denied++;
        t.open.toMs = ms;
        return;
      }
      this.#close(who, t);
    }
    t.win.push(ms);
    while (t.win.length > 0 && ms - (t.win[0] as number) > this.#windowMs) t.win.shift();
    if (t.win.length >= this.#count) {
      t.open = { fromMs: t.win[0] as number, toMs: ms, denied: t.win.length };
      t.win = [];
    }
  }

  /** Closes every open burst; returns the bursts listed (at most `maxListed`) and how many there were. */
  finish(): { bursts: DeniedBurst[]; total: number } {
    for (const [who, t] of this.#tracks) if (t.open !== undefined) this.#close(who, t);
    this.#tracks.clear();
    return { bursts: this.#listed, total: this.#total };
  }

  #close(who: string, t: Track): void {
    const o = t.open;
    if (o === undefined) return;
    t.open = undefined;
    this.#total++;
    if (this.#listed.length < this.#maxListed)
      this.#listed.push({ who, from: new Date(o.fromMs).toISOString(), to: new Date(o.toMs).toISOString(), denied: o.denied });
  }

  /** Drops keys idle for longer than the window (closing their bursts): they cannot extend or start one anymore. */
  #sweep(): void {
    for (const [who, t] of this.#tracks) {
      if (this.#nowMs - t.lastMs <= this.#windowMs) continue;
      this.#close(who, t);
      this.#tracks.delete(who);
    }
  }
}

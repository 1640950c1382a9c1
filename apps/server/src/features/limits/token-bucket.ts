// Token buckets (rate + burst) keyed by tenant, address or principal, with bounded memory.

/** Result of a take: allowed, or how long until enough tokens are back. */
export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * Keyed token buckets: each key starts full at `burst` and refills at `ratePerSecond`. At most `maxKeys`
 * keys are tracked; when full, the least recently used key is forgotten (it starts full again).
 */
export class KeyedTokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(opts: { ratePerSecond: number; burst: number; maxKeys?: number; nowMs: () => number }) {
    if (!(opts.ratePerSecond > 0) || !(opts.burst > 0)) throw new Error("BUG: token bucket needs a positive rate and burst");
    this.#rate = opts.ratePerSecond;
    this.#burst = opts.burst;
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#now = opts.nowMs;
  }

  /** Tokens available for a key right now. */
  available(key: string): number {
    return this.#refill(key).tokens;
  }

  /**
   * Takes `n` tokens. A request larger than the burst is allowed when the bucket is full (so a single
   * oversized batch is not refused forever) and leaves the bucket in debt.
   */
  take(key: string, n = 1): TakeResult {
    const b = this.#refill(key);
    if (b.tokens >= n || b.tokens >= this.#burst) {
      b.tokens -= n;
      return { ok: true };
    }
    const need = Math.min(n, this.#burst) - b.tokens;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(need / this.#rate)) };
  }

  /** Seconds until one token is available (0 when one is available now). */
  waitSeconds(key: string): number {
    const b = this.#refill(key);
    return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.#rate));
  }

  #refill(key: string): { tokens: number; atMs: number } {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next();
        if (oldest.done !== true) this.#buckets.delete(oldest.value);
      }
      b = { tokens: this.#burst, atMs: now };
    } else {
      this.#buckets.delete(key); // re-insert to keep LRU order
      b.tokens = Math.min(this.#burst, b.tokens + (Math.max(0, now - b.atMs) / 1000) * this.#rate);
      b.atMs = now;
    }
    this.#buckets.set(key, b);
    return b;
  }
}

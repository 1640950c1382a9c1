// Exponentially weighted baselines (mean and variance) with robust updates and scores, as plain data.

/** An exponentially weighted mean and variance of one series. Plain data: it is saved in the state file. */
export interface Baseline {
  /** Observations folded in so far. */
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

export const EMPTY_BASELINE: Baseline = { n: 0, mean: 0, variance: 0 };

/**
 * Folds `x` into the baseline. The weight is `max(alpha, 1/(n+1))`, so the first observations form a plain
 * average. When `clampSd` is given and the baseline has history, `x` is first clipped to `mean ± clampSd·sd`
 * (sd floored by `sdFloor`): one outlier moves the baseline by at most that much, so a spike does not hide the
 * next one (a robust, winsorized update). A lasting change still becomes the new normal after a few intervals.
 */
export function updateBaseline(b: Baseline, x: number, alpha: number, clampSd?: number, sdFloor = 0): Baseline {
  if (!Number.isFinite(x)) return b;
  if (b.n === 0) return { n: 1, mean: x, variance: 0 };
  let v = x;
  if (clampSd !== undefined && b.n >= 2) {
    const sd = Math.max(Math.sqrt(b.variance), sdFloor);
    v = Math.min(Math.max(x, b.mean - clampSd * sd), b.mean + clampSd * sd);
  }
  const a = Math.max(alpha, 1 / (b.n + 1));
  const diff = v - b.mean;
  const incr = a * diff;
  return { n: b.n + 1, mean: b.mean + incr, variance: (1 - a) * (b.variance + diff * incr) };
}

/** Deviations of `x` from the baseline mean, with the standard deviation floored by `sdFloor` (> 0). */
export function scoreOf(b: Baseline, x: number, sdFloor: number): number {
  return (x - b.mean) / Math.max(Math.sqrt(b.variance), sdFloor);
}

/** Poisson noise floor of a count baseline: sqrt(mean), at least 1. */
export function countSdFloor(b: Baseline): number {
  return Math.sqrt(Math.max(b.mean, 1));
}

/** Binomial noise floor of a ratio baseline for an interval of `total` events, at least `min`. */
export function ratioSdFloor(b: Baseline, total: number, min = 0.01): number {
  const p = Math.min(Math.max(b.mean, 0.001), 0.999);
  return Math.max(Math.sqrt((p * (1 - p)) / Math.max(total, 1)), min);
}

/** A baseline read back from the state file, or the empty one when the value is not a baseline. */
export function baselineOf(v: unknown): Baseline {
  if (v === null || typeof v !== "object") return EMPTY_BASELINE;
  const o = v as Record<string, unknown>;
  const ok = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
  if (!ok(o.n) || !ok(o.mean) || !ok(o.variance) || o.n < 0 || o.variance < 0) return EMPTY_BASELINE;
  return { n: Math.floor(o.n), mean: o.mean, variance: o.variance };
}

// The detectors as pure functions over counts: each takes the saved state and one interval's numbers and returns
// the next state and, when the interval is anomalous, a finding. The window scan feeds them (anomaly-service.ts).

import { ANOMALY_KINDS, type AnomalyKind } from "@meshlog/api";
import { countSdFloor, ratioSdFloor, scoreOf, updateBaseline, type Baseline } from "./baseline.js";

export { ANOMALY_KINDS, type AnomalyKind };

/** The detector (the `detector` stream label of an anomaly record) of each kind. */
export const DETECTOR_OF: Readonly<Record<AnomalyKind, string>> = {
  "volume-spike": "volume",
  "volume-drop": "volume",
  "error-ratio": "error-ratio",
  "new-template": "new-template",
  "template-spike": "template-share",
  silence: "silence",
  "mesh-5xx": "mesh",
  "upstream-connect-failure": "mesh",
  "tls-handshake-failure": "mesh",
  "auth-failure-burst": "auth",
};

/** What a detector found: `score` is in deviations from the baseline (or a multiple of the threshold). */
export interface Finding {
  readonly kind: AnomalyKind;
  readonly severity: "warn" | "error";
  readonly score: number;
  readonly baseline: number;
  readonly observed: number;
  readonly message: string;
  /** Extra facts (the template text, the key of a burst...). */
  readonly details?: Readonly<Record<string, string | number>>;
}

export interface Step<S> {
  readonly next: S;
  readonly finding?: Finding;
}

/** Shared thresholds of the baseline detectors. */
export interface BaselineParams {
  readonly alpha: number;
  readonly minHistory: number;
  readonly zThreshold: number;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number): string => `${round(x * 100, 1)}%`;

/**
 * Volume of a stream in one interval. Spike: count ≥ minCount and (count − mean)/sd ≥ z. Drop: the stream still
 * sends (count > 0; a full stop is the silence detector's), its baseline is ≥ minCount and the score is ≤ −z.
 * sd is floored by sqrt(mean) (Poisson noise). Nothing is reported before `minHistory` intervals.
 */
export function volumeStep(b: Baseline, count: number, p: BaselineParams & { readonly minCount: number }): Step<Baseline> {
  const next = updateBaseline(b, count, p.alpha, p.zThreshold, countSdFloor(b));
  if (b.n < p.minHistory) return { next };
  const z = scoreOf(b, count, countSdFloor(b));
  if (z >= p.zThreshold && count >= p.minCount) {
    return {
      next,
      finding: {
        kind: "volume-spike",
        severity: z >= 2 * p.zThreshold ? "error" : "warn",
        score: round(z),
        baseline: round(b.mean),
        observed: count,
        message: `volume spike: ${count} lines in the interval, usually ${round(b.mean, 1)}`,
      },
    };
  }
  if (z <= -p.zThreshold && count > 0 && b.mean >= p.minCount) {
    return {
      next,
      finding: {
        kind: "volume-drop",
        severity: "warn",
        score: round(z),
        baseline: round(b.mean),
        observed: count,
        message: `volume drop: ${count} lines in the interval, usually ${round(b.mean, 1)}`,
      },
    };
  }
  return { next };
}

export interface RatioParams extends BaselineParams {
  /** Intervals with fewer events neither update the baseline nor report. */
  readonly minTotal: number;
  readonly minBad: number;
  /** Absolute floor: a ratio below it is never reported. */
  readonly minRatio: number;
  /** Reported even while the baseline is cold (undefined: never while cold). */
  readonly coldRatio?: number;
}

/**
 * A ratio (bad/total) against its baseline: reported when ratio ≥ minRatio, bad ≥ minBad and either the baseline
 * is warm and (ratio − mean)/sd ≥ z (sd floored by the binomial noise sqrt(p(1−p)/total) and 0.01), or the baseline
 * is cold and ratio ≥ coldRatio. Used for a stream's error ratio, a service's 5xx ratio and a template's share of a
 * stream's lines.
 */
export function ratioStep(b: Baseline, bad: number, total: number, kind: "error-ratio" | "mesh-5xx" | "template-spike", p: RatioParams): Step<Baseline> {
  if (total < p.minTotal || total <= 0) return { next: b };
  const r = bad / total;
  const floor = ratioSdFloor(b, total);
  const next = updateBaseline(b, r, p.alpha, p.zThreshold, floor);
  const warm = b.n >= p.minHistory;
  const z = warm ? scoreOf(b, r, floor) : 0;
  const hot = warm ? z >= p.zThreshold : p.coldRatio !== undefined && r >= p.coldRatio;
  if (!hot || r < p.minRatio || bad < p.minBad) return { next };
  const what = kind === "mesh-5xx" ? "5xx ratio" : kind === "template-spike" ? "template share" : "error ratio";
  return {
    next,
    finding: {
      kind,
      severity: kind === "mesh-5xx" || (kind === "error-ratio" && r >= 0.5) ? "error" : "warn",
      score: round(warm ? z : r / Math.max(p.coldRatio ?? 1, 1e-9)),
      baseline: round(b.mean, 4),
      observed: round(r, 4),
      message: `${what} ${pct(r)} (${bad} of ${total}), usually ${warm ? pct(b.mean) : "unknown (no baseline yet)"}`,
    },
  };
}

/**
 * A count of failures (upstream connect failures, TLS handshake failures) per interval: reported when
 * count ≥ minCount and either the baseline is cold or (count − mean)/sd ≥ z (sd floored by sqrt(mean)).
 * Failures that are the usual background of a service stop being reported once they are its baseline.
 */
export function failureStep(
  b: Baseline,
  count: number,
  kind: "upstream-connect-failure" | "tls-handshake-failure",
  p: BaselineParams & { readonly minCount: number },
): Step<Baseline> {
  const floor = countSdFloor(b);
  const next = updateBaseline(b, count, p.alpha, p.zThreshold, floor);
  if (count < p.minCount) return { next };
  const warm = b.n >= p.minHistory;
  const z = scoreOf(b, count, floor);
  if (warm && z < p.zThreshold) return { next };
  const what = kind === "tls-handshake-failure" ? "TLS handshake failures" : "upstream connect failures";
  return {
    next,
    finding: {
      kind,
      severity: "error",
      score: round(warm ? z : count / p.minCount),
      baseline: round(b.mean),
      observed: count,
      message: `${count} ${what} in the interval, usually ${round(b.mean, 1)}`,
    },
  };
}

/** Silence state of a stream (plain data, saved). Times in ns as decimal text; the gap baseline in seconds. */
export interface SilenceState {
  readonly lastSeenNs: string;
  readonly gap: Baseline;
  /** Intervals in which the stream sent something. */
  readonly active: number;
  /** The current silence was already reported (cleared by the next line). */
  readonly reported: boolean;
}

export const EMPTY_SILENCE: SilenceState = { lastSeenNs: "0", gap: { n: 0, mean: 0, variance: 0 }, active: 0, reported: false };

/**
 * Folds an interval in which the stream sent `count` lines between `firstNs` and `lastNs` over `windowNs`: the
 * usual gap is an EWMA of max(first − previous last, window/count) in seconds.
 */
export function silenceObserve(s: SilenceState, count: number, firstNs: bigint, lastNs: bigint, windowNs: bigint, alpha: number): SilenceState {
  if (count <= 0) return s;
  const prev = BigInt(s.lastSeenNs);
  const across = prev > 0n && firstNs > prev ? Number(firstNs - prev) / 1e9 : 0;
  const within = Number(windowNs) / 1e9 / count;
  const last = lastNs > prev ? lastNs : prev;
  return { lastSeenNs: last.toString(), gap: updateBaseline(s.gap, Math.max(across, within), alpha), active: s.active + 1, reported: false };
}

/**
 * A steady stream (active in ≥ minHistory intervals) that has sent nothing for max(gapFactor × usual gap,
 * minSilence) is reported, once per silence.
 */
export function silenceCheck(
  s: SilenceState,
  nowNs: bigint,
  p: { readonly minHistory: number; readonly gapFactor: number; readonly minSilenceNs: bigint },
): Step<SilenceState> {
  const last = BigInt(s.lastSeenNs);
  if (s.reported || s.active < p.minHistory || last <= 0n || nowNs <= last) return { next: s };
  const quietS = Number(nowNs - last) / 1e9;
  const needS = Math.max(p.gapFactor * s.gap.mean, Number(p.minSilenceNs) / 1e9);
  if (quietS < needS) return { next: s };
  return {
    next: { ...s, reported: true },
    finding: {
      kind: "silence",
      severity: "warn",
      score: round(quietS / Math.max(s.gap.mean, 1e-3), 1),
      baseline: round(s.gap.mean),
      observed: round(quietS, 1),
      message: `no lines for ${Math.round(quietS)} s (usual gap ${round(s.gap.mean, 1)} s, last line ${new Date(Number(last / 1_000_000n)).toISOString()})`,
    },
  };
}

/** A burst: `count` events of one key in the interval at or above `threshold`. */
export function burstCheck(count: number, threshold: number, what: string): Finding | undefined {
  if (count < threshold) return undefined;
  return {
    kind: "auth-failure-burst",
    severity: "error",
    score: round(count / threshold),
    baseline: threshold,
    observed: count,
    message: `${count} ${what} in the interval (threshold ${threshold})`,
  };
}

/** Warm-up state of a stream's template miner. */
export interface TemplateWarmth {
  readonly lines: number;
  readonly runs: number;
}

/**
 * New templates of one run: those whose id is above the highest id known before the run (a miner's ids only
 * grow), reported only when the miner was warm before the run, most lines first, at most `maxPerStream`.
 */
export function newTemplateFindings(
  before: TemplateWarmth,
  maxIdBefore: number,
  templates: readonly { readonly id: number; readonly pattern: string; readonly count: number }[],
  p: { readonly warmupLines: number; readonly warmupRuns: number; readonly maxPerStream: number },
): Finding[] {
  if (before.lines < p.warmupLines || before.runs < p.warmupRuns) return [];
  return templates
    .filter((t) => t.id > maxIdBefore && t.pattern.trim() !== "")
    .sort((a, b) => b.count - a.count || a.id - b.id)
    .slice(0, p.maxPerStream)
    .map((t) => ({
      kind: "new-template" as const,
      severity: "warn" as const,
      score: 1,
      baseline: 0,
      observed: t.count,
      message: `new log template: ${t.pattern.length > 300 ? t.pattern.slice(0, 300) + "…" : t.pattern}`,
      details: { pattern: t.pattern.slice(0, 2000) },
    }));
}

// Table-driven tests of the detectors' pure functions: steady series then a spike gives one finding, noise gives
// none, warm-up is respected, and each threshold holds.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_BASELINE, baselineOf, scoreOf, updateBaseline, type Baseline } from "./baseline.js";
import { EMPTY_SILENCE, burstCheck, failureStep, newTemplateFindings, ratioStep, silenceCheck, silenceObserve, volumeStep, type Finding } from "./detectors.js";

const base = { alpha: 0.1, minHistory: 5, zThreshold: 4 };
/** Deterministic noise: a fixed pseudo-random walk around `mean` with amplitude `amp`. */
const noisy = (n: number, mean: number, amp: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.round(mean + amp * Math.sin(i * 1.7) * Math.cos(i * 0.3)));

/** Runs a series through a step function; returns the findings with the index they came at. */
function run<S>(init: S, series: readonly number[], step: (s: S, x: number) => { next: S; finding?: Finding }): { at: number; f: Finding }[] {
  let s = init;
  const out: { at: number; f: Finding }[] = [];
  series.forEach((x, i) => {
    const r = step(s, x);
    s = r.next;
    if (r.finding !== undefined) out.push({ at: i, f: r.finding });
  });
  return out;
}

describe("baseline", () => {
  test("the first observations form a plain average and the variance follows the spread", () => {
    let b: Baseline = EMPTY_BASELINE;
    for (const x of [10, 12, 8, 10]) b = updateBaseline(b, x, 0.1);
    assert.equal(b.n, 4);
    assert.ok(Math.abs(b.mean - 10) < 1e-9, `mean ${b.mean}`);
    assert.ok(b.variance > 1 && b.variance < 4, `variance ${b.variance}`);
  });

  test("a clamped update moves the mean by at most clampSd deviations", () => {
    let b: Baseline = EMPTY_BASELINE;
    for (const x of noisy(30, 100, 5)) b = updateBaseline(b, x, 0.1, 4, 10);
    const before = b.mean;
    const after = updateBaseline(b, 1_000_000, 0.1, 4, 10).mean;
    assert.ok(after - before <= 0.1 * 4 * Math.max(Math.sqrt(b.variance), 10) + 1e-9, `moved ${after - before}`);
    assert.ok(scoreOf(b, 1_000_000, 10) > 100);
  });

  test("non-finite observations are ignored and malformed saved baselines read as empty", () => {
    const b = updateBaseline({ n: 3, mean: 5, variance: 1 }, Number.NaN, 0.1);
    assert.deepEqual(b, { n: 3, mean: 5, variance: 1 });
    for (const bad of [null, 1, "x", [], { n: "3" }, { n: 1, mean: Infinity, variance: 0 }, { n: 1, mean: 1, variance: -1 }])
      assert.deepEqual(baselineOf(bad), EMPTY_BASELINE, JSON.stringify(bad));
    assert.deepEqual(baselineOf({ n: 2.7, mean: 1, variance: 0.5 }), { n: 2, mean: 1, variance: 0.5 });
  });
});

describe("volume detector", () => {
  const p = { ...base, minCount: 20 };
  const cases: { name: string; series: number[]; want: { at: number; kind: string }[] }[] = [
    {
      name: "a steady series then a spike gives one spike",
      series: [...noisy(20, 100, 8), 400, ...noisy(5, 100, 8)],
      want: [{ at: 20, kind: "volume-spike" }],
    },
    { name: "noise around the mean gives nothing", series: noisy(60, 100, 15), want: [] },
    { name: "a steady series then a drop gives one drop", series: [...noisy(20, 200, 10), 40, ...noisy(3, 200, 10)], want: [{ at: 20, kind: "volume-drop" }] },
    { name: "a full stop is left to the silence detector", series: [...noisy(20, 200, 10), 0], want: [] },
    { name: "a spike during warm-up is not reported", series: [100, 100, 100, 1000, 100, 100], want: [] },
    { name: "a spike below minCount is not reported", series: [...Array<number>(20).fill(1), 15], want: [] },
    { name: "a drop of a stream below minCount is not reported", series: [...Array<number>(20).fill(10), 1], want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = run(EMPTY_BASELINE, c.series, (b, x) => volumeStep(b, x, p));
      assert.deepEqual(
        got.map((g) => ({ at: g.at, kind: g.f.kind })),
        c.want,
      );
    });
  }

  test("a spike is not absorbed into the baseline, so the next spike is seen too", () => {
    const got = run(EMPTY_BASELINE, [...noisy(20, 100, 5), 500, 100, 500], (b, x) => volumeStep(b, x, p));
    assert.deepEqual(
      got.map((g) => g.at),
      [20, 22],
    );
    const f = got[0]?.f as Finding;
    assert.equal(f.observed, 500);
    assert.ok(f.baseline > 90 && f.baseline < 110, `baseline ${f.baseline}`);
    assert.ok(f.score >= 4);
  });
});

describe("ratio detector", () => {
  const p = { ...base, minTotal: 20, minBad: 5, minRatio: 0.05 };
  const steady = (n: number, errs: number): [number, number][] => Array.from({ length: n }, (_, i) => [errs + (i % 3), 200]);
  const cases: { name: string; series: [number, number][]; params?: Partial<typeof p> & { coldRatio?: number }; want: number[] }[] = [
    { name: "a steady error ratio then a jump gives one finding", series: [...steady(15, 2), [80, 200], ...steady(3, 2)], want: [15] },
    { name: "a steady ratio with noise gives nothing", series: steady(40, 4), want: [] },
    { name: "a jump below the absolute floor is not reported", series: [...steady(15, 0), [8, 200]], params: { minRatio: 0.05 }, want: [] },
    { name: "intervals below minTotal are ignored", series: [...steady(15, 2), [9, 10]], want: [] },
    {
      name: "during warm-up nothing is reported without a cold ratio",
      series: [
        [0, 200],
        [150, 200],
      ],
      want: [],
    },
    {
      name: "during warm-up a ratio above the cold ratio is reported",
      series: [
        [0, 200],
        [150, 200],
      ],
      params: { coldRatio: 0.5 },
      want: [1],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const q = { ...p, ...(c.params ?? {}) };
      let b = EMPTY_BASELINE;
      const at: number[] = [];
      c.series.forEach(([bad, total], i) => {
        const r = ratioStep(b, bad, total, "error-ratio", q);
        b = r.next;
        if (r.finding !== undefined) at.push(i);
      });
      assert.deepEqual(at, c.want);
    });
  }

  test("a template-share finding is a warning naming the share", () => {
    let b = EMPTY_BASELINE;
    for (let i = 0; i < 10; i++) b = ratioStep(b, 50, 100, "template-spike", p).next;
    assert.equal(ratioStep(b, 55, 100, "template-spike", p).finding, undefined);
    const r = ratioStep(b, 95, 100, "template-spike", p);
    assert.equal(r.finding?.severity, "warn");
    assert.match(r.finding?.message ?? "", /^template share 95% \(95 of 100\), usually 50%$/);
  });

  test("a mesh 5xx finding is an error with the observed ratio", () => {
    let b = EMPTY_BASELINE;
    for (let i = 0; i < 10; i++) b = ratioStep(b, 0, 100, "mesh-5xx", { ...p, coldRatio: 0.5 }).next;
    const r = ratioStep(b, 60, 100, "mesh-5xx", { ...p, coldRatio: 0.5 });
    assert.equal(r.finding?.kind, "mesh-5xx");
    assert.equal(r.finding?.severity, "error");
    assert.equal(r.finding?.observed, 0.6);
    assert.match(r.finding?.message ?? "", /5xx ratio 60% \(60 of 100\)/);
  });
});

describe("failure detector", () => {
  const p = { ...base, minCount: 5 };
  const cases: { name: string; series: number[]; want: number[] }[] = [
    { name: "zero failures then a burst gives one finding", series: [...Array<number>(10).fill(0), 30, 0, 0], want: [10] },
    { name: "a burst while cold is reported when above minCount", series: [0, 12], want: [1] },
    { name: "counts below minCount are never reported", series: [0, 4, 0, 4, 4, 4, 4], want: [] },
    { name: "a constant background stops being reported once it is the baseline", series: Array<number>(12).fill(8), want: [0, 1, 2, 3, 4] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = run(EMPTY_BASELINE, c.series, (b, x) => failureStep(b, x, "upstream-connect-failure", p));
      assert.deepEqual(
        got.map((g) => g.at),
        c.want,
      );
      for (const g of got) assert.equal(g.f.kind, "upstream-connect-failure");
    });
  }
});

describe("silence detector", () => {
  const S = 1_000_000_000n;
  const t0 = 1_700_000_000n * S;
  const p = { minHistory: 5, gapFactor: 5, minSilenceNs: 600n * S };
  const steady = (intervals: number): typeof EMPTY_SILENCE => {
    let s = EMPTY_SILENCE;
    for (let i = 0; i < intervals; i++) {
      const start = t0 + BigInt(i) * 60n * S;
      s = silenceObserve(s, 20, start + S, start + 58n * S, 60n * S, 0.1);
    }
    return s;
  };
  const lastEnd = (n: number): bigint => t0 + BigInt(n - 1) * 60n * S + 58n * S;

  test("a steady stream quiet for longer than minutes and gapFactor × gap is reported once", () => {
    const s = steady(10);
    assert.equal(s.active, 10);
    assert.ok(s.gap.mean >= 3 && s.gap.mean < 4, `gap ${s.gap.mean}`);
    assert.equal(silenceCheck(s, lastEnd(10) + 599n * S, p).finding, undefined);
    const r = silenceCheck(s, lastEnd(10) + 601n * S, p);
    assert.equal(r.finding?.kind, "silence");
    assert.equal(r.finding?.observed, 601);
    assert.equal(silenceCheck(r.next, lastEnd(10) + 900n * S, p).finding, undefined, "reported once per silence");
    const resumed = silenceObserve(r.next, 1, lastEnd(10) + 1000n * S, lastEnd(10) + 1000n * S, 60n * S, 0.1);
    assert.equal(resumed.reported, false);
  });

  test("a stream with too little history is not reported", () => {
    assert.equal(silenceCheck(steady(3), lastEnd(3) + 3600n * S, p).finding, undefined);
  });

  test("a stream that usually sends every 30 minutes is judged by its own gap", () => {
    let s = EMPTY_SILENCE;
    for (let i = 0; i < 8; i++) {
      const at = t0 + BigInt(i) * 1800n * S;
      s = silenceObserve(s, 1, at, at, 60n * S, 0.1);
    }
    const last = t0 + 7n * 1800n * S;
    assert.equal(silenceCheck(s, last + 3600n * S, p).finding, undefined, "one hour is less than 5 × 30 min");
    assert.equal(silenceCheck(s, last + 5n * 1800n * S + S, p).finding?.kind, "silence");
  });
});

describe("burst and new-template detectors", () => {
  test("bursts are reported at the threshold", () => {
    assert.equal(burstCheck(9, 10, "x"), undefined);
    const f = burstCheck(25, 10, "denied requests from 10.0.0.9");
    assert.equal(f?.kind, "auth-failure-burst");
    assert.equal(f?.score, 2.5);
  });

  test("new templates are reported only past warm-up, most lines first, capped", () => {
    const templates = [
      { id: 1, pattern: "old <_>", count: 100 },
      { id: 7, pattern: "new a <_>", count: 2 },
      { id: 8, pattern: "new b <_>", count: 5 },
      { id: 9, pattern: "  ", count: 9 },
      { id: 10, pattern: "new c", count: 1 },
    ];
    const p = { warmupLines: 100, warmupRuns: 3, maxPerStream: 2 };
    assert.deepEqual(newTemplateFindings({ lines: 99, runs: 5 }, 6, templates, p), []);
    assert.deepEqual(newTemplateFindings({ lines: 500, runs: 2 }, 6, templates, p), []);
    const got = newTemplateFindings({ lines: 500, runs: 3 }, 6, templates, p);
    assert.deepEqual(
      got.map((f) => f.details?.pattern),
      ["new b <_>", "new a <_>"],
    );
  });
});

#!/usr/bin/env node
// Pattern mining throughput: PatternMiner.add over generated labelled lines (Envoy, Linkerd, kubelet, HDFS, sshd,
// Apache, JSON, logfmt), compared with raw `line.split(" ")` over the same lines in the same run; also reports the
// grouping accuracy of the run. Prints one JSON object.
// Usage: node bench/patterns.mjs [--lines N] [--rounds R]   (needs `npx tsc -b packages/query` first;
// MESHLOG_BENCH_SCALE scales the default 100k lines).
import { PatternMiner, groupingAccuracy } from "../packages/query/dist/index.js";
import { generateFixtureLines } from "../packages/query/dist/patterns/testing/log-fixtures.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("lines", Math.round(100_000 * Number(process.env.MESHLOG_BENCH_SCALE ?? 1)));
const ROUNDS = arg("rounds", 3);

const labelled = generateFixtureLines(N);
const lines = labelled.map((l) => l.line);
const ts = labelled.map((l) => l.tsNs);
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);

const best = (fn) => {
  let bestMs = Infinity;
  let result;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    result = fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms < bestMs) bestMs = ms;
  }
  return { ms: bestMs, result };
};

// Baseline: whitespace split of every line (what the simplest tokenizer costs), keeping a checksum so it is not elided.
const split = best(() => {
  let tokens = 0;
  for (const l of lines) tokens += l.split(" ").length;
  return tokens;
});

let ids = [];
const mine = best(() => {
  const m = new PatternMiner();
  ids = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) ids[i] = m.add(lines[i], ts[i]);
  return m.size;
});

const rate = (ms) => Math.round((lines.length / ms) * 1000);
console.log(
  JSON.stringify({
    lines: lines.length,
    avgLineBytes: Math.round(bytes / lines.length),
    rounds: ROUNDS,
    templates: mine.result,
    groundTruthTemplates: new Set(labelled.map((l) => l.template)).size,
    groupingAccuracy: groupingAccuracy(
      ids,
      labelled.map((l) => l.template),
    ),
    minerLinesPerSec: rate(mine.ms),
    splitLinesPerSec: rate(split.ms),
    minerVsSplit: Number((split.ms / mine.ms).toFixed(4)),
    minerMBPerSec: Number((bytes / 1e6 / (mine.ms / 1000)).toFixed(1)),
    targetLinesPerSec: 100_000,
  }),
);

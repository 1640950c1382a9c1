// PatternMiner: grouping, wildcard merge, masking, sample buckets, memory bounds, hostile input and determinism.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { PatternMiner } from "./pattern-miner.js";
import { groupingAccuracy } from "./grouping-accuracy.js";
import { generateFixtureLines, seededRandom } from "./testing/log-fixtures.js";

const S = 1_000_000_000n;
const T0 = 1_750_000_000n * S;

test("lines of one template join one cluster whose differing words become <_>", () => {
  const m = new PatternMiner();
  const a = m.add("session opened for alice from 10.0.0.1", T0);
  const b = m.add("session opened for bob from 10.0.0.2", T0);
  const c = m.add("session opened for carol from 10.9.9.9", T0);
  assert.equal(a, b);
  assert.equal(b, c);
  assert.equal(m.templateOf(a), "session opened for <_> from <_>");
  const [p] = m.templates();
  assert.equal(p?.count, 3);
});

test("different templates stay apart", () => {
  const m = new PatternMiner();
  const lines = [
    "connection accepted from 10.0.0.1 port 22",
    "session closed for user alice",
    "connection accepted from 10.0.0.7 port 2222",
    "session closed for user bob",
    "disk /dev/sda1 is 91% full",
  ];
  const ids = lines.map((l) => m.add(l, T0));
  assert.equal(ids[0], ids[2]);
  assert.equal(ids[1], ids[3]);
  assert.equal(new Set(ids).size, 3);
  assert.deepEqual(
    m.templates().map((p) => [p.pattern, p.count]),
    [
      ["connection accepted from <_> port <_>", 2],
      ["session closed for user <_>", 2],
      ["disk /dev/sda1 is <_> full", 1],
    ],
  );
});

test("status=503 and status=200 become status=<_> in one template", () => {
  const m = new PatternMiner();
  const a = m.add("level=info method=GET path=/api status=503 duration=12ms", T0);
  const b = m.add("level=info method=GET path=/api status=200 duration=7ms", T0);
  assert.equal(a, b);
  assert.equal(m.templateOf(a), "level=info method=GET path=/api status=<_> duration=<_>");
});

test("UUIDs, hex ids, IPs, durations and timestamps are masked before clustering", () => {
  const m = new PatternMiner();
  const id = m.add("2025-06-15T10:00:00Z req 4d72b788-ef21-4486-aed8-e47eac5efd02 from 10.1.2.3:443 took 1.5s trace a3f2c1d4e5f6", T0);
  assert.equal(m.templateOf(id), "<_> req <_> from <_> took <_> trace <_>");
});

test("samples are counted per step bucket aligned to the step", () => {
  const m = new PatternMiner({ stepNs: 10n * S });
  for (let i = 0; i < 30; i++) m.add(`job ${i} done`, T0 + BigInt(i) * S);
  const [p] = m.templates();
  assert.deepEqual(p?.samples, [
    [T0, 10],
    [T0 + 10n * S, 10],
    [T0 + 20n * S, 10],
  ]);
});

test("the number of templates is capped; the least recently used one is evicted", () => {
  const m = new PatternMiner({ maxClusters: 3 });
  const shape = (k: number, v: string): string => `${"x ".repeat(k)}${v}`;
  const a = m.add(shape(1, "a"), T0);
  m.add(shape(2, "b"), T0);
  m.add(shape(3, "c"), T0);
  assert.equal(m.add(shape(1, "a"), T0), a); // touch a
  m.add(shape(4, "d"), T0); // evicts b, the least recently used
  assert.equal(m.size, 3);
  assert.equal(m.evicted, 1);
  assert.deepEqual(
    m
      .templates()
      .map((p) => p.pattern)
      .sort(),
    [shape(1, "a"), shape(3, "c"), shape(4, "d")].sort(),
  );
  // An evicted template starts over with a new id.
  const b2 = m.add(shape(2, "b"), T0);
  assert.ok(b2 > a);
});

test("memory stays bounded under a flood of distinct lines", () => {
  const m = new PatternMiner({ maxClusters: 50, maxSamplesPerTemplate: 4, stepNs: S });
  const rnd = seededRandom(3);
  const word = (): string => Math.floor(rnd() * 1e9).toString(36) + "q";
  for (let i = 0; i < 20_000; i++) {
    const n = 1 + Math.floor(rnd() * 8);
    m.add(Array.from({ length: n }, word).join(" "), T0 + BigInt(i) * S);
  }
  assert.ok(m.size <= 50);
  for (const p of m.templates()) assert.ok(p.samples.length <= 4);
});

test("hostile input: huge lines, 100k tokens, binary junk and empty lines are handled within bounds", () => {
  const m = new PatternMiner({ maxLineLength: 2048, maxTokens: 64 });
  const huge = "a".repeat(5_000_000);
  const many = Array.from({ length: 100_000 }, (_, i) => `t${i}`).join(" ");
  const idHuge = m.add(huge, T0);
  assert.equal(m.add(huge + "b", T0), idHuge);
  const idMany = m.add(many, T0);
  assert.ok((m.templateOf(idMany) ?? "").length <= 2048 + 3);
  let junk = "";
  const rnd = seededRandom(9);
  for (let i = 0; i < 10_000; i++) junk += String.fromCharCode(Math.floor(rnd() * 0xffff));
  m.add(junk, T0);
  const e1 = m.add("", T0);
  const e2 = m.add("", T0);
  assert.equal(e1, e2);
  assert.equal(m.templateOf(e1), "");
  assert.equal(m.lines, 6);
});

test("the same input gives the same templates and ids", () => {
  const lines = generateFixtureLines(500, 11);
  const run = (): [number[], string[]] => {
    const m = new PatternMiner();
    const ids = lines.map((l) => m.add(l.line, l.tsNs));
    return [ids, m.templates().map((p) => `${p.count} ${p.pattern}`)];
  };
  assert.deepEqual(run(), run());
});

test("lines that share a shape and prefix but never match are compared with a bounded number of templates", () => {
  // Hostile lines: same shape and leading words, random words after, so no two ever reach the similarity. Each
  // would be compared with every template of the leaf; the leaf keeps at most maxClustersPerLeaf of them.
  const m = new PatternMiner({ maxClustersPerLeaf: 16 });
  const rnd = seededRandom(9);
  const word = (): string =>
    "w" +
    Math.floor(rnd() * 1e9)
      .toString(36)
      .replace(/[0-9]/g, "x");
  for (let i = 0; i < 3000; i++) {
    m.add(`alpha beta ${Array.from({ length: 20 }, word).join(" ")}`, T0);
    // A real template of the same shape and prefix, seen all along, is not pushed out by the noise.
    if (i % 4 === 0) m.add(`alpha beta ${Array.from({ length: 19 }, () => "same").join(" ")} v${i}`, T0);
  }
  assert.ok(m.size <= 16, `templates held: ${m.size}`);
  const real = m.templates().find((p) => p.pattern.includes("same same"));
  assert.equal(real?.count, 750);
});

test("invalid options are refused with the option name", () => {
  for (const [opts, name] of [
    [{ depth: 2 }, "depth"],
    [{ similarity: 1.5 }, "similarity"],
    [{ maxClusters: 0 }, "maxClusters"],
    [{ maxClustersPerLeaf: 0 }, "maxClustersPerLeaf"],
    [{ stepNs: 1n }, "stepNs"],
    [{ maxTokens: 0.5 }, "maxTokens"],
  ] as const) {
    assert.throws(
      () => new PatternMiner(opts),
      (e: unknown) => e instanceof MeshlogError && e.code === "QUERY_PARAM_INVALID" && e.message.includes(name),
    );
  }
});

test("grouping accuracy on labelled mesh, kubelet, HDFS, sshd, Apache and JSON logs is at least 0.9", () => {
  const lines = generateFixtureLines(2000, 7);
  const truth = lines.map((l) => l.template);
  assert.ok(new Set(truth).size >= 30);
  const m = new PatternMiner();
  const ids = lines.map((l) => m.add(l.line, l.tsNs));
  const acc = groupingAccuracy(ids, truth);
  console.log(`grouping accuracy: ${acc.toFixed(4)} (${m.size} templates for ${new Set(truth).size} true templates, ${lines.length} lines)`);
  assert.ok(acc >= 0.9, `accuracy ${acc}`);
});

test("grouping accuracy metric counts a line only when its predicted group equals its true group", () => {
  assert.equal(groupingAccuracy([1, 1, 2, 2], ["a", "a", "b", "b"]), 1);
  // Over-merged: all four lines in one group, none correct.
  assert.equal(groupingAccuracy([1, 1, 1, 1], ["a", "a", "b", "b"]), 0);
  // Split: group a split in two; only the b lines are correct.
  assert.equal(groupingAccuracy([1, 3, 2, 2], ["a", "a", "b", "b"]), 0.5);
  assert.equal(groupingAccuracy([], []), 1);
  assert.throws(() => groupingAccuracy([1], []), RangeError);
});

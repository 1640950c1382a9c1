// Rule group parsing and validation: Prometheus rule-file YAML as cortextool and Grafana send it, and malformed,
// truncated, oversized and hostile bodies, each refused with the field named.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { QueryEngine } from "@meshlog/query";
import { MemoryStore } from "@meshlog/storage";
import { stringify } from "yaml";
import { MAX_GROUP_BYTES, parseRuleGroupText, ruleDurationNs } from "./rule-group.js";

const engine = new QueryEngine(new MemoryStore());
const parse = (text: string) => parseRuleGroupText(text, (q) => engine.parse(q));

const GOOD = `
name: payments
interval: 30s
rules:
  - alert: HighErrorRate
    expr: sum by (service) (count_over_time({namespace="payments"} |= "error" [5m])) > 10
    for: 2m
    labels:
      severity: page
      receiver: pager
      tier: 1
    annotations:
      summary: "{{ $labels.service }} logs {{ $value }} errors"
`;

test("a Prometheus rule-file group parses, keeping the text as written and turning YAML scalars into strings", () => {
  const g = parse(GOOD);
  assert.deepEqual(g, {
    name: "payments",
    interval: "30s",
    rules: [
      {
        alert: "HighErrorRate",
        expr: 'sum by (service) (count_over_time({namespace="payments"} |= "error" [5m])) > 10',
        for: "2m",
        labels: { severity: "page", receiver: "pager", tier: "1" },
        annotations: { summary: "{{ $labels.service }} logs {{ $value }} errors" },
      },
    ],
  });
  // JSON is YAML too, and a group survives a YAML round trip.
  assert.deepEqual(parse(JSON.stringify(g)), g);
  assert.deepEqual(parse(stringify(g)), g);
});

test("bad groups are refused with ALERT_RULE_INVALID naming the field", () => {
  const cases: [string, RegExp][] = [
    ["", /body: must be a rule group mapping/],
    ["- a\n- b", /body: must be a rule group mapping/],
    ["name: x\nrules: []", /rules: must be a non-empty list/],
    ["rules:\n  - alert: A\n    expr: vector(1)", /name: must be a non-empty string/],
    ["name: ''\nrules:\n  - alert: A\n    expr: vector(1)", /name: must be a non-empty string/],
    ["name: a/b\nrules:\n  - alert: A\n    expr: vector(1)", /name: must not contain \//],
    ["name: x\ninterval: soon\nrules:\n  - alert: A\n    expr: vector(1)", /interval: "soon" is not a duration/],
    ["name: x\ninterval: 10ms\nrules:\n  - alert: A\n    expr: vector(1)", /interval: must be at least 1s/],
    ["name: x\nrules:\n  - expr: vector(1)", /rules\[0\]\.alert: must be a non-empty string/],
    ["name: x\nrules:\n  - alert: 'bad name'\n    expr: vector(1)", /rules\[0\]\.alert: .* is not a valid alert name/],
    ["name: x\nrules:\n  - alert: A", /rules\[0\]\.expr: must be a non-empty LogQL metric query/],
    ['name: x\nrules:\n  - alert: A\n    expr: \'{app="x"} |= "error"\'', /rules\[0\]\.expr: must be a LogQL metric query/],
    ["name: x\nrules:\n  - alert: A\n    expr: 'sum(count_over_time({app=\"x\"}[5m])'", /rules\[0\]\.expr: /],
    ["name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    for: later", /rules\[0\]\.for: "later" is not a duration/],
    [
      "name: x\nrules:\n  - alert: A\n    expr: vector(1)\n  - alert: B\n    expr: vector(1)\n    labels: {'0bad': x}",
      /rules\[1\]\.labels\.0bad: is not a valid label name/,
    ],
    ["name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    labels: {alertname: x}", /rules\[0\]\.labels\.alertname: is set from the rule/],
    ["name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    labels: {a: [1]}", /rules\[0\]\.labels\.a: must be a string/],
    ["name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    annotations: [a]", /rules\[0\]\.annotations: must be a mapping/],
    ["name: x\nrules:\n  - record: r\n    expr: vector(1)", /rules\[0\]\.record: recording rules are not supported/],
    ["name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    keep_firing: 1m", /rules\[0\]\.keep_firing: unknown field/],
    ["name: x\nsource_tenants: [a]\nrules:\n  - alert: A\n    expr: vector(1)", /source_tenants: unknown field/],
    ["name: x\nlimit: 5\nrules:\n  - alert: A\n    expr: vector(1)", /limit: alert limits are not supported/],
    ["name: x\nname: y\nrules: []", /body: is not valid YAML/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parse(text),
      (e: unknown) => e instanceof MeshlogError && e.code === "ALERT_RULE_INVALID" && re.test(e.message),
      `${JSON.stringify(text)} should fail with ${re}`,
    );
  }
});

test("truncated bodies fail cleanly at any cut", () => {
  for (let cut = 0; cut < GOOD.length; cut += 7) {
    const text = GOOD.slice(0, cut);
    try {
      parse(text);
    } catch (e) {
      assert.ok(e instanceof MeshlogError && e.code === "ALERT_RULE_INVALID", `cut at ${cut}: ${(e as Error).message}`);
    }
  }
});

test("oversized and hostile bodies are refused without exhausting memory", () => {
  assert.throws(() => parse("name: x\n# " + "a".repeat(MAX_GROUP_BYTES)), /is larger than 1048576 bytes/);
  const many = { name: "x", rules: Array.from({ length: 101 }, (_, i) => ({ alert: `A${i}`, expr: "vector(1)" })) };
  assert.throws(() => parse(JSON.stringify(many)), /rules: has 101 rules; at most 100/);
  // Billion laughs: nested aliases expand exponentially; the YAML parser's alias budget stops it.
  const laughs = ["a: &a [x,x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i < 12; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(",")}]`,
    );
  assert.throws(() => parse(laughs.join("\n") + "\nname: x\nrules: []"), /ALERT_RULE_INVALID|invalid rule group/);
  // Deeply nested flow collections and a huge query are refused with the field named.
  assert.throws(() => parse("name: x\nrules: " + "[".repeat(5000) + "]".repeat(5000)), /invalid rule group/);
  assert.throws(() => parse(`name: x\nrules:\n  - alert: A\n    expr: '${"(".repeat(300)}vector(1)${")".repeat(300)}'`), /rules\[0\]\.expr/);
  assert.throws(
    () => parse("name: x\nrules:\n  - alert: A\n    expr: vector(1)\n    annotations: {a: '" + "x".repeat(20_000) + "'}"),
    /annotations\.a: is longer/,
  );
  assert.throws(() => parse("name: " + "n".repeat(300) + "\nrules:\n  - alert: A\n    expr: vector(1)"), /name: is longer than 256/);
  assert.throws(() => parse("name: x\nrules:\n  - alert: A\n    expr: vector(1)\n\u0000"), /invalid rule group/);
});

test("rule durations accept 0 and Prometheus units", () => {
  assert.equal(ruleDurationNs("0", "for"), 0n);
  assert.equal(ruleDurationNs("0s", "for"), 0n);
  assert.equal(ruleDurationNs("1h30m", "for"), 5_400_000_000_000n);
  assert.throws(() => ruleDurationNs("-1m", "for"), /for: "-1m" is not a duration/);
});

test("alerting error codes are registered once, prefixed ALERT_ and described", async () => {
  const { errorCatalog } = await import("@meshlog/core");
  const { AlertingErrors } = await import("./errors.js");
  const mine = [...errorCatalog()].filter(([, spec]) => spec.area === "server-alerting");
  assert.equal(mine.length, Object.keys(AlertingErrors).length);
  for (const [code, spec] of mine) {
    assert.match(code, /^ALERT_[A-Z_]+$/);
    assert.ok(spec.description.length > 10);
  }
});

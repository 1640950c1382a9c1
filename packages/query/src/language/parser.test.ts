// Parser, formatter and analyzer: canonical formatting, Loki error shapes, validation, and a round-trip property.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { parseExpr } from "./parser.js";
import { formatExpr } from "./formatter.js";
import { analyze } from "./analyzer.js";
import { RANGE_OPS, type Expr, type LabelFilterExpr, type LogExpr, type MetricExpr, type Stage } from "./ast.js";

const canonical: [string, string][] = [
  ['{app="a"}', '{app="a"}'],
  ['{ app = "a" , env =~ `prod|dev` }', '{app="a", env=~"prod|dev"}'],
  ['{app="a"} |= "x" or "y" != "z" |~ `a\\d` !~ "b" |> "<_> ok" !> "<_> bad"', '{app="a"} |= "x" or "y" != "z" |~ "a\\\\d" !~ "b" |> "<_> ok" !> "<_> bad"'],
  ['{app="a"} | json a="x.y", b | logfmt --strict --keep-empty c', '{app="a"} | json a="x.y", b | logfmt --strict --keep-empty c'],
  ['{app="a"} | status>=500, level="error" or dur > 5s', '{app="a"} | status>=500 and level="error" or dur>5s'],
  ['{app="a"} | status=200 | size <= 20MB | addr = ip("10.0.0.0/8")', '{app="a"} | status==200 | size<=20MB | addr=ip("10.0.0.0/8")'],
  ['{app="a"} | a="1" and (b="2" or c="3")', '{app="a"} | a="1" and (b="2" or c="3")'],
  [
    '{app="a"} | line_format "{{.a}}" | label_format x=y, z="{{.a}}" | drop a, b="c" | keep x | decolorize | unpack',
    '{app="a"} | line_format "{{.a}}" | label_format x=y, z="{{.a}}" | drop a, b="c" | keep x | decolorize | unpack',
  ],
  ['count_over_time({app="a"}[5m])', 'count_over_time({app="a"}[5m])'],
  ['count_over_time({app="a"}[5m] |= "x")', 'count_over_time({app="a"} |= "x" [5m])'],
  ['rate({app="a"} [1m] offset 1h)', 'rate({app="a"}[1m] offset 1h)'],
  ['sum(rate({app="a"}[1m])) by (level)', 'sum by (level) (rate({app="a"}[1m]))'],
  ['topk(5, sum without (pod) (rate({app="a"}[1m])))', 'topk(5, sum without (pod) (rate({app="a"}[1m])))'],
  [
    'quantile_over_time(0.99, {app="a"} | json | unwrap duration(latency) | __error__="" [5m]) by (path)',
    'quantile_over_time(0.99, {app="a"} | json | unwrap duration(latency) | __error__="" [5m]) by (path)',
  ],
  [
    'sum(rate({a="b"}[1m])) / on(x) group_left(y) sum(rate({a="c"}[1m])) > bool 0.5',
    'sum(rate({a="b"}[1m])) / on (x) group_left (y) sum(rate({a="c"}[1m])) > bool 0.5',
  ],
  ["1 + 2 * 3", "1 + 2 * 3"],
  ["(1 + 2) * 3", "(1 + 2) * 3"],
  ["2 ^ 3 ^ 2", "2 ^ 3 ^ 2"],
  ["(2 ^ 3) ^ 2", "(2 ^ 3) ^ 2"],
  ['label_replace(vector(1), "dst", "$1", "src", "(.*)")', 'label_replace(vector(1), "dst", "$1", "src", "(.*)")'],
  ['sum(count_over_time({a="b"}[1m])) or vector(0)', 'sum(count_over_time({a="b"}[1m])) or vector(0)'],
  ['# comment\n{a="b"}', '{a="b"}'],
];

test("format(parse(q)) produces the canonical text and is stable", () => {
  for (const [q, want] of canonical) {
    const got = formatExpr(parseExpr(q));
    assert.equal(got, want, q);
    assert.equal(formatExpr(parseExpr(got)), got, `not stable: ${q}`);
  }
});

const syntaxErrors: [string, RegExp][] = [
  ['{app="a"', /^parse error at line 1, col 9: syntax error: unexpected end of input/],
  ["{app=a}", /^parse error at line 1, col 6: syntax error: unexpected IDENTIFIER "a", expecting STRING/],
  ['{app="a"} | unwrap x', /col 13: syntax error: unexpected unwrap/],
  ["sum(", /^parse error at line 1, col 5: syntax error: unexpected end of input/],
  ['{app="a"} |= "unterminated', /unterminated string literal/],
  ['{app="a"}\n | json | ~', /^parse error at line 2, col 11: syntax error: unexpected character "~"/],
  ['count_over_time({app="a"})', /expecting "\["/],
  ['{app="a"} + 1', /a log query cannot be an operand/],
  ['{app="a"} | logfmt --fast', /unknown logfmt flag --fast/],
  ['rate({app="a"}[5x])', /unexpected literal "5x"/],
  ['{app="a"} |= "\\q"', /unknown escape sequence/],
  ["", /unexpected end of input/],
];

test("syntax errors name line and column in Loki's message shape", () => {
  for (const [q, re] of syntaxErrors) {
    assert.throws(
      () => parseExpr(q),
      (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_SYNTAX" && re.test(err.message),
      q,
    );
  }
});

const invalid: [string, RegExp][] = [
  ['{app=~".*"}', /at least one regexp or equality matcher that does not have an empty-compatible value/],
  ['{app=""}', /empty-compatible/],
  ['{app!="x"}', /empty-compatible/],
  ['sum_over_time({app="a"}[5m])', /invalid aggregation sum_over_time without unwrap/],
  ['count_over_time({app="a"} | unwrap x [5m])', /invalid aggregation count_over_time with unwrap/],
  ['count_over_time({app="a"}[5m]) by (x)', /grouping not allowed for count_over_time/],
  ['topk(0, rate({app="a"}[1m]))', /positive integer/],
  ["1 > 2", /comparisons between scalars must use BOOL modifier/],
  ['rate({app="a"}[1m]) and 1', /set operator "and" not allowed/],
  ['{app=~"(a"}', /invalid regular expression/],
  ["sum(1)", /expected a vector expression/],
  ['rate({app="a"}[0s])', /greater than zero/],
];

test("the analyzer rejects queries Loki rejects", () => {
  for (const [q, re] of invalid) {
    assert.throws(
      () => analyze(parseExpr(q)),
      (err: unknown) => err instanceof MeshlogError && re.test(err.message),
      q,
    );
  }
});

test("valid queries pass analysis", () => {
  for (const q of ['{app=~".+"}', '{app="a", env=~".*"}', 'rate({a="b"} | unwrap x [1m])', "1 > bool 2", 'absent_over_time({a="b"}[1m])'])
    analyze(parseExpr(q));
});

test("deep nesting is refused with QUERY_TOO_LARGE instead of overflowing the stack", () => {
  const deep = "(".repeat(5000) + "1" + ")".repeat(5000);
  assert.throws(
    () => parseExpr(deep),
    (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_TOO_LARGE",
  );
  const deepFilter = '{a="b"} | ' + "(".repeat(5000) + 'x="1"' + ")".repeat(5000);
  assert.throws(
    () => parseExpr(deepFilter),
    (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_TOO_LARGE",
  );
});

test("hostile and truncated inputs fail with a syntax error, never a crash", () => {
  const base = 'sum by (level) (count_over_time({app="a"} |= "x" | json | status >= 500 [5m])) / 2';
  for (let i = 0; i < base.length; i++) {
    try {
      parseExpr(base.slice(0, i));
    } catch (err) {
      assert.ok(err instanceof MeshlogError, `prefix ${i}: ${String(err)}`);
    }
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        parseExpr(s);
      } catch (err) {
        return err instanceof MeshlogError;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});

// ---- property: parse(format(ast)) deep-equals ast over generated ASTs ----

const name = fc.constantFrom("app", "env", "level", "status", "path", "x_1", "_y", "__error__");
const text = fc.string({ maxLength: 12, unit: "binary" });
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const matchOp = fc.constantFrom("=", "!=", "=~", "!~" as const);
const cmpOp = fc.constantFrom("==", "!=", ">", ">=", "<", "<=" as const);
const matchers = fc.array(fc.record({ name, op: matchOp, value: text }), { minLength: 1, maxLength: 3 });

const leaf: fc.Arbitrary<LabelFilterExpr> = fc.oneof(
  fc.record({ kind: fc.constant("string" as const), name, op: matchOp, value: text }),
  fc.record({ kind: fc.constant("number" as const), name, op: cmpOp, value: num }),
  fc.record({ kind: fc.constant("duration" as const), name, op: cmpOp, text: fc.constantFrom("5s", "1m30s", "250ms", "-2h") }),
  fc.record({ kind: fc.constant("bytes" as const), name, op: cmpOp, text: fc.constantFrom("20MB", "1KiB", "5b") }),
  fc.record({ kind: fc.constant("ip" as const), name, op: fc.constantFrom("=", "!=" as const), value: text }),
);
const labelFilter: fc.Arbitrary<LabelFilterExpr> = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({
      kind: fc.constantFrom("and", "or" as const),
      left: tie("expr") as fc.Arbitrary<LabelFilterExpr>,
      right: tie("expr") as fc.Arbitrary<LabelFilterExpr>,
    }),
  ),
})).expr;
const params = fc.array(
  fc.oneof(
    name.map((l) => ({ label: l, expr: l })),
    fc.record({ label: name, expr: text }),
  ),
  { maxLength: 2 },
);
const stage: fc.Arbitrary<Stage> = fc.oneof(
  fc.record({
    kind: fc.constant("lineFilter" as const),
    op: fc.constantFrom("|=", "!=", "|~", "!~", "|>", "!>" as const),
    values: fc.array(fc.oneof(fc.record({ kind: fc.constant("str" as const), value: text }), fc.record({ kind: fc.constant("ip" as const), value: text })), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({ kind: fc.constant("json" as const), params }),
  fc.record({ kind: fc.constant("logfmt" as const), strict: fc.boolean(), keepEmpty: fc.boolean(), params }),
  fc.record({ kind: fc.constant("pattern" as const), pattern: text }),
  fc.record({ kind: fc.constant("regexp" as const), pattern: text }),
  fc.constant({ kind: "unpack" as const }),
  fc.constant({ kind: "decolorize" as const }),
  fc.record({ kind: fc.constant("labelFilter" as const), expr: labelFilter }),
  fc.record({ kind: fc.constant("lineFormat" as const), template: text }),
  fc.record({
    kind: fc.constant("labelFormat" as const),
    items: fc.array(fc.oneof(fc.record({ dst: name, src: name }), fc.record({ dst: name, template: text })), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    kind: fc.constantFrom("drop", "keep" as const),
    items: fc.array(fc.oneof(fc.record({ name }), fc.record({ name, op: matchOp, value: text })), { minLength: 1, maxLength: 2 }),
  }),
);
// `| drop a != "x"` is a drop with a matcher in LogQL, so a bare drop/keep item followed by a `!=`/`!~` line
// filter has no text form; such stage sequences are excluded.
const ambiguous = (st: readonly Stage[]): boolean =>
  st.some(
    (x, i) =>
      (x.kind === "drop" || x.kind === "keep") &&
      x.items[x.items.length - 1]?.op === undefined &&
      st[i + 1]?.kind === "lineFilter" &&
      ["!=", "!~"].includes((st[i + 1] as { op: string }).op),
  );
const logExpr: fc.Arbitrary<LogExpr> = fc.record({
  kind: fc.constant("log" as const),
  matchers,
  stages: fc.array(stage, { maxLength: 4 }).filter((st) => !ambiguous(st)),
});
const grouping = fc.record({ without: fc.boolean(), labels: fc.array(name, { maxLength: 2 }) });
const rangeAgg: fc.Arbitrary<MetricExpr> = fc
  .record({
    op: fc.constantFrom(...RANGE_OPS),
    log: logExpr,
    unwrap: fc.option(
      fc.record({ label: name, conv: fc.constantFrom("", "duration", "duration_seconds", "bytes" as const), post: fc.array(labelFilter, { maxLength: 2 }) }),
      { nil: undefined },
    ),
    range: fc.constantFrom("5m", "1h30m", "10s"),
    offset: fc.option(fc.constantFrom("1h", "5m"), { nil: undefined }),
    grouping: fc.option(grouping, { nil: undefined }),
    q: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ op, log, unwrap, range, offset, grouping: g, q }) => ({
    kind: "rangeAgg" as const,
    op,
    ...(op === "quantile_over_time" ? { param: q } : {}),
    range: { log, ...(unwrap !== undefined ? { unwrap } : {}), range, ...(offset !== undefined ? { offset } : {}) },
    ...(g !== undefined ? { grouping: g } : {}),
  }));
const metric: fc.Arbitrary<MetricExpr> = fc.letrec((tie) => ({
  m: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    rangeAgg,
    num.map((value) => ({ kind: "number" as const, value })),
    num.map((value) => ({ kind: "vector" as const, value })),
    fc
      .record({
        op: fc.constantFrom("sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "sort", "sort_desc" as const),
        g: fc.option(grouping, { nil: undefined }),
        k: fc.integer({ min: 1, max: 20 }),
        inner: tie("m") as fc.Arbitrary<MetricExpr>,
      })
      .map(({ op, g, k, inner }) => ({
        kind: "vectorAgg" as const,
        op,
        ...(op === "topk" || op === "bottomk" ? { param: k } : {}),
        ...(g !== undefined ? { grouping: g } : {}),
        inner,
      })),
    fc
      .record({
        kind: fc.constant("binary" as const),
        op: fc.constantFrom("or", "and", "unless", "==", "!=", ">", ">=", "<", "<=", "+", "-", "*", "/", "%", "^" as const),
        bool: fc.boolean(),
        left: tie("m") as fc.Arbitrary<MetricExpr>,
        right: tie("m") as fc.Arbitrary<MetricExpr>,
        matching: fc.option(fc.record({ on: fc.boolean(), labels: fc.array(name, { maxLength: 2 }) }), { nil: undefined }),
      })
      .map(({ matching, ...b }) => ({ ...b, ...(matching !== undefined ? { matching } : {}) })),
    fc.record({
      kind: fc.constant("labelReplace" as const),
      inner: tie("m") as fc.Arbitrary<MetricExpr>,
      dst: name,
      replacement: text,
      src: name,
      regex: text,
    }),
  ),
})).m;

/** fast-check builds null-prototype records; copy into plain objects so deepStrictEqual compares only data. */
function plain<T>(x: T): T {
  if (Array.isArray(x)) return x.map(plain) as T;
  if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])) as T;
  return x;
}

test("parse(format(ast)) deep-equals ast for generated ASTs", () => {
  fc.assert(
    fc.property(fc.oneof(logExpr as fc.Arbitrary<Expr>, metric as fc.Arbitrary<Expr>).map(plain), (ast) => {
      const text1 = formatExpr(ast);
      assert.deepStrictEqual(parseExpr(text1), ast, text1);
    }),
    { numRuns: 1500 },
  );
});

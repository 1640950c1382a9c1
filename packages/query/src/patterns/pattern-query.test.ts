// queryPatterns over a MemoryStore: selection, line filters, levels, scope, tenants, budget, steps and errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { MemoryStore } from "@meshlog/storage";
import { QueryEngine } from "../executor/query-engine.js";
import { queryPatterns, type PatternsRequest } from "./pattern-query.js";

const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;

function rec(tenant: string, sec: number, labels: Record<string, string>, body: string, severityNumber = 0): LogRecord {
  return {
    timestamp: T0 + BigInt(sec) * S,
    observedTimestamp: T0,
    severityNumber,
    severityText: "",
    body,
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant,
    labels,
  };
}

async function engine(): Promise<QueryEngine> {
  const store = new MemoryStore();
  const t1: LogRecord[] = [];
  for (let i = 0; i < 60; i++) {
    t1.push(rec("t1", i, { app: "api", env: "prod" }, `GET /orders/${i} status=${i % 7 === 0 ? 500 : 200} took ${i}ms`, 9));
    if (i % 3 === 0) t1.push(rec("t1", i, { app: "api", env: "prod" }, `payment declined for card ending ${1000 + i} reason=insufficient_funds`, 17));
    if (i % 2 === 0) t1.push(rec("t1", i, { app: "db", env: "dev", level: "debug" }, `checkpoint complete: wrote ${i} buffers (${i}.5%)`));
  }
  await store.append("t1", t1);
  await store.append("t2", [rec("t2", 5, { app: "api", env: "prod" }, "tenant two secret line 42")]);
  return new QueryEngine(store);
}

const base: PatternsRequest = { tenant: "t1", query: '{app="api"}', start: T0, end: T0 + 59n * S, step: 10n * S, maxLines: 100_000 };

test("patterns of the selected streams, most lines first, with level and per-step samples", async () => {
  const r = await queryPatterns(await engine(), base);
  assert.equal(r.lines, 80);
  assert.equal(r.truncated, false);
  assert.deepEqual(
    r.patterns.map((p) => [p.pattern, p.level]),
    [
      ["GET <_> status=<_> took <_>", "info"],
      ["payment declined for card ending <_> reason=insufficient_funds", "error"],
    ],
  );
  const get = r.patterns[0];
  assert.deepEqual(
    get?.samples,
    [0, 10, 20, 30, 40, 50].map((k) => [1_700_000_000 + k, 10]),
  );
  assert.equal(
    r.patterns.reduce((n, p) => n + p.samples.reduce((m, s) => m + s[1], 0), 0),
    80,
  );
});

test("line filters narrow the mined lines; stream labels give the level", async () => {
  const e = await engine();
  const r = await queryPatterns(e, { ...base, query: '{app="api"} |= "declined"' });
  assert.deepEqual(
    r.patterns.map((p) => p.pattern),
    ["payment declined for card ending <_> reason=insufficient_funds"],
  );
  const d = await queryPatterns(e, { ...base, query: '{env="dev"}' });
  assert.deepEqual(
    d.patterns.map((p) => [p.pattern, p.level]),
    [["checkpoint complete: wrote <_> buffers (<_>)", "debug"]],
  );
});

test("scope and tenant limit what is mined", async () => {
  const e = await engine();
  const scoped = await queryPatterns(e, { ...base, query: '{app=~".+"}', scope: '{env="dev"}' });
  assert.deepEqual(
    scoped.patterns.map((p) => p.level),
    ["debug"],
  );
  const other = await queryPatterns(e, { ...base, tenant: "t2", query: '{app="db"}' });
  assert.deepEqual(other.patterns, []);
  const t2 = await queryPatterns(e, { ...base, tenant: "t2" });
  assert.deepEqual(
    t2.patterns.map((p) => p.pattern),
    ["tenant two secret line <_>"],
  );
});

test("the line budget mines the newest lines first and reports truncation", async () => {
  const r = await queryPatterns(await engine(), { ...base, maxLines: 10 });
  assert.equal(r.lines, 10);
  assert.equal(r.truncated, true);
  const first = Math.min(...r.patterns.flatMap((p) => p.samples.map((s) => s[0])));
  assert.ok(first >= 1_700_000_050, `oldest sample ${first}`);
});

test("truncation is reported only when lines past the budget exist, not when exactly the budget matched", async () => {
  const e = await engine();
  // {app="api"} holds 80 lines (60 requests, 20 payment lines); the filtered query holds 20.
  const cases: [string, number, number, boolean][] = [
    ['{app="api"}', 80, 80, false],
    ['{app="api"}', 81, 80, false],
    ['{app="api"}', 79, 79, true],
    ['{app="api"} |= "payment"', 20, 20, false],
    ['{app="api"} |= "payment"', 19, 19, true],
    ['{app="api"} |= "no such line"', 1, 0, false],
  ];
  for (const [query, maxLines, lines, truncated] of cases) {
    const r = await queryPatterns(e, { ...base, query, maxLines });
    assert.equal(r.lines, lines, `${query} maxLines=${maxLines}`);
    assert.equal(r.truncated, truncated, `${query} maxLines=${maxLines}`);
  }
});

test("limit keeps the largest patterns", async () => {
  const r = await queryPatterns(await engine(), { ...base, query: '{app=~".+"}', limit: 1 });
  assert.equal(r.patterns.length, 1);
  assert.equal(r.patterns[0]?.pattern, "GET <_> status=<_> took <_>");
});

test("bad queries, steps and budgets are refused naming the parameter", async () => {
  const e = await engine();
  const bad: [Partial<PatternsRequest>, RegExp][] = [
    [{ query: "{app=" }, /./],
    [{ query: 'count_over_time({app="api"}[1m])' }, /invalid query/],
    [{ step: 1000n }, /invalid step/],
    [{ step: 1_000_000n }, /invalid step/],
    [{ maxLines: 0 }, /line budget/],
  ];
  for (const [over, re] of bad) {
    await assert.rejects(
      queryPatterns(e, { ...base, ...over }),
      (err: unknown) => err instanceof MeshlogError && re.test(err.message) && err.code.startsWith("QUERY_"),
      JSON.stringify(over, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
    );
  }
});

test("a high-cardinality level label cannot multiply the miners without bound", async () => {
  const store = new MemoryStore();
  const recs: LogRecord[] = [];
  for (let i = 0; i < 40; i++) recs.push(rec("t1", i, { app: "x", level: `lvl${i}` }, `worker ${i} finished batch`));
  await store.append("t1", recs);
  const r = await queryPatterns(new QueryEngine(store), { ...base, query: '{app="x"}' });
  const levels = new Set(r.patterns.map((p) => p.level));
  assert.ok(levels.size <= 17, `${levels.size} levels`);
  assert.ok(levels.has("unknown"));
  assert.equal(
    r.patterns.reduce((n, p) => n + p.samples.reduce((m, s) => m + s[1], 0), 0),
    40,
  );
});

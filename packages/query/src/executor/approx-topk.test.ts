// approx_topk (Loki 3.3+): parsing, validation (no grouping, positive k), instant-only evaluation.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { MemoryStore } from "@meshlog/storage";
import { analyze } from "../language/analyzer.js";
import { formatExpr } from "../language/formatter.js";
import { parseExpr } from "../language/parser.js";
import { QueryEngine } from "./query-engine.js";
import type { QueryRequest, QueryResult } from "./query-types.js";

const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;
/** Lines per path: the hand-computed answer of every query below. */
const COUNTS: Record<string, number> = { "/a": 5, "/b": 3, "/c": 8, "/d": 1, "/e": 8 };

async function engine(): Promise<QueryEngine> {
  const store = new MemoryStore();
  const recs: LogRecord[] = [];
  let sec = 0;
  for (const [path, n] of Object.entries(COUNTS)) {
    for (let i = 0; i < n; i++) {
      recs.push({
        timestamp: T0 + BigInt(sec++) * S,
        observedTimestamp: T0,
        severityNumber: 9,
        severityText: "",
        body: `GET ${path} 200`,
        attributes: {},
        resource: {},
        traceId: "",
        spanId: "",
        tenant: "t",
        labels: { app: "web", path },
      });
    }
  }
  await store.append("t", recs);
  return new QueryEngine(store, {});
}

const instant = (query: string): QueryRequest => ({ tenant: "t", query, start: T0 + 59n * S, end: T0 + 59n * S, limit: 100, direction: "backward" });
const vector = (r: QueryResult): [string, number][] => {
  assert.equal(r.resultType, "vector");
  return (r.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => [s.metric.path ?? "", Number(s.value[1])]);
};
const INNER = 'sum by (path) (count_over_time({app="web"}[1m]))';

test("approx_topk parses with its k parameter and formats back to the same text", () => {
  const q = `approx_topk(2, ${INNER})`;
  const e = parseExpr(q);
  analyze(e);
  assert.equal(e.kind, "vectorAgg");
  assert.equal(e.kind === "vectorAgg" ? e.param : undefined, 2);
  assert.equal(formatExpr(e), q);
});

const refused: [string, RegExp][] = [
  [`approx_topk(0, ${INNER})`, /approx_topk: the parameter must be a positive integer, got 0/],
  [`approx_topk(1.5, ${INNER})`, /positive integer, got 1.5/],
  [`approx_topk by (path) (2, ${INNER})`, /grouping not allowed for approx_topk aggregation/],
  [`approx_topk(2, ${INNER}) without (path)`, /grouping not allowed for approx_topk aggregation/],
  [`approx_topk(2, 3)`, /expected a vector expression/],
];

test("approx_topk with a bad k, a grouping or a scalar is refused like Loki refuses it", () => {
  for (const [q, re] of refused) {
    assert.throws(
      () => analyze(parseExpr(q)),
      (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_INVALID" && re.test(err.message),
      q,
    );
  }
});

test("malformed and hostile approx_topk texts are syntax errors, never crashes", () => {
  for (const q of [
    `approx_topk(${INNER})`,
    `approx_topk("2", ${INNER})`,
    "approx_topk(2,",
    "approx_topk",
    `approx_topk(2, ${INNER}`,
    `approx_topk(2 ${INNER})`,
    "approx_topk(" + "(".repeat(3000) + INNER + ")".repeat(3000) + ")",
  ]) {
    assert.throws(
      () => analyze(parseExpr(q)),
      (err: unknown) => err instanceof MeshlogError && (err.code === "QUERY_SYNTAX" || err.code === "QUERY_TOO_LARGE" || err.code === "QUERY_INVALID"),
      q.slice(0, 60),
    );
  }
});

test("an instant approx_topk returns the k largest series, largest first, equal to topk", async () => {
  const e = await engine();
  assert.deepEqual(vector(await e.query(instant(`approx_topk(1, ${INNER})`))).length, 1);
  const top3 = vector(await e.query(instant(`approx_topk(3, ${INNER})`)));
  assert.deepEqual(
    top3.map(([, v]) => v),
    [8, 8, 5],
    "hand-computed counts: /c and /e have 8 lines, /a 5",
  );
  assert.deepEqual(new Set(top3.slice(0, 2).map(([p]) => p)), new Set(["/c", "/e"]));
  assert.equal(top3[2]?.[0], "/a");
  const exact = vector(await e.query(instant(`topk(3, ${INNER})`)));
  assert.deepEqual(new Set(top3.map(([p]) => p)), new Set(exact.map(([p]) => p)));
  const all = vector(await e.query(instant(`approx_topk(100, ${INNER})`)));
  assert.deepEqual(
    all.map(([, v]) => v),
    [8, 8, 5, 3, 1],
    "k above the series count returns every series",
  );
  const series = vector(await e.query(instant('approx_topk(2, count_over_time({app="web"}[1m]))')));
  assert.deepEqual(
    series.map(([, v]) => v),
    [8, 8],
    "without an inner sum the stream series are ranked",
  );
});

test("approx_topk in a range query fails with Loki's instant-only error", async () => {
  const e = await engine();
  for (const q of [`approx_topk(2, ${INNER})`, `approx_topk(2, ${INNER}) * 2`, `sum(approx_topk(2, ${INNER}))`]) {
    await assert.rejects(
      e.query({ tenant: "t", query: q, start: T0, end: T0 + 60n * S, step: 10n * S, limit: 100, direction: "backward" }),
      (err: unknown) =>
        err instanceof MeshlogError &&
        err.code === "QUERY_INVALID" &&
        err.message === "approx_topk error: count min sketches are only supported on instant queries",
      q,
    );
  }
});

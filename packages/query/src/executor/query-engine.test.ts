// QueryEngine on known data (MemoryStore): every LogQL construct with expected results, limits, scope, hostile queries.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { MemoryStore, type LogStore, type SelectRequest } from "@meshlog/storage";
import { QueryEngine } from "./query-engine.js";
import type { QueryRequest, QueryResult } from "./query-types.js";

const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;

function rec(tenant: string, sec: number, labels: Record<string, string>, body: string, extra: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: T0 + BigInt(sec) * S,
    observedTimestamp: T0,
    severityNumber: 0,
    severityText: "",
    body,
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant,
    labels,
    ...extra,
  };
}

async function fixture(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const a: LogRecord[] = [];
  for (let i = 0; i < 60; i++) {
    const err = i % 4 === 0;
    a.push(
      rec(
        "t1",
        i,
        { app: "api", env: "prod", source: "native" },
        `level=${err ? "error" : "info"} status=${i % 10 === 0 ? 500 : 200} latency=${i}ms path=/p${i % 3}`,
        {
          severityNumber: err ? 17 : 9,
          attributes: { pod: `pod-${i % 2}`, "http.method": "GET" },
          resource: { "k8s.namespace.name": i < 30 ? "ns-a" : "ns-b" },
        },
      ),
    );
  }
  for (let i = 0; i < 30; i++)
    a.push(rec("t1", 2 * i, { app: "web", env: "dev" }, JSON.stringify({ level: "warn", msg: `hello ${i}`, dur: `${i}ms`, nested: { k: `v${i % 2}` } })));
  for (let i = 0; i < 10; i++) a.push(rec("t1", 5 * i, { app: "db", env: "prod" }, `\x1b[31mconn from 10.0.0.${i} ok\x1b[0m`));
  a.sort((x, y) => (x.timestamp < y.timestamp ? -1 : 1));
  await store.append("t1", a);
  await store.append(
    "t2",
    [0, 1, 2, 3, 4].map((i) => rec("t2", i, { app: "api", env: "prod" }, `secret t2 line ${i}`)),
  );
  await store.append("t3", [rec("t3", 1, { app: "evil" }, "a".repeat(200_000) + "!")]);
  return store;
}

const storePromise = fixture();
async function engine(limits = {}): Promise<QueryEngine> {
  return new QueryEngine(await storePromise, limits);
}

type Patch = { [K in keyof QueryRequest]?: QueryRequest[K] | undefined };
const strip = (o: Record<string, unknown>): QueryRequest => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as unknown as QueryRequest;
const logReq = (query: string, extra: Patch = {}): QueryRequest =>
  strip({ tenant: "t1", query, start: T0, end: T0 + 60n * S, step: S, limit: 1000, direction: "forward", ...extra });
const instant = (query: string, extra: Partial<QueryRequest> = {}): QueryRequest => ({
  tenant: "t1",
  query,
  start: T0 + 59n * S,
  end: T0 + 59n * S,
  limit: 100,
  direction: "backward",
  ...extra,
});

function lines(r: QueryResult): string[] {
  assert.equal(r.resultType, "streams");
  return (r.result as { values: [string, string][] }[]).flatMap((s) => s.values.map((v) => v[1]));
}

const logCases: [string, number][] = [
  ['{app="api"}', 60],
  ['{app="api"} |= "status=500"', 6],
  ['{app="api"} != "status=500"', 54],
  ['{app="api"} |~ `status=5\\d\\d`', 6],
  ['{app="api"} !~ `status=5\\d\\d`', 54],
  ['{app="api"} |= "status=500" or "latency=1ms"', 7],
  ['{app="api"} != "status=500" or "latency=1ms"', 53],
  ['{app="api"} | logfmt | status >= 500', 6],
  ['{app="api"} | logfmt | latency > 50ms', 9],
  ['{app="api"} | logfmt | level="error" and path="/p0"', 5],
  ['{app="api"} | logfmt | level="error" or status=500', 18],
  ['{app="api"} | logfmt | level=~"err.*", path!="/p0"', 10],
  ['{app="api"} | pod="pod-1"', 30],
  ['{app="api"} | http_method="GET"', 60],
  ['{app="api"} | detected_level="error"', 15],
  ['{app="api"} | k8s_namespace_name="ns-b"', 30],
  ['{app="web"} | json | nested_k="v1"', 15],
  ['{app="web"} | json d="dur" | d > 20ms', 9],
  ['{app="web"} | json | msg=~"hello 1.?"', 11],
  ['{app="db"} |= ip("10.0.0.0/30")', 4],
  ['{app="db"} != ip("10.0.0.0/30")', 6],
  ['{app="db"} | pattern "<_>conn from <ip> <_>" | ip = ip("10.0.0.5-10.0.0.7")', 3],
  ['{app="db"} | regexp "from (?P<ip>[0-9.]+)" | ip=~`10\\.0\\.0\\.[0-1]`', 2],
  ['{env="prod"}', 70],
  ['{app=~"api|web"} |= "hello 1"', 11],
  ['{app="api"} |> "<_> status=500 <_>"', 6],
  ['{app="api"} !> "<_> status=500 <_>"', 54],
  ['{app="api"} | logfmt | label_format lvl=level | lvl="error"', 15],
  ['{app="api"} | logfmt | drop level | level=""', 60],
  ['{app="web"} | logfmt --strict | __error__="LogfmtParserErr"', 30],
  ['{app="web"} | json | __error__=""', 30],
  ['{app="api"} | json | __error__="JSONParserErr"', 60],
  ['{app="api"} | json | drop __error__ | __error__=""', 60],
  ['{app="db"} | decolorize |~ "^conn from"', 10],
  ['{app="db"} |~ "^conn from"', 0],
  ['{app="api"} | logfmt | size > 1KB', 0],
];

test("log queries return the expected lines for every filter, parser and label filter", async () => {
  const e = await engine();
  for (const [q, want] of logCases) {
    const r = await e.query(logReq(q));
    assert.equal(lines(r).length, want, q);
  }
});

test("line_format, label_format templates and keep shape the output", async () => {
  const e = await engine();
  const r = await e.query(
    logReq('{app="api"} | logfmt | status != 200 | line_format "{{.path}} {{.latency | ToUpper}} {{ if eq .level \\"error\\" }}E{{ else }}I{{ end }}"', {
      limit: 2,
    }),
  );
  assert.deepEqual(lines(r), ["/p0 0MS E", "/p1 10MS I"]);
  const k = await e.query(logReq('{app="api"} | logfmt | keep status'));
  assert.deepEqual(
    (k.result as { stream: Record<string, string> }[]).map((s) => s.stream).sort((x, y) => (x.status! < y.status! ? -1 : 1)),
    [{ status: "200" }, { status: "500" }],
  );
  const f = await e.query(logReq('{app="api"} | logfmt | label_format combo="{{.level}}-{{.path}}" | line_format "{{.combo}}"', { limit: 1 }));
  assert.deepEqual(lines(f), ["error-/p0"]);
  const u = await e.query(logReq('{app="web"} | json | line_format "{{.nested_k | upper}}:{{ __timestamp__ | unixEpoch }}"', { limit: 1 }));
  assert.deepEqual(lines(u), [`V0:${T0 / S}`]);
});

test("limit and direction pick the newest or oldest lines", async () => {
  const e = await engine();
  assert.deepEqual(lines(await e.query(logReq('{app="api"} | logfmt | line_format "{{.latency}}"', { limit: 3, direction: "backward" }))), [
    "59ms",
    "58ms",
    "57ms",
  ]);
  assert.deepEqual(lines(await e.query(logReq('{app="api"} | logfmt | line_format "{{.latency}}"', { limit: 3, direction: "forward" }))), [
    "0ms",
    "1ms",
    "2ms",
  ]);
});

test("interval keeps at most one entry per interval and categorize-labels splits label kinds", async () => {
  const e = await engine();
  assert.equal(lines(await e.query(logReq('{app="api"} | keep app', { interval: 10n * S }))).length, 6);
  const c = await e.query(logReq('{app="api"} | logfmt', { limit: 1, categorizeLabels: true }));
  const s = (c.result as { stream: Record<string, string>; values: unknown[][] }[])[0];
  assert.deepEqual(s?.stream, { app: "api", env: "prod", source: "native" });
  const meta = s?.values[0]?.[2] as { structuredMetadata: Record<string, string>; parsed: Record<string, string> };
  assert.equal(meta.structuredMetadata.pod, "pod-0");
  assert.equal(meta.parsed.status, "500");
});

type Expected = [Record<string, string>, number][];
const metricCases: [string, Expected][] = [
  ['count_over_time({app="api"}[1m])', [[{ app: "api", env: "prod", source: "native" }, 60]]],
  [
    'sum by (level) (count_over_time({app="api"} | logfmt [1m]))',
    [
      [{ level: "error" }, 15],
      [{ level: "info" }, 45],
    ],
  ],
  [
    'sum by (pod) (count_over_time({app="api"}[1m]))',
    [
      [{ pod: "pod-0" }, 30],
      [{ pod: "pod-1" }, 30],
    ],
  ],
  [
    'sum by (detected_level) (count_over_time({app="api"}[1m]))',
    [
      [{ detected_level: "error" }, 15],
      [{ detected_level: "info" }, 45],
    ],
  ],
  [
    'sum by (level, detected_level) (count_over_time({app=~".+"} | drop __error__ [1m]))',
    [
      [{}, 40],
      [{ detected_level: "error" }, 15],
      [{ detected_level: "info" }, 45],
    ],
  ],
  ['sum(rate({app="api"}[1m]))', [[{}, 1]]],
  [
    'sum(bytes_over_time({app="api"} |= "status=500" [1m]))',
    [
      [
        {},
        [0, 10, 20, 30, 40, 50].reduce((n, i) => n + Buffer.byteLength(`level=${i % 4 === 0 ? "error" : "info"} status=500 latency=${i}ms path=/p${i % 3}`), 0),
      ],
    ],
  ],
  ['max_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0.059]]],
  ['min_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0]]],
  ['sum_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 1.77]]],
  ['avg_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0.0295]]],
  ['quantile_over_time(0.5, {app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0.0295]]],
  ['first_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0]]],
  ['last_over_time({app="api"} | logfmt | unwrap duration_seconds(latency) [1m]) by (app)', [[{ app: "api" }, 0.059]]],
  ['stddev_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, Math.sqrt((60 * 60 - 1) / 12) / 1000]]],
  ['stdvar_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, (60 * 60 - 1) / 12 / 1e6]]],
  ['rate_counter({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)', [[{ app: "api" }, 0.059 / 60]]],
  ['sum(rate({app="api"} | logfmt | unwrap duration(latency) [1m]))', [[{}, 1.77 / 60]]],
  ['topk(1, sum by (level) (count_over_time({app="api"} | logfmt [1m])))', [[{ level: "info" }, 45]]],
  ['bottomk(1, sum by (level) (count_over_time({app="api"} | logfmt [1m])))', [[{ level: "error" }, 15]]],
  ['sum(count_over_time({app="api"}[1m])) / sum(count_over_time({env="prod"}[1m]))', [[{}, 60 / 70]]],
  ['sum by (level) (count_over_time({app="api"} | logfmt [1m])) > 20', [[{ level: "info" }, 45]]],
  [
    'sum by (level) (count_over_time({app="api"} | logfmt [1m])) > bool 20',
    [
      [{ level: "error" }, 0],
      [{ level: "info" }, 1],
    ],
  ],
  [
    'sum by (level) (count_over_time({app="api"} | logfmt [1m])) * 2 - 10',
    [
      [{ level: "error" }, 20],
      [{ level: "info" }, 80],
    ],
  ],
  ['2 * sum(count_over_time({app="api"}[1m])) ^ 1', [[{}, 120]]],
  ['count_over_time({app="nope"}[1m]) or vector(0)', [[{}, 0]]],
  ['sum(count_over_time({app="api"}[1m])) and vector(1)', [[{}, 60]]],
  ['sum(count_over_time({app="api"}[1m])) unless vector(1)', []],
  ['absent_over_time({app="nope"}[1m])', [[{ app: "nope" }, 1]]],
  ['absent_over_time({app="api"}[1m])', []],
  [
    'label_replace(sum by (level) (count_over_time({app="api"} | logfmt [1m])), "sev", "S-$1", "level", "(.*)")',
    [
      [{ level: "error", sev: "S-error" }, 15],
      [{ level: "info", sev: "S-info" }, 45],
    ],
  ],
  [
    'sum by (level) (count_over_time({app="api"} | logfmt [1m])) / on (level) group_left sum by (level) (count_over_time({app="api"} | logfmt [1m]))',
    [
      [{ level: "error" }, 1],
      [{ level: "info" }, 1],
    ],
  ],
  [
    'sum by (env) (count_over_time({env=~".+"}[1m])) / ignoring (env) group_left sum(count_over_time({env=~".+"}[1m]))',
    [
      [{ env: "prod" }, 0.7],
      [{ env: "dev" }, 0.3],
    ],
  ],
  ['count(sum by (path) (count_over_time({app="api"} | logfmt [1m])))', [[{}, 3]]],
  ['avg(sum by (level) (count_over_time({app="api"} | logfmt [1m])))', [[{}, 30]]],
  ['max without (level) (sum by (level, app) (count_over_time({app="api"} | logfmt [1m])))', [[{ app: "api" }, 45]]],
  ['stddev(sum by (level) (count_over_time({app="api"} | logfmt [1m])))', [[{}, 15]]],
  ['count_over_time({app="api"}[10s] offset 10s)', [[{ app: "api", env: "prod", source: "native" }, 10]]],
  ['sum by (app) (count_over_time({app="api"} |= "status=500" | logfmt | status=500 [1m]))', [[{ app: "api" }, 6]]],
];

function samples(r: QueryResult): [Record<string, string>, number][] {
  assert.equal(r.resultType, "vector");
  return (r.result as { metric: Record<string, string>; value: [number, string] }[])
    .map((s) => [s.metric, Number(s.value[1])] as [Record<string, string>, number])
    .sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
}

test("metric queries compute the expected samples for every aggregation and operator", async () => {
  const e = await engine();
  for (const [q, want] of metricCases) {
    const got = samples(await e.query(instant(q)));
    const sorted = [...want].sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
    assert.equal(got.length, sorted.length, `${q}: ${JSON.stringify(got)}`);
    got.forEach(([m, v], i) => {
      assert.deepEqual(m, sorted[i]?.[0], q);
      assert.ok(Math.abs(v - (sorted[i]?.[1] ?? NaN)) < 1e-9, `${q}: got ${v}, want ${sorted[i]?.[1]}`);
    });
  }
});

test("one-to-one matching with several matches on one side is refused", async () => {
  const e = await engine();
  await assert.rejects(
    e.query(instant('sum by (env) (count_over_time({env=~".+"}[1m])) / ignoring (env) sum(count_over_time({env=~".+"}[1m]))')),
    /many-to-one matching must be explicit/,
  );
});

test("scalar queries return a scalar and sort_desc orders an instant vector", async () => {
  const e = await engine();
  const r = await e.query(instant("1 + 2 * 3"));
  assert.equal(r.resultType, "scalar");
  assert.equal(r.result[1], "7");
  const s = await e.query(instant('sort_desc(sum by (level) (count_over_time({app="api"} | logfmt [1m])))'));
  assert.deepEqual(
    (s.result as { metric: Record<string, string> }[]).map((x) => x.metric.level),
    ["info", "error"],
  );
  const a = await e.query(instant('sort(sum by (level) (count_over_time({app="api"} | logfmt [1m])))'));
  assert.deepEqual(
    (a.result as { metric: Record<string, string> }[]).map((x) => x.metric.level),
    ["error", "info"],
  );
});

test("range queries evaluate every step on aligned windows", async () => {
  const e = await engine();
  const r = await e.query({
    tenant: "t1",
    query: 'sum(count_over_time({app="api"}[10s]))',
    start: T0 + 9n * S,
    end: T0 + 59n * S,
    step: 10n * S,
    limit: 100,
    direction: "backward",
  });
  assert.equal(r.resultType, "matrix");
  const series = r.result as { metric: Record<string, string>; values: [number, string][] }[];
  assert.equal(series.length, 1);
  assert.deepEqual(
    series[0]?.values,
    [9, 19, 29, 39, 49, 59].map((s) => [Number(T0 / S) + s, "10"]),
  );
  const w = await e.query({
    tenant: "t1",
    query: 'count_over_time({app="web"}[5s])',
    start: T0,
    end: T0 + 10n * S,
    step: 5n * S,
    limit: 100,
    direction: "backward",
  });
  // web lines every 2 s: windows (T0-5,T0] (T0,T0+5] (T0+5,T0+10] hold 1, 2 and 3 lines.
  assert.deepEqual(
    (w.result as { values: [number, string][] }[])[0]?.values.map((v) => v[1]),
    ["1", "2", "3"],
  );
});

test("a scope hides every stream outside it and tenants never mix", async () => {
  const e = await engine();
  assert.equal(lines(await e.query(logReq('{app=~".+"}', { scope: '{env="prod"}' }))).length, 70);
  assert.equal(lines(await e.query(logReq('{app="web"}', { scope: '{env="prod"}' }))).length, 0);
  const m = samples(await e.query(instant('sum(count_over_time({app=~".+"}[1m]))', { scope: '{app="db"}' })));
  assert.deepEqual(m, [[{}, 10]]);
  assert.deepEqual(await e.labelValues({ tenant: "t1", name: "app", start: T0, end: T0 + 60n * S, scope: '{env="prod"}' }), ["api", "db"]);
  assert.deepEqual(await e.labels({ tenant: "t1", start: T0, end: T0 + 60n * S, scope: '{app="db"}' }), ["app", "env"]);
  assert.deepEqual(await e.series({ tenant: "t1", match: ['{app=~".+"}'], start: T0, end: T0 + 60n * S, scope: '{app="web"}' }), [{ app: "web", env: "dev" }]);
  assert.deepEqual(await e.indexStats({ tenant: "t1", query: '{app=~".+"}', start: T0, end: T0 + 60n * S, scope: '{app="web"}' }).then((s) => s.entries), 30);
  const v = await e.volume({ tenant: "t1", query: '{app=~".+"}', start: T0, end: T0 + 60n * S, scope: '{app="db"}' });
  assert.deepEqual(
    (v.result as { metric: Record<string, string> }[]).map((x) => x.metric),
    [{ app: "db" }],
  );
  const t1 = lines(await e.query(logReq('{app="api"}')));
  assert.ok(!t1.some((l) => l.includes("secret")));
  const t2 = lines(await e.query(logReq('{app="api"}', { tenant: "t2" })));
  assert.equal(t2.length, 5);
  assert.ok(t2.every((l) => l.startsWith("secret t2")));
  assert.throws(() => e.scopeMatchers('{app=~".*"}'), /empty-compatible/);
});

test("metadata endpoints describe labels, fields and volume", async () => {
  const e = await engine();
  const range = { tenant: "t1", start: T0, end: T0 + 60n * S };
  assert.deepEqual(await e.labels(range), ["app", "env", "source"]);
  assert.deepEqual(await e.labelValues({ ...range, name: "env" }), ["dev", "prod"]);
  assert.deepEqual(await e.labelValues({ ...range, name: "app", query: '{env="prod"}' }), ["api", "db"]);
  const stats = await e.indexStats({ ...range, query: '{app="api"}' });
  assert.equal(stats.streams, 1);
  assert.equal(stats.entries, 60);
  const vol = await e.volume({ ...range, query: '{env=~".+"}' });
  assert.deepEqual(
    (vol.result as { metric: Record<string, string> }[]).map((x) => x.metric.env),
    ["prod", "dev"],
  );
  const vr = await e.volume({ ...range, query: '{app="api"}', step: 30n * S });
  assert.equal(vr.resultType, "matrix");
  const df = await e.detectedFields({ ...range, query: '{app="api"}' });
  const byName = new Map(df.fields.map((f) => [f.label, f]));
  assert.equal(byName.get("latency")?.type, "duration");
  assert.equal(byName.get("status")?.type, "int");
  assert.deepEqual(byName.get("status")?.parsers, ["logfmt"]);
  assert.equal(byName.get("pod")?.parsers, null);
  assert.deepEqual((await e.detectedFieldValues({ ...range, query: '{app="api"}', name: "status" })).values, ["200", "500"]);
  const dl = await e.detectedLabels({ ...range, query: '{app=~".+"}' });
  assert.deepEqual(
    dl.detectedLabels.find((l) => l.label === "app"),
    { label: "app", cardinality: 3 },
  );
});

const limitCases: [string, Patch, Record<string, unknown>, string, RegExp][] = [
  [
    "limit over max entries",
    { limit: 6000 },
    {},
    "QUERY_LIMIT_ENTRIES",
    /max entries limit per query exceeded, limit > max_entries_limit \(6000 > 5000\).*query\.maxEntries/,
  ],
  ["a 1 MB query", { query: `{app="api"} |= "${"x".repeat(1 << 20)}"` }, {}, "QUERY_TOO_LARGE", /characters long/],
  ["a huge time range", { start: 0n }, {}, "QUERY_LIMIT_LENGTH", /exceeds the limit/],
  ["too many series", { query: 'count_over_time({env=~".+"}[1m])' }, { maxSeries: 2 }, "QUERY_LIMIT_SERIES", /maximum of series \(2\)/],
  ["too many steps", { query: 'count_over_time({app="api"}[1m])', step: 1_000_000n }, {}, "QUERY_LIMIT_POINTS", /maximum resolution of 11,000 points/],
  [
    "a memory bound",
    { query: 'max_over_time({app="api"} | logfmt | unwrap duration(latency) [1m]) by (app)' },
    { maxSamples: 10 },
    "QUERY_LIMIT_POINTS",
    /samples in memory/,
  ],
  [
    "a pipeline error in a metric query",
    { query: 'count_over_time({app="web"} | logfmt --strict [1m])' },
    {},
    "QUERY_PIPELINE_ERROR",
    /pipeline error: 'LogfmtParserErr'/,
  ],
  [
    "an unwrap of a non-number",
    { query: 'sum_over_time({app="api"} | logfmt | unwrap latency [1m]) by (app)' },
    {},
    "QUERY_PIPELINE_ERROR",
    /SampleExtractionErr/,
  ],
  ["an instant log query", { query: '{app="api"}', step: undefined, start: T0, end: T0 }, {}, "QUERY_INVALID", /not supported as an instant query/],
  ["an invalid regex", { query: '{app="api"} |~ "(a"' }, {}, "QUERY_REGEX_INVALID", /invalid regular expression/],
  ["an invalid template", { query: '{app="api"} | line_format "{{.a"' }, {}, "QUERY_TEMPLATE_INVALID", /unclosed action/],
  ["an unknown template function", { query: '{app="api"} | line_format "{{ exec .a }}"' }, {}, "QUERY_TEMPLATE_INVALID", /function "exec" not defined/],
  ["a bad ip range", { query: '{app="api"} |= ip("300.1.1.1")' }, {}, "QUERY_INVALID", /not an IP address/],
];

test("limits and invalid queries fail with precise errors", async () => {
  for (const [what, req, limits, code, re] of limitCases) {
    const e = await engine(limits);
    await assert.rejects(e.query(logReq('{app="api"}', req)), (err: unknown) => err instanceof MeshlogError && err.code === code && re.test(err.message), what);
  }
});

test("catastrophic regexes over long lines finish (linear-time engine)", async () => {
  const e = await engine();
  for (const q of [
    '{app="evil"} |~ "(a+)+$"',
    '{app="evil"} |~ "(a|aa)*b"',
    '{app="evil"} | regexp "(?P<x>(a*)*b)"',
    '{app="evil"} | x=~"(a+)+$"',
    '{app=~"(e+)+vil"} |~ "(.*a){20}"',
  ]) {
    const r = await e.query(logReq(q, { tenant: "t3" }));
    assert.equal(r.resultType, "streams", q);
  }
  assert.equal(lines(await e.query(logReq('{app="evil"} |~ "(a+)+!$"', { tenant: "t3" }))).length, 1);
});

/** A store that is slow per batch, to test timeouts and cancellation without timing assertions. */
function slowStore(inner: LogStore): LogStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "select") {
        return async function* (req: SelectRequest) {
          for await (const b of target.select(req)) {
            await new Promise((r) => setTimeout(r, 20));
            yield b;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test("a query past its timeout or cancelled by the client stops with a clear error", async () => {
  const e = new QueryEngine(slowStore(await storePromise), { timeoutMs: 5 });
  await assert.rejects(
    e.query(logReq('{app=~".+"}')),
    (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_TIMEOUT" && /timeout of 0.005s/.test(err.message),
  );
  const ac = new AbortController();
  ac.abort();
  const e2 = new QueryEngine(await storePromise);
  await assert.rejects(e2.query(logReq('{app=~".+"}', { signal: ac.signal })), (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_CANCELED");
});

test("line filters before any line change are passed to the store for bloom pruning", async () => {
  const seen: SelectRequest[] = [];
  const inner = await storePromise;
  const spy = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "select") return (req: SelectRequest) => (seen.push(req), target.select(req));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const e = new QueryEngine(spy);
  await e.query(logReq('{app="api"} |= "status=500" |= "p0" | logfmt | line_format "x" |= "x"'));
  assert.deepEqual(seen.at(-1)?.requiredSubstrings, ["status=500", "p0"]);
  await e.query(logReq('{app="api"}', { limit: 7 }));
  assert.equal(seen.at(-1)?.limit, 7);
  await e.query(logReq('{app="api"} |= "a" or "b" != "c"'));
  assert.equal(seen.at(-1)?.requiredSubstrings, undefined);
  await e.query(instant('sum(count_over_time({app="api"} |= "status=500" [1m]))'));
  assert.deepEqual(seen.at(-1)?.requiredSubstrings, ["status=500"]);
});

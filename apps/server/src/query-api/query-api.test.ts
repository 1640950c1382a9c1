// The Loki read API as Grafana calls it: shapes, status codes, errors, scope and tenant isolation, WebSocket tail.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import type { LogRecord } from "@meshlog/core";
import { startServer, type RunningServer } from "../main.js";
import { serverConfigSchema } from "../config/server-config.js";
import type { Authenticator, Principal } from "../features/auth/principal.js";

const principals: Record<string, Principal> = {
  admin: { id: "admin", name: "admin", kind: "user", tenant: "t1", roles: ["admin"], tenants: "*" },
  analyst: { id: "analyst", name: "analyst", kind: "user", tenant: "t1", roles: ["analyst"], tenants: ["t1"] },
  scoped: { id: "scoped", name: "scoped", kind: "user", tenant: "t1", roles: ["analyst"], tenants: ["t1"], scope: '{env="prod"}' },
  other: { id: "other", name: "other", kind: "user", tenant: "t2", roles: ["analyst"], tenants: ["t2"] },
  wide: { id: "wide", name: "wide", kind: "user", tenant: "t1", roles: ["analyst"], tenants: "*" },
  auditor: { id: "auditor", name: "auditor", kind: "user", tenant: "_audit", roles: ["auditor"], tenants: ["_audit"] },
  ingester: { id: "ingester", name: "ingester", kind: "service", tenant: "t1", roles: ["ingest"], tenants: ["t1"] },
};
const testAuth: Authenticator = { authenticate: async (secret) => principals[secret] };

let server: RunningServer;
let base = "";
let dataDir = "";
const nowNs = BigInt(Date.now()) * 1_000_000n;
const S = 1_000_000_000n;

function rec(tenant: string, agoSec: number, labels: Record<string, string>, body: string, severityNumber = 9): LogRecord {
  return {
    timestamp: nowNs - BigInt(agoSec) * S,
    observedTimestamp: nowNs,
    severityNumber,
    severityText: "",
    body,
    attributes: { pod: "p1" },
    resource: {},
    traceId: "",
    spanId: "",
    tenant,
    labels,
  };
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "meshlog-query-api-"));
  server = await startServer(
    serverConfigSchema.parse({ dataDir, http: "127.0.0.1:0", syslog: "", forward: "", otlpGrpc: { enabled: false }, adminToken: "bootstrap-token-for-tests" }),
    {
      print: () => {},
      logWrite: () => {},
    },
  );
  server.ctx.auth = testAuth;
  base = server.ctx.services.get("http.address") as string;
  const t1: LogRecord[] = [];
  for (let i = 50; i > 0; i--) {
    t1.push(
      rec(
        "t1",
        i,
        { app: "api", env: "prod", level: i % 5 === 0 ? "error" : "info" },
        `level=${i % 5 === 0 ? "error" : "info"} msg="prod ${i}" status=${i % 5 === 0 ? 500 : 200}`,
        i % 5 === 0 ? 17 : 9,
      ),
    );
    t1.push(rec("t1", i, { app: "api", env: "dev" }, `{"level":"debug","msg":"dev secret ${i}"}`, 5));
  }
  await server.ctx.store.append("t1", t1);
  await server.ctx.store.append("t2", [rec("t2", 10, { app: "api", env: "prod" }, "tenant two only")]);
});

after(async () => {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function get(
  path: string,
  params: Record<string, string | string[]>,
  token = "analyst",
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; text: string; json: () => any }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  const res = await fetch(`${base}${path}?${qs.toString()}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", text, json: () => JSON.parse(text) };
}

const lines = (body: any): string[] => body.data.result.flatMap((s: any) => s.values.map((v: [string, string]) => v[1]));

test("query_range returns Loki's streams shape with stats, as Grafana's logs panel asks", async () => {
  const r = await get(
    "/loki/api/v1/query_range",
    {
      query: '{app="api", env="prod"} |= "error"',
      limit: "3",
      start: String(nowNs - 3600n * S),
      end: String(nowNs + S),
      step: "60000ms",
      direction: "backward",
    },
    "analyst",
    { "x-query-tags": "Source=logsample" },
  );
  assert.equal(r.status, 200, r.text);
  const body = r.json();
  assert.equal(body.status, "success");
  assert.equal(body.data.resultType, "streams");
  assert.equal(lines(body).length, 3);
  assert.equal(typeof body.data.result[0].values[0][0], "string");
  assert.equal(body.data.result[0].stream.env, "prod");
  for (const k of ["bytesProcessedPerSecond", "linesProcessedPerSecond", "totalBytesProcessed", "totalLinesProcessed", "execTime", "totalEntriesReturned"])
    assert.equal(typeof body.data.stats.summary[k], "number", k);
});

test("the logs volume query Grafana runs returns a matrix grouped by level and detected_level", async () => {
  const r = await get(
    "/loki/api/v1/query_range",
    {
      query: 'sum by (level, detected_level) (count_over_time({app="api"} | drop __error__ [1m]))',
      start: String(nowNs - 600n * S),
      end: String(nowNs),
      step: "60000ms",
    },
    "analyst",
    { "x-query-tags": "Source=logvolhist" },
  );
  assert.equal(r.status, 200, r.text);
  const body = r.json();
  assert.equal(body.data.resultType, "matrix");
  const totals = new Map<string, number>();
  for (const s of body.data.result) {
    assert.ok(Array.isArray(s.values) && typeof s.values[0][0] === "number" && typeof s.values[0][1] === "string");
    const key = `${s.metric.level ?? ""}/${s.metric.detected_level ?? ""}`;
    totals.set(key, (totals.get(key) ?? 0) + s.values.reduce((n: number, v: [number, string]) => n + Number(v[1]), 0));
  }
  assert.ok(totals.has("error/error") && totals.has("info/info") && totals.has("/debug"), JSON.stringify([...totals]));
});

test("instant queries return vector and scalar results", async () => {
  const v = (await get("/loki/api/v1/query", { query: 'sum by (env) (count_over_time({app="api"}[5m]))', time: String(nowNs) })).json();
  assert.equal(v.data.resultType, "vector");
  assert.deepEqual(v.data.result.map((s: any) => [s.metric.env, s.value[1]]).sort(), [
    ["dev", "50"],
    ["prod", "50"],
  ]);
  const s = (await get("/loki/api/v1/query", { query: "2 * 21" })).json();
  assert.equal(s.data.resultType, "scalar");
  assert.equal(s.data.result[1], "42");
});

test("the label browser calls return names, values and series", async () => {
  const range = { start: String(nowNs - 3600n * S), end: String(nowNs) };
  assert.deepEqual((await get("/loki/api/v1/labels", range)).json(), { status: "success", data: ["app", "env", "level"] });
  assert.deepEqual((await get("/loki/api/v1/label/env/values", range)).json().data, ["dev", "prod"]);
  assert.deepEqual((await get("/loki/api/v1/label/level/values", { ...range, query: '{env="prod"}' })).json().data, ["error", "info"]);
  const series = (await get("/loki/api/v1/series", { ...range, "match[]": '{app="api"}' })).json();
  assert.equal(series.data.length, 3);
  const form = await fetch(`${base}/loki/api/v1/series`, {
    method: "POST",
    headers: { authorization: "Bearer analyst", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams([
      ["match[]", '{env="dev"}'],
      ["start", range.start],
      ["end", range.end],
    ]).toString(),
  });
  assert.deepEqual(((await form.json()) as { data: unknown }).data, [{ app: "api", env: "dev" }]);
});

test("stats, volume, detected fields/labels, patterns, format_query and buildinfo have Loki's shapes", async () => {
  const range = { start: String(nowNs - 3600n * S), end: String(nowNs) };
  assert.deepEqual((await get("/loki/api/v1/index/stats", { ...range, query: '{app="api"}' })).json(), {
    streams: 3,
    chunks: 3,
    bytes: (await get("/loki/api/v1/index/stats", { ...range, query: '{app="api"}' })).json().bytes,
    entries: 100,
  });
  const vol = (await get("/loki/api/v1/index/volume", { ...range, query: '{app="api"}', targetLabels: "env" })).json();
  assert.equal(vol.data.resultType, "vector");
  assert.deepEqual(vol.data.result.map((s: any) => s.metric.env).sort(), ["dev", "prod"]);
  const vr = (await get("/loki/api/v1/index/volume_range", { ...range, query: '{app="api"}', step: "60" })).json();
  assert.equal(vr.data.resultType, "matrix");
  const df = (await get("/loki/api/v1/detected_fields", { ...range, query: '{app="api"}', limit: "1000" })).json();
  assert.ok(df.fields.some((f: any) => f.label === "status" && f.type === "int" && f.parsers[0] === "logfmt"));
  assert.ok(df.fields.some((f: any) => f.label === "msg"));
  const dv = (await get("/loki/api/v1/detected_field/status/values", { ...range, query: '{app="api"}' })).json();
  assert.deepEqual(dv.values, ["200", "500"]);
  const dl = (await get("/loki/api/v1/detected_labels", { ...range, query: '{app="api"}' })).json();
  assert.ok(dl.detectedLabels.some((l: any) => l.label === "env" && l.cardinality === 2));
  const pat = (await get("/loki/api/v1/patterns", { ...range, query: '{app="api", env="prod"}' })).json();
  assert.equal(pat.status, "success");
  assert.deepEqual(pat.data.map((p: any) => [p.pattern, p.level]).sort(), [
    ['level=error msg="prod <_>" status=<_>', "error"],
    ['level=info msg="prod <_>" status=<_>', "info"],
  ]);
  assert.equal(
    pat.data.reduce((n: number, p: any) => n + p.samples.reduce((m: number, s: [number, number]) => m + s[1], 0), 0),
    50,
  );
  assert.deepEqual((await get("/loki/api/v1/format_query", { query: 'sum(rate({app="api"}[1m]))by(env)' })).json(), {
    status: "success",
    data: 'sum by (env) (rate({app="api"}[1m]))',
  });
  assert.equal(typeof (await get("/loki/api/v1/status/buildinfo", {})).json().version, "string");
});

test("bad queries get Loki's plain-text 400 errors", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ query: '{app="api"' }, /^parse error at line 1, col 11: syntax error/],
    [{ query: '{app="api"}', limit: "10000" }, /max entries limit per query exceeded, limit > max_entries_limit \(10000 > 5000\)/],
    [{ query: '{app=~".*"}' }, /empty-compatible value/],
    [{ query: '{app="api"}', start: "yesterday" }, /invalid start/],
    [{ query: '{app="api"}', step: "-5s" }, /invalid step/],
    [{ query: '{app="api"}', direction: "sideways" }, /invalid direction/],
    [{}, /query parameter is required/],
  ];
  for (const [params, re] of cases) {
    const r = await get("/loki/api/v1/query_range", params);
    assert.equal(r.status, 400, r.text);
    assert.match(r.type, /text\/plain/);
    assert.match(r.text, re);
  }
});

test("hostile requests (1 MB query, catastrophic regex, deep nesting, huge range) fail or finish promptly", async () => {
  const big = await fetch(`${base}/loki/api/v1/query_range`, {
    method: "POST",
    headers: { authorization: "Bearer analyst", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: `{app="api"} |= "${"x".repeat(1 << 20)}"` }).toString(),
  });
  assert.equal(big.status, 400);
  assert.match(await big.text(), /characters long, the limit is/);
  const evil = await get("/loki/api/v1/query_range", { query: '{app="api"} |~ "(a+)+$" |~ "(.*.*)*x"', limit: "10" });
  assert.equal(evil.status, 200);
  const deep = await get("/loki/api/v1/query", { query: "(".repeat(1000) + "1" + ")".repeat(1000) });
  assert.equal(deep.status, 400);
  assert.match(deep.text, /nests deeper than 64/);
  const long = await get("/loki/api/v1/query_range", { query: '{app="api"}', start: "0", end: String(nowNs) });
  assert.equal(long.status, 400);
  assert.match(long.text, /time range exceeds the limit/);
});

test("a scoped principal never sees a line, label value or count outside its scope", async () => {
  const range = { start: String(nowNs - 3600n * S), end: String(nowNs + S) };
  const logs = (await get("/loki/api/v1/query_range", { ...range, query: '{app="api"}', limit: "1000" }, "scoped")).json();
  assert.equal(lines(logs).length, 50);
  assert.ok(!lines(logs).some((l) => l.includes("secret")));
  const dev = (await get("/loki/api/v1/query_range", { ...range, query: '{env="dev"}', limit: "1000" }, "scoped")).json();
  assert.equal(lines(dev).length, 0);
  const count = (await get("/loki/api/v1/query", { query: 'sum(count_over_time({app="api"}[1h]))', time: String(nowNs) }, "scoped")).json();
  assert.equal(count.data.result[0].value[1], "50");
  assert.deepEqual((await get("/loki/api/v1/label/env/values", range, "scoped")).json().data, ["prod"]);
  assert.equal((await get("/loki/api/v1/series", { ...range, "match[]": '{app="api"}' }, "scoped")).json().data.length, 2);
  assert.equal((await get("/loki/api/v1/index/stats", { ...range, query: '{app="api"}' }, "scoped")).json().entries, 50);
  const vol = (await get("/loki/api/v1/index/volume", { ...range, query: '{app="api"}', targetLabels: "env" }, "scoped")).json();
  assert.deepEqual(
    vol.data.result.map((s: any) => s.metric.env),
    ["prod"],
  );
  const dv = (await get("/loki/api/v1/detected_field/msg/values", { ...range, query: '{app="api"}' }, "scoped")).json();
  assert.ok(!dv.values.some((v: string) => v.includes("secret")));
  const dl = (await get("/loki/api/v1/detected_labels", { ...range, query: '{app="api"}' }, "scoped")).json();
  assert.ok(dl.detectedLabels.some((l: any) => l.label === "env" && l.cardinality === 1));
});

test("tenants are isolated and roles are enforced", async () => {
  const range = { start: String(nowNs - 3600n * S), end: String(nowNs + S), limit: "1000" };
  const t2 = (await get("/loki/api/v1/query_range", { ...range, query: '{app="api"}' }, "other")).json();
  assert.deepEqual(lines(t2), ["tenant two only"]);
  const t1 = (await get("/loki/api/v1/query_range", { ...range, query: '{app="api"}' }, "analyst")).json();
  assert.ok(!lines(t1).includes("tenant two only"));
  const cross = await get("/loki/api/v1/query_range", { ...range, query: '{app="api"}' }, "other", { "x-scope-orgid": "t1" });
  assert.equal(cross.status, 403);
  const admin = (await get("/loki/api/v1/query_range", { ...range, query: '{app="api"}' }, "admin", { "x-scope-orgid": "t2" })).json();
  assert.deepEqual(lines(admin), ["tenant two only"]);
  assert.equal((await get("/loki/api/v1/labels", {}, "ingester")).status, 403);
  assert.equal((await get("/loki/api/v1/labels", {}, "nobody")).status, 401);
  assert.equal((await fetch(`${base}/loki/api/v1/labels`)).status, 401);
  assert.equal((await get("/loki/api/v1/labels", {}, "analyst", { "x-scope-orgid": "_audit" })).status, 403);
  assert.equal((await get("/loki/api/v1/labels", {}, "wide", { "x-scope-orgid": "_audit" })).status, 403);
  assert.equal((await get("/loki/api/v1/labels", {}, "auditor")).status, 200);
  assert.equal((await get("/loki/api/v1/labels", {}, "wide", { "x-scope-orgid": "t2" })).status, 200);
});

function openTail(token: string | undefined, query: string, extra = ""): Promise<{ ws: WebSocket; messages: any[] } | { status: number }> {
  return new Promise((resolve) => {
    const url = `${base.replace("http", "ws")}/loki/api/v1/tail?query=${encodeURIComponent(query)}${extra}`;
    const ws = new WebSocket(url, token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {});
    const messages: any[] = [];
    ws.on("message", (m) => messages.push(JSON.parse(String(m))));
    ws.on("open", () => resolve({ ws, messages }));
    ws.on("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
  });
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
}

test("the WebSocket tail streams new matching lines inside the scope and rejects bad upgrades", async () => {
  const t = await openTail("scoped", '{app="api"} |= "live"', `&start=${nowNs}`);
  assert.ok("ws" in t);
  await server.ctx.store.append("t1", [
    rec("t1", 0, { app: "api", env: "dev" }, "live dev secret"),
    rec("t1", 0, { app: "api", env: "prod" }, "live prod line"),
    rec("t1", 0, { app: "api", env: "prod" }, "not matching"),
  ]);
  await waitFor(() => t.messages.some((m) => m.streams.length > 0));
  const got = t.messages.flatMap((m) => m.streams.flatMap((s: any) => s.values.map((v: [string, string]) => v[1])));
  assert.deepEqual(got, ["live prod line"]);
  t.ws.close();
  const noAuth = await openTail(undefined, '{app="api"}');
  assert.deepEqual(noAuth, { status: 401 });
  const ingest = await openTail("ingester", '{app="api"}');
  assert.deepEqual(ingest, { status: 403 });
  const bad = await openTail("analyst", '{app="api"');
  assert.deepEqual(bad, { status: 400 });
  const metric = await openTail("analyst", 'count_over_time({app="api"}[1m])');
  assert.deepEqual(metric, { status: 400 });
});

test("the tail replays from start and reports entries dropped over the limit", async () => {
  const t = await openTail("analyst", '{env="prod"} |= "burst"', `&limit=2&start=${nowNs - 3600n * S}`);
  assert.ok("ws" in t);
  await new Promise((r) => setTimeout(r, 50));
  await server.ctx.store.append(
    "t1",
    [0, 1, 2, 3, 4].map((i) => rec("t1", 0, { app: "api", env: "prod" }, `burst ${i}`)),
  );
  await waitFor(() => t.messages.some((m) => m.dropped_entries !== null && m.dropped_entries !== undefined));
  const dropped = t.messages.flatMap((m) => m.dropped_entries ?? []);
  const delivered = t.messages.flatMap((m) => m.streams.flatMap((s: any) => s.values));
  // Normally 2 delivered + 3 dropped; if the burst lands before the replay ends, the replay sends 2 more.
  assert.ok(dropped.length >= 1, JSON.stringify(t.messages));
  assert.equal(delivered.length + dropped.length, 5);
  assert.equal(typeof dropped[0].timestamp, "string");
  t.ws.close();
});

// DESIGN §9 HTTP routes on one port against the spawned binary: metrics, Loki reads and tail, ES, OTLP, Datadog, Zipkin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@elastic/elasticsearch";
import WebSocket from "ws";
import { ingestNative, queryLines, spawnServer, tempDir, type SpawnedServer } from "./harness.js";

let server: SpawnedServer;
let dir: ReturnType<typeof tempDir>;

before(async () => {
  dir = tempDir();
  server = await spawnServer({ dataDir: dir.path });
  const res = await ingestNative(server.url, server.token, [
    { body: "routes seed GET /api status=200", labels: { service: "routes", namespace: "web" }, attributes: { status: "200" } },
    { body: "routes seed GET /api status=500", labels: { service: "routes", namespace: "web" }, attributes: { status: "500" } },
  ]);
  assert.equal(res.status, 200);
});
after(async () => {
  await server.stop();
  dir.remove();
});

const auth = () => ({ authorization: `Bearer ${server.token}` });
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

test("GET /metrics answers Prometheus text format", async () => {
  const res = await fetch(`${server.url}/metrics`, { headers: auth() });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  assert.match(text, /^# HELP \S+ .+$/m);
  assert.match(text, /^# TYPE \S+ (counter|gauge|histogram|summary)$/m);
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( \d+)?$/, `sample line: ${line}`);
  }
});

test("every Loki read endpoint of the contract answers 200 with Loki's envelope", async () => {
  const start = String(nowNs() - 3_600_000_000_000n);
  const end = String(nowNs() + 60_000_000_000n);
  const sel = '{service="routes"}';
  const cases: [string, Record<string, string>][] = [
    ["query", { query: `sum(count_over_time(${sel}[1h]))` }],
    ["query_range", { query: sel, start, end }],
    ["labels", { start, end }],
    ["label/service/values", { start, end }],
    ["series", { "match[]": sel, start, end }],
    ["index/stats", { query: sel, start, end }],
    ["index/volume", { query: sel, start, end }],
    ["patterns", { query: sel, start, end }],
    ["detected_fields", { query: sel, start, end }],
  ];
  for (const [path, params] of cases) {
    const res = await fetch(`${server.url}/loki/api/v1/${path}?${new URLSearchParams(params)}`, { headers: auth() });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    const body = JSON.parse(text) as Record<string, unknown>;
    if (!["index/stats", "detected_fields"].includes(path)) assert.equal(body.status, "success", `${path} status`);
    if (path === "labels") assert.ok((body.data as string[]).includes("service"));
    if (path === "label/service/values") assert.ok((body.data as string[]).includes("routes"));
    if (path === "index/stats") assert.equal(body.entries, 2, "index/stats counts the seeded entries");
  }
});

test("WebSocket /loki/api/v1/tail streams lines as they are ingested", async () => {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/loki/api/v1/tail?${new URLSearchParams({ query: '{service="tailed"}' })}`, {
    headers: auth(),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const got = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no tail message within 15 s")), 15_000);
      ws.on("message", (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { streams?: { values: [string, string][] }[] };
        const line = msg.streams?.flatMap((s) => s.values.map((v) => v[1])).find((l) => l === "tail contract line");
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        }
      });
    });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await ingestNative(server.url, server.token, [{ body: "tail contract line", labels: { service: "tailed" } }])).status, 200);
    }
    assert.equal(await got, "tail contract line");
  } finally {
    ws.close();
  }
});

test("Elasticsearch: GET / with the official client, POST /_bulk and POST /INDEX/_bulk", async () => {
  const client = new Client({ node: server.url, auth: { username: "elastic", password: server.token }, maxRetries: 0 });
  const info = await client.info();
  assert.match(info.version.number, /^\d+\.\d+\.\d+$/);
  const r1 = await client.bulk({ operations: [{ create: { _index: "logs-routes" } }, { message: "es bulk root", "@timestamp": new Date().toISOString() }] });
  assert.equal(r1.errors, false);
  const r2 = await client.bulk({ index: "logs-routes-idx", operations: [{ index: {} }, { message: "es bulk index path" }] });
  assert.equal(r2.errors, false);
  const lines = (await queryLines(server.url, server.token, '{source="elasticsearch"}')).map((l) => l.line).sort();
  assert.deepEqual(lines, ["es bulk index path", "es bulk root"]);
  const anon = await fetch(`${server.url}/`);
  assert.equal(anon.status, 401, "cluster info needs credentials");
});

test("OTLP /v1/logs and /v1/traces, Datadog /api/v2/logs and Zipkin /api/v2/spans store records", async () => {
  const traceId = "5b8efff798038103d269b633813fc60c";
  const t = String(nowNs());
  const otlpLogs = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "otel-routes" } }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: t, severityNumber: 9, body: { stringValue: "otlp contract log" }, traceId, spanId: "eee19b7ec3c1b174" }] }],
      },
    ],
  };
  const otlpTraces = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "otel-routes" } }] },
        scopeSpans: [
          {
            spans: [
              { traceId, spanId: "eee19b7ec3c1b174", name: "otlp contract span", kind: 2, startTimeUnixNano: t, endTimeUnixNano: String(BigInt(t) + 1000n) },
            ],
          },
        ],
      },
    ],
  };
  const json = { ...auth(), "content-type": "application/json" };
  const l = await fetch(`${server.url}/v1/logs`, { method: "POST", headers: json, body: JSON.stringify(otlpLogs) });
  assert.equal(l.status, 200, await l.clone().text());
  const tr = await fetch(`${server.url}/v1/traces`, { method: "POST", headers: json, body: JSON.stringify(otlpTraces) });
  assert.equal(tr.status, 200, await tr.clone().text());
  const dd = await fetch(`${server.url}/api/v2/logs`, {
    method: "POST",
    headers: { "dd-api-key": server.token, "content-type": "application/json" },
    body: JSON.stringify([{ message: "datadog contract log", service: "dd-routes", ddsource: "node" }]),
  });
  assert.equal(dd.status, 202);
  const zipkin = [
    {
      traceId: traceId.slice(16),
      id: "a1b2c3d4e5f60718",
      name: "zipkin contract span",
      timestamp: Date.now() * 1000,
      duration: 5,
      localEndpoint: { serviceName: "zipkin-routes" },
    },
  ];
  const z = await fetch(`${server.url}/api/v2/spans`, { method: "POST", headers: json, body: JSON.stringify(zipkin) });
  assert.equal(z.status, 202, await z.clone().text());
  const lines = await queryLines(server.url, server.token, '{source=~"otlp|datadog|zipkin"}');
  const bySource = (s: string) => lines.filter((x) => x.labels.source === s).map((x) => x.line);
  assert.ok(bySource("otlp").includes("otlp contract log"));
  assert.ok(
    bySource("otlp").some((x) => x.includes("otlp contract span")),
    "spans are stored as records",
  );
  assert.ok(bySource("datadog").includes("datadog contract log"));
  assert.ok(bySource("zipkin").some((x) => x.includes("zipkin contract span")));
});

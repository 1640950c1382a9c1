// Tests for the sinks: status mapping, Retry-After, request bodies of every sink against a capturing server.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { silentLogger, type LogRecord } from "@meshlog/core";
import type { BatchConfig, SinkDefinition, SinkResult } from "../contracts.js";
import { Metrics } from "../runtime/metrics.js";
import { bulkResult, elasticsearchSink } from "./elasticsearch/index.js";
import { resultOfStatus, retryAfterMs } from "./http-sender.js";
import { lokiSink } from "./loki/index.js";
import { meshlogSink, parseIngestResponse } from "./meshlog/index.js";
import { otlpSink } from "./otlp/index.js";

const rec = (body: string, labels: Record<string, string> = { source: "agent", service: "api" }): LogRecord => ({
  timestamp: 1_700_000_000_000_000_123n,
  observedTimestamp: 1_700_000_000_100_000_000n,
  severityNumber: 17,
  severityText: "error",
  body,
  attributes: { "http.status": "500" },
  resource: { "host.name": "n1" },
  traceId: "5b8efff798038103d269b633813fc60c",
  spanId: "eee19b7ec3c1b174",
  tenant: "",
  labels,
});

test("HTTP status mapping: delivered, retry (with Retry-After), rejected", () => {
  const cases: [number, Record<string, string>, SinkResult["status"], number | undefined][] = [
    [200, {}, "delivered", undefined],
    [204, {}, "delivered", undefined],
    [429, { "retry-after": "7" }, "retry", 7000],
    [503, {}, "retry", undefined],
    [500, {}, "retry", undefined],
    [408, {}, "retry", undefined],
    [401, {}, "retry", undefined],
    [400, {}, "rejected", undefined],
    [413, {}, "rejected", undefined],
  ];
  for (const [status, headers, want, after] of cases) {
    const r = resultOfStatus({ status, headers, body: "x" });
    assert.equal(r.status, want, String(status));
    if (r.status === "retry") assert.equal(r.afterMs, after, `${status} Retry-After`);
  }
  assert.equal(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")), 10_000);
  for (const bad of ["soon", "-1", "1.5", ""]) assert.equal(retryAfterMs(bad), undefined, bad);
});

test("native ingest responses: per-line rejections are read; odd bodies count as no rejections", () => {
  assert.deepEqual(parseIngestResponse('{"accepted":1,"rejected":[{"line":1,"error":"bad"}]}'), [{ index: 1, error: "bad" }]);
  for (const body of ["", "nope", "{}", '{"rejected":5}', '{"rejected":[{"x":1}]}']) assert.deepEqual(parseIngestResponse(body), [], body);
});

test("Elasticsearch bulk item results: 409 is done, 429 retries, 400 items are rejected", () => {
  const items = (...st: number[]) =>
    JSON.stringify({ errors: true, items: st.map((s) => ({ create: { status: s, error: s >= 300 ? { type: "x" } : undefined } })) });
  assert.deepEqual(bulkResult(JSON.stringify({ errors: false, items: [] })), { status: "delivered" });
  assert.deepEqual(bulkResult(items(201, 409)), { status: "delivered" });
  assert.equal(bulkResult(items(201, 429)).status, "retry");
  assert.equal(bulkResult(items(503)).status, "retry");
  const r = bulkResult(items(201, 400));
  assert.equal(r.status === "delivered" && r.rejected?.[0]?.index, 1);
  assert.equal(bulkResult("{not json").status, "retry");
});

interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function capture(reply: (c: Captured) => { status: number; body: string }): Promise<{ url: string; got: Captured[]; close: () => Promise<void> }> {
  const got: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const c = { path: req.url ?? "", headers: req.headers, body: body.toString("utf8") };
      got.push(c);
      const r = reply(c);
      res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, got, close: () => new Promise((r) => server.close(() => r())) };
}

async function sendWith<C extends { batch: BatchConfig }>(def: SinkDefinition<C>, config: Record<string, unknown>, records: LogRecord[]): Promise<SinkResult> {
  const sink = def.create(def.configSchema.parse(config), { name: "t", logger: silentLogger, metrics: new Metrics() });
  try {
    return await sink.send(records);
  } finally {
    await sink.close();
  }
}

test("meshlog sink: gzip NDJSON with the bearer token, ns timestamps and partial rejections", async () => {
  const srv = await capture(() => ({ status: 200, body: '{"accepted":1,"rejected":[{"line":1,"error":"label too long"}]}' }));
  try {
    const r = await sendWith(meshlogSink, { endpoint: srv.url, token: "tk" }, [rec("a"), rec("b")]);
    assert.deepEqual(r, { status: "delivered", rejected: [{ index: 1, error: "label too long" }] });
    const c = srv.got[0];
    assert.equal(c?.path, "/api/v1/ingest");
    assert.equal(c?.headers.authorization, "Bearer tk");
    assert.equal(c?.headers["content-encoding"], "gzip");
    const lines = (c?.body ?? "")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], {
      timestamp: "1700000000000000123",
      body: "a",
      labels: { source: "agent", service: "api" },
      attributes: { "http.status": "500" },
      severity: "error",
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      resource: { "host.name": "n1" },
    });
  } finally {
    await srv.close();
  }
});

test("loki sink: one stream per label set, [ns, line, metadata] values, tenant header", async () => {
  const srv = await capture(() => ({ status: 204, body: "" }));
  try {
    const r = await sendWith(lokiSink, { endpoint: srv.url, tenant_id: "team-a", compression: "none" }, [
      rec("a"),
      rec("b", { source: "agent", service: "web" }),
      rec("c"),
    ]);
    assert.deepEqual(r, { status: "delivered" });
    const c = srv.got[0];
    assert.equal(c?.path, "/loki/api/v1/push");
    assert.equal(c?.headers["x-scope-orgid"], "team-a");
    const body = JSON.parse(c?.body ?? "") as { streams: { stream: Record<string, string>; values: unknown[][] }[] };
    assert.equal(body.streams.length, 2);
    assert.deepEqual(body.streams[0]?.stream, { source: "agent", service: "api", level: "error" });
    assert.deepEqual(
      body.streams[0]?.values.map((v) => v[1]),
      ["a", "c"],
    );
    assert.deepEqual(body.streams[0]?.values[0], ["1700000000000000123", "a", { "http.status": "500", trace_id: "5b8efff798038103d269b633813fc60c" }]);
  } finally {
    await srv.close();
  }
});

test("elasticsearch sink: create actions with stable ids, so a resend is idempotent", async () => {
  const srv = await capture(() => ({ status: 200, body: '{"errors":false,"items":[]}' }));
  try {
    await sendWith(elasticsearchSink, { endpoint: srv.url, index: "logs", api_key: "k" }, [rec("a")]);
    await sendWith(elasticsearchSink, { endpoint: srv.url, index: "logs", api_key: "k" }, [rec("a")]);
    const [a, b] = srv.got.map((g) => g.body.split("\n"));
    assert.equal(srv.got[0]?.path, "/_bulk");
    assert.equal(srv.got[0]?.headers.authorization, "ApiKey k");
    const action = JSON.parse(a?.[0] ?? "") as { create: { _index: string; _id: string } };
    assert.equal(action.create._index, "logs");
    assert.equal(a?.[0], b?.[0], "same record, same id");
    const doc = JSON.parse(a?.[1] ?? "") as Record<string, unknown>;
    assert.equal(doc["@timestamp"], "2023-11-14T22:13:20.000000123Z");
    assert.equal(doc.message, "a");
  } finally {
    await srv.close();
  }
});

test("otlp sink: ExportLogsServiceRequest JSON grouped by resource", async () => {
  const srv = await capture(() => ({ status: 200, body: "{}" }));
  try {
    await sendWith(otlpSink, { endpoint: srv.url }, [rec("a")]);
    const body = JSON.parse(srv.got[0]?.body ?? "") as {
      resourceLogs: { resource: { attributes: unknown[] }; scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    assert.equal(srv.got[0]?.path, "/v1/logs");
    assert.deepEqual(body.resourceLogs[0]?.resource.attributes, [{ key: "host.name", value: { stringValue: "n1" } }]);
    const lr = body.resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
    assert.equal(lr?.timeUnixNano, "1700000000000000123");
    assert.deepEqual(lr?.body, { stringValue: "a" });
    assert.equal(lr?.severityNumber, 17);
  } finally {
    await srv.close();
  }
});

test("network failures answer retry, never throw", async () => {
  const srv = await capture(() => ({ status: 200, body: "{}" }));
  const url = srv.url;
  await srv.close();
  for (const def of [meshlogSink, lokiSink, elasticsearchSink, otlpSink] as SinkDefinition<never>[]) {
    const r = await sendWith(def as SinkDefinition<{ batch: BatchConfig }>, { endpoint: url }, [rec("x")]);
    assert.equal(r.status, "retry", def.type);
  }
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { Client } from "@elastic/elasticsearch";
import { INGEST_TENANT, post, startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { elasticsearchRoutes } from "./es-routes.js";

/** The bulk body @elastic/elasticsearch@8.19.2 helpers.bulk sent, captured on loopback. */
const CAPTURED_BULK = '{"create":{"_index":"logs-app-default"}}\n{"msg":"a"}\n{"create":{"_index":"logs-app-default"}}\n{"msg":"b"}\n';
const CAPTURED_HEADERS = {
  "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
  accept: "application/vnd.elasticsearch+json; compatible-with=8",
};

const basic = `Basic ${Buffer.from(`elastic:${TOKENS.ingest}`).toString("base64")}`;

describe("Elasticsearch-compatible receiver", () => {
  let h: ReceiverHarness;
  let client: Client;
  before(async () => {
    h = await startReceiverHarness([elasticsearchRoutes]);
    client = new Client({ node: h.url, auth: { username: "elastic", password: TOKENS.ingest }, maxRetries: 0 });
  });
  after(async () => {
    await client.close();
    await h.close();
  });
  const byIndex = async (index: string) => (await h.records()).filter((r) => r.labels.index === index);

  test("passes the official client's product check and reports the configured version", async () => {
    const info = await client.info();
    assert.equal(info.version.number, "8.17.0");
    assert.equal(info.tagline, "You Know, for Search");
    assert.equal(info.version.build_flavor, "default");
  });

  test("stores documents sent with the official client's bulk helper, field by field", async () => {
    const docs = [
      {
        "@timestamp": "2026-01-02T03:04:05.123456789Z",
        message: "GET /cart 200",
        log: { level: "info" },
        service: { name: "cart" },
        kubernetes: { namespace: "shop", pod: { name: "cart-7d9" } },
        http: { response: { status_code: 200 } },
        trace: { id: "4bf92f3577b34da6a3ce929d0e0e4736" },
        tags: ["a", "b"],
      },
      { "@timestamp": 1767323045678, message: "payment failed", "log.level": "error", "service.name": "pay", user: null },
    ];
    const stats = await client.helpers.bulk({ datasource: docs, onDocument: () => ({ create: { _index: "logs-shop-default" } }) });
    assert.equal(stats.successful, 2);
    assert.equal(stats.failed, 0);
    const [a, b] = await byIndex("logs-shop-default");
    assert.ok(a && b);
    assert.equal(a.body, "GET /cart 200");
    assert.equal(a.timestamp, 1767323045123456789n, "nanosecond @timestamp is kept exactly");
    assert.equal(a.severityNumber, 9);
    assert.equal(a.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.deepEqual(a.attributes, { "log.level": "info", "http.response.status_code": "200", tags: '["a","b"]' });
    assert.deepEqual(a.resource, { "service.name": "cart", "k8s.namespace.name": "shop", "k8s.pod.name": "cart-7d9" });
    assert.deepEqual({ ...a.labels }, { source: "elasticsearch", index: "logs-shop-default", service: "cart", namespace: "shop", level: "info" });
    assert.equal(a.tenant, INGEST_TENANT);
    assert.equal(b.timestamp, 1767323045678000000n, "epoch milliseconds");
    assert.equal(b.severityNumber, 17);
    assert.deepEqual({ ...b.labels }, { source: "elasticsearch", index: "logs-shop-default", service: "pay", level: "error" });
    assert.deepEqual(b.attributes, { "log.level": "error" });
  });

  test("accepts ApiKey credentials (id:key encoded, as Beats send them)", async () => {
    const c = new Client({ node: h.url, auth: { apiKey: { id: "beat", api_key: TOKENS.ingest } }, maxRetries: 0 });
    const res = await c.bulk({ operations: [{ index: { _index: "apikey-idx", _id: "fixed-1" } }, { message: "via api key" }] });
    assert.equal(res.errors, false);
    assert.equal(res.items[0]?.index?.status, 201);
    assert.equal(res.items[0]?.index?._id, "fixed-1");
    const [r] = await byIndex("apikey-idx");
    assert.equal(r?.body, "via api key");
    assert.equal(r?.attributes._id, "fixed-1");
    await c.close();
  });

  test("replays the captured bulk request and answers exactly 200 with compact per-item results", async () => {
    const res = await post(`${h.url}/_bulk?filter_path=errors,items.*.error,items.*.status`, CAPTURED_BULK, { ...CAPTURED_HEADERS, authorization: basic });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-elastic-product"), "Elasticsearch");
    assert.ok(res.text.includes('"errors":false,"items":['), "Fluent Bit's literal fallback matches");
    const body = JSON.parse(res.text) as { errors: boolean; items: Record<string, { status: number; result: string; _index: string }>[] };
    assert.equal(body.items.length, 2);
    for (const item of body.items) {
      assert.deepEqual(Object.keys(item), ["create"]);
      assert.equal(item.create?.status, 201);
      assert.equal(item.create?.result, "created");
      assert.equal(item.create?._index, "logs-app-default");
    }
    const recs = await byIndex("logs-app-default");
    assert.deepEqual(
      recs.map((r) => r.body),
      ['{"msg":"a"}', '{"msg":"b"}'],
    );
    assert.deepEqual(
      recs.map((r) => r.attributes),
      [{ msg: "a" }, { msg: "b" }],
    );
  });

  test("reports per-item errors in request order with errors:true, storing only the good documents", async () => {
    const body =
      [
        '{"index":{"_index":"mixed"}}',
        '{"message":"good one"}',
        '{"delete":{"_index":"mixed","_id":"x1"}}',
        '{"update":{"_index":"mixed","_id":"x2"}}',
        '{"doc":{"a":1}}',
        '{"create":{"_index":"mixed"}}',
        '{"message": broken',
        '{"create":{"_index":"mixed"}}',
        '["not","an","object"]',
        '{"create":{"_index":"mixed"}}',
        '{"@timestamp":"tuesday","message":"bad time"}',
        '{"create":{"_index":"Bad Index"}}',
        '{"message":"bad index"}',
        '{"create":{}}',
        '{"message":"no index"}',
        '{"create":{"_index":"mixed","_type":"_doc"}}',
        '{"message":"good two"}',
      ].join("\r\n") + "\r\n";
    const res = await post(`${h.url}/_bulk`, gzipSync(body), { "content-type": "application/json", "content-encoding": "gzip", authorization: basic });
    assert.equal(res.status, 200);
    assert.ok(res.text.includes('"errors":true'), "Vector's literal check matches");
    const parsed = JSON.parse(res.text) as { items: Record<string, { status: number; error?: { type: string; reason: string } }>[] };
    const summary = parsed.items.map((i) => {
      const [action, v] = Object.entries(i)[0]!;
      return [action, v.status, v.error?.type ?? ""];
    });
    assert.deepEqual(summary, [
      ["index", 201, ""],
      ["delete", 400, "illegal_argument_exception"],
      ["update", 400, "illegal_argument_exception"],
      ["create", 400, "document_parsing_exception"],
      ["create", 400, "document_parsing_exception"],
      ["create", 400, "document_parsing_exception"],
      ["create", 400, "invalid_index_name_exception"],
      ["create", 400, "action_request_validation_exception"],
      ["create", 201, ""],
    ]);
    assert.match(parsed.items[5]?.create?.error?.reason ?? "", /failed to parse field \[@timestamp\]/);
    assert.deepEqual(
      (await byIndex("mixed")).map((r) => r.body),
      ["good one", "good two"],
    );
  });

  test("uses the index of the path for /{index}/_bulk and accepts single documents", async () => {
    let res = await post(`${h.url}/path-index/_bulk`, '{"create":{}}\n{"message":"from path"}\n', {
      "content-type": "application/x-ndjson",
      authorization: basic,
    });
    assert.equal(res.status, 200);
    res = await post(`${h.url}/path-index/_doc`, '{"message":"single","level":"debug"}', { "content-type": "application/json", authorization: basic });
    assert.equal(res.status, 201);
    assert.equal((JSON.parse(res.text) as { result: string }).result, "created");
    const recs = await byIndex("path-index");
    assert.deepEqual(
      recs.map((r) => r.body),
      ["from path", "single"],
    );
    assert.equal(recs[1]?.severityNumber, 5);
  });

  test("answers whole-request errors in Elasticsearch's error shape", async () => {
    const res = await post(`${h.url}/_bulk`, '{"create":{}}\n{"message":"x"}', { "content-type": "application/x-ndjson", authorization: basic });
    assert.equal(res.status, 400);
    const body = JSON.parse(res.text) as { error: { type: string; reason: string; root_cause: { type: string }[] }; status: number };
    assert.equal(body.status, 400);
    assert.equal(body.error.type, "illegal_argument_exception");
    assert.equal(body.error.root_cause[0]?.type, "illegal_argument_exception");
    assert.match(body.error.reason, /terminated by a newline/);
  });

  const startup: [string, string, number, (text: string, headers: Headers) => void][] = [
    [
      "GET",
      "/_license?human=false",
      200,
      (t) =>
        assert.deepEqual(
          [(JSON.parse(t) as { license: { type: string; status: string } }).license.type, (JSON.parse(t) as { license: { status: string } }).license.status],
          ["basic", "active"],
        ),
    ],
    ["GET", "/_xpack", 200, (t) => assert.equal((JSON.parse(t) as { license: { status: string } }).license.status, "active")],
    ["GET", "/_cluster/health", 200, (t) => assert.equal((JSON.parse(t) as { status: string }).status, "green")],
    [
      "GET",
      "/_cat/health",
      200,
      (t, hd) => (assert.match(t, /^\d+ \d\d:\d\d:\d\d meshlog green /), assert.match(hd.get("content-type") ?? "", /^text\/plain/)),
    ],
    ["GET", "/_cat/health?format=json", 200, (t) => assert.equal((JSON.parse(t) as { status: string }[])[0]?.status, "green")],
    ["GET", "/_nodes/http", 200, (t) => assert.match(JSON.stringify((JSON.parse(t) as { nodes: unknown }).nodes), /"publish_address":"127\.0\.0\.1:\d+"/)],
    ["HEAD", "/_index_template/filebeat-8.17.0", 200, () => {}],
    ["HEAD", "/_template/logstash", 200, () => {}],
    ["GET", "/_ilm/policy/filebeat", 200, (t) => assert.ok("filebeat" in (JSON.parse(t) as object))],
    ["HEAD", "/logstash-rollover", 200, () => {}],
    ["HEAD", "/", 200, () => {}],
  ];
  for (const [method, path, status, check] of startup) {
    test(`answers the start-up call ${method} ${path} with ${status} and the product header`, async () => {
      const res = await fetch(h.url + path, { method, headers: { authorization: basic } });
      assert.equal(res.status, status);
      assert.equal(res.headers.get("x-elastic-product"), "Elasticsearch");
      check(await res.text(), res.headers);
    });
  }

  test("acknowledges template, ILM and index writes and returns what was put", async () => {
    const put = async (path: string, body: unknown) => {
      const res = await fetch(h.url + path, {
        method: "PUT",
        body: JSON.stringify(body),
        headers: { authorization: basic, "content-type": "application/json" },
      });
      assert.equal(res.status, 200);
      return JSON.parse(await res.text()) as Record<string, unknown>;
    };
    assert.deepEqual(await put("/_index_template/logs-tpl", { index_patterns: ["logs-*"] }), { acknowledged: true });
    assert.deepEqual(await put("/_ilm/policy/p1", { policy: { phases: { hot: {} } } }), { acknowledged: true });
    assert.equal((await put("/new-index", {})).index, "new-index");
    const got = JSON.parse(await (await fetch(`${h.url}/_index_template/logs-tpl`, { headers: { authorization: basic } })).text()) as {
      index_templates: { name: string; index_template: unknown }[];
    };
    assert.deepEqual(got.index_templates[0], { name: "logs-tpl", index_template: { index_patterns: ["logs-*"] } });
  });

  test("serves cluster info as JSON to clients and hands browsers to the web UI", async () => {
    let res = await fetch(`${h.url}/`, { headers: { accept: "application/json" } });
    assert.equal(res.status, 401, "cluster info needs credentials");
    res = await fetch(`${h.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8", authorization: basic } });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(await res.text()) as { version: { number: string } }).version.number, "8.17.0", "without a UI, JSON is served");
    h.ctx.services.set("ui.index", (reply: { type(t: string): { send(b: string): unknown } }) =>
      reply.type("text/html; charset=utf-8").send("<!doctype html><title>ui</title>"),
    );
    try {
      res = await fetch(`${h.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      assert.match(await res.text(), /<title>ui<\/title>/);
      assert.equal(res.headers.get("x-elastic-product"), null);
      res = await fetch(`${h.url}/`, { headers: { accept: "application/json", authorization: basic } });
      assert.equal((JSON.parse(await res.text()) as { tagline: string }).tagline, "You Know, for Search");
    } finally {
      h.ctx.services.delete("ui.index");
    }
  });

  test("requires credentials on the start-up and bulk endpoints", async () => {
    for (const path of ["/_license", "/_cat/health"]) assert.equal((await fetch(h.url + path)).status, 401);
    assert.equal((await post(`${h.url}/_bulk`, CAPTURED_BULK, { "content-type": "application/x-ndjson" })).status, 401);
  });
});

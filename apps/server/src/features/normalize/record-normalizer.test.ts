// Tests of server-side normalization: severity, detected fields, trace context, and what it must never touch.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "@meshlog/core";
import { RecordNormalizer } from "./record-normalizer.js";
import { mightBeStructured } from "./body-precheck.js";

const ENVOY_503 =
  '[2024-03-01T10:00:00.001Z] "GET /cart?id=7 HTTP/1.1" 503 UF,URX 0 91 30 - "-" "curl/8.5.0" "0f3c1b0e-1111-4222-8333-944445555666" "cart.shop:8080" "10.1.2.3:8080"';
const ISTIO_JSON = JSON.stringify({
  start_time: "2024-03-01T10:00:00.001Z",
  method: "GET",
  path: "/x",
  protocol: "HTTP/2",
  response_code: 404,
  upstream_cluster: "outbound|80||a.svc.cluster.local",
});
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

function rec(body: string, over: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: 1n,
    observedTimestamp: 2n,
    severityNumber: 0,
    severityText: "",
    body,
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "default",
    labels: Object.freeze({ source: "native", service: "cart" }),
    ...over,
  };
}

const cases: { name: string; body: string; attrs?: Record<string, string>; sev: number; text: string; level?: string; attr?: Record<string, string> }[] = [
  {
    name: "an Envoy access log with 503 becomes an error with http.status_code",
    body: ENVOY_503,
    sev: 17,
    text: "ERROR",
    level: "error",
    attr: { "http.status_code": "503", "response.flags": "UF,URX", "http.method": "GET" },
  },
  {
    name: "an Istio JSON access log with 404 becomes a warning",
    body: ISTIO_JSON,
    sev: 13,
    text: "WARN",
    level: "warn",
    attr: { "http.status_code": "404", "upstream.cluster": "outbound|80||a.svc.cluster.local" },
  },
  {
    name: "a JSON app log with level warn keeps the text as written",
    body: '{"ts":"2024-03-01T10:00:00Z","level":"warn","msg":"slow query","db":{"ms":812}}',
    sev: 13,
    text: "warn",
    level: "warn",
    attr: { msg: "slow query", "db.ms": "812" },
  },
  {
    name: "a logfmt line with level=error is an error",
    body: 'time=2024-03-01T10:00:00Z level=error msg="upstream reset" retries=3',
    sev: 17,
    text: "error",
    level: "error",
    attr: { msg: "upstream reset", retries: "3" },
  },
  {
    name: "a syslog line takes the PRI severity",
    body: "<11>1 2024-03-01T10:00:00Z host app 12 - - disk failed",
    sev: 17,
    text: "err",
    level: "error",
    attr: { "syslog.hostname": "host" },
  },
  { name: "a plain text line stays untouched", body: "connection reset by peer while reading response", sev: 0, text: "" },
  { name: "a plain line with one '=' is not parsed", body: "retrying since a = b did not hold", sev: 0, text: "" },
  {
    name: "a sender level attribute decides without a structured body",
    body: "checkout done",
    attrs: { level: "warning" },
    sev: 13,
    text: "warning",
    level: "warn",
  },
  {
    name: "a sender status attribute gives the severity of a plain body",
    body: "GET /x failed",
    attrs: { "http.status_code": "502" },
    sev: 17,
    text: "ERROR",
    level: "error",
  },
];

for (const c of cases) {
  test(c.name, () => {
    const sender = { ...c.attrs };
    const r = rec(c.body, { attributes: sender });
    const before = structuredClone({ ...r, labels: { ...r.labels } });
    new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 16384 }).process([r]);
    assert.equal(r.severityNumber, c.sev);
    assert.equal(r.severityText, c.text);
    assert.equal(r.attributes.detected_level, c.level);
    for (const [k, v] of Object.entries(c.attr ?? {})) assert.equal(r.attributes[k], v, k);
    assert.equal(r.body, before.body);
    assert.deepEqual({ ...r.labels }, before.labels);
    assert.equal(r.timestamp, 1n);
    assert.deepEqual(sender, { ...c.attrs }, "the sender's attributes object is not mutated");
    if (c.sev === 0) assert.deepEqual(r, { ...before, labels: r.labels });
  });
}

test("a record with severity already set keeps it and its body is not parsed", () => {
  const r = rec(ENVOY_503, { severityNumber: 9, severityText: "info" });
  const n = new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 16384 });
  n.process([r]);
  assert.equal(r.severityNumber, 9);
  assert.equal(r.severityText, "info");
  assert.deepEqual(r.attributes, {});
  assert.equal(n.counts().parsed, 0);
});

test("sender attributes win over detected ones", () => {
  const r = rec('{"level":"error","msg":"parsed","user":"bob","detected_level":"x"}', { attributes: { msg: "sent", detected_level: "custom" } });
  new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 16384 }).process([r]);
  assert.equal(r.attributes.msg, "sent");
  assert.equal(r.attributes.user, "bob");
  assert.equal(r.attributes.detected_level, "custom");
  assert.equal(r.severityNumber, 17);
});

test("trace and span ids are filled from the body only when missing", () => {
  const body = `{"level":"info","trace_id":"${TRACE.toUpperCase()}","span_id":"00f067aa0ba902b7"}`;
  const a = rec(body);
  const b = rec(body, { traceId: "11111111111111111111111111111111" });
  new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 16384 }).process([a, b]);
  assert.equal(a.traceId, TRACE);
  assert.equal(a.spanId, "00f067aa0ba902b7");
  assert.equal(b.traceId, "11111111111111111111111111111111");
  assert.equal(b.spanId, "00f067aa0ba902b7");
});

test("parseBodies false reads sender attributes only", () => {
  const r = rec('{"level":"error"}', { attributes: { status: "404" } });
  new RecordNormalizer({ parseBodies: false, maxBodyBytesToParse: 16384 }).process([r]);
  assert.equal(r.severityNumber, 13);
  assert.equal(r.attributes.level, undefined);
});

test("hostile bodies do not throw and leave the record whole", () => {
  const deep = "[".repeat(50_000) + "]".repeat(50_000);
  const hostile = [
    "{" + '"a":{'.repeat(20_000) + "1" + "}".repeat(20_001),
    `{"level":"error","x":${deep}}`,
    "{".repeat(100_000),
    '{"level":"error", "msg": "unterminated',
    '[2024-03-01T10:00:00.001Z] "GET',
    "<999999999999>1 x",
    "a=".repeat(8000),
    '{"k":"' + "\\u00e9".repeat(3000) + '","level":"warn"}',
    "x".repeat(1 << 20),
    "\u0000\uffff\ud800=\ud800=",
  ];
  const n = new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 16384 });
  const unlimited = new RecordNormalizer({ parseBodies: true, maxBodyBytesToParse: 4 << 20 });
  for (const body of hostile) {
    for (const norm of [n, unlimited]) {
      const r = rec(body);
      assert.doesNotThrow(() => norm.process([r]));
      assert.equal(r.body, body);
    }
  }
  assert.equal(unlimited.counts().failed, 0);
  assert.ok(n.counts().tooLarge >= 3, "bodies over the limit are skipped");
  const big = rec(`{"level":"error","pad":"${"x".repeat(20_000)}"}`);
  n.process([big]);
  assert.equal(big.severityNumber, 0, "a body over maxBodyBytesToParse is not parsed");
});

test("the pre-check lets structured candidates through and stops prose", () => {
  const yes = [
    "{}",
    '  {"a":1}',
    "[x",
    "<13>x",
    "2024-01-01T00:00:00Z stdout F x",
    "10.0.0.1 - - [x",
    "host.example - - [10/Oct/2000:13:55:36 -0700]",
    "a=1 b=2",
  ];
  const no = ["hello world", "<html>", "a = b", "", "   ", "error: x"];
  for (const s of yes) assert.equal(mightBeStructured(s), true, s);
  for (const s of no) assert.equal(mightBeStructured(s), false, s);
});

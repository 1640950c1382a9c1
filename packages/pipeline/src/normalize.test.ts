import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, MeshlogError } from "@meshlog/core";
import { normalizeRecord } from "./normalize.js";
import { LabelRules } from "./labels/label-rules.js";
import { parseSyslog } from "./codecs/syslog/parse-syslog.js";
import { syslogToParsedBody } from "./codecs/syslog/syslog-body.js";

const clock = new ManualClock(1_800_000_000_000_000_000n);

test("a bare record gets observed time, source label and no severity", () => {
  const r = normalizeRecord({ tenant: "t1", source: "native", body: "hello" }, { clock });
  assert.equal(r.timestamp, 1_800_000_000_000_000_000n);
  assert.equal(r.observedTimestamp, 1_800_000_000_000_000_000n);
  assert.equal(r.severityNumber, 0);
  assert.equal(r.severityText, "");
  assert.deepEqual(r.labels, { source: "native" });
  assert.equal(r.tenant, "t1");
  assert.equal(r.traceId, "");
});

test("parsing a CRI line unwraps the body and fills time, severity, ids and labels", () => {
  const line = '2024-01-01T00:00:00.5Z stderr F {"level":"error","msg":"db down","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}';
  const r = normalizeRecord(
    { tenant: "t1", source: "agent", body: line, resource: { "k8s.namespace.name": "payments", "k8s.container.name": "api", "k8s.pod.name": "api-7d9f-x2" } },
    { parse: "auto", clock },
  );
  assert.equal(r.body, '{"level":"error","msg":"db down","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}');
  assert.equal(r.timestamp, 1_704_067_200_500_000_000n);
  assert.equal(r.severityNumber, 17);
  assert.equal(r.severityText, "error");
  assert.equal(r.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.equal(r.spanId, "00f067aa0ba902b7");
  assert.equal(r.attributes["log.iostream"], "stderr");
  assert.deepEqual(r.labels, { source: "agent", service: "api", namespace: "payments", level: "error" });
});

test("sender values win over parsed ones", () => {
  const r = normalizeRecord(
    {
      tenant: "t",
      source: "loki",
      body: "level=debug status=500 user=bob",
      timestamp: 5n,
      severity: "warn",
      attributes: { user: "alice" },
      labels: { service: "given" },
    },
    { parse: "logfmt", clock },
  );
  assert.equal(r.timestamp, 5n);
  assert.equal(r.severityNumber, 13);
  assert.equal(r.severityText, "warn");
  assert.equal(r.attributes.user, "alice");
  assert.equal(r.attributes.status, "500");
  assert.equal(r.labels.service, "given");
  assert.equal(r.body, "level=debug status=500 user=bob", "self-contained formats keep the line as the body");
});

test("numeric severities and invalid ids", () => {
  const r = normalizeRecord({ tenant: "t", source: "otlp", body: "x", severity: 21, traceId: "ABCDEF0123456789", spanId: "not-hex" }, { clock });
  assert.equal(r.severityNumber, 21);
  assert.equal(r.severityText, "FATAL");
  assert.equal(r.traceId, "0000000000000000abcdef0123456789");
  assert.equal(r.spanId, "");
  assert.equal(r.attributes.span_id, "not-hex", "an invalid id is kept as an attribute");
});

test("syslog hostname fills resource host.name and the message becomes the body", () => {
  const r = normalizeRecord(
    { tenant: "t", source: "syslog", body: "<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - failed" },
    { parse: "syslog-rfc5424", clock },
  );
  assert.equal(r.resource["host.name"], "mymachine");
  assert.equal(r.body, "failed");
  assert.equal(r.labels.level, "fatal");
  assert.equal(r.attributes["syslog.appname"], "su");
});

test("unwrapBody false keeps the envelope", () => {
  const line = "2024-01-01T00:00:00Z stdout F hi";
  assert.equal(normalizeRecord({ tenant: "t", source: "agent", body: line }, { parse: "cri", unwrapBody: false, clock }).body, line);
});

test("label limits are enforced with the core errors", () => {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 20; i++) labels[`l${i}`] = "v";
  assert.throws(
    () => normalizeRecord({ tenant: "t", source: "native", body: "x", labels }, { clock }),
    (e: unknown) => e instanceof MeshlogError && e.code === "LABELS_TOO_MANY",
  );
  assert.throws(
    () => normalizeRecord({ tenant: "t", source: "native", body: "x", labels: { "bad-name": "v" } }, { clock }),
    (e: unknown) => e instanceof MeshlogError && e.code === "LABEL_NAME_INVALID",
  );
});

test("custom label rules apply", () => {
  const rules = new LabelRules({
    rules: [
      { label: "cluster", from: ["resource.k8s.cluster.name"] },
      { label: "source", from: ["source"] },
    ],
  });
  const r = normalizeRecord(
    { tenant: "t", source: "agent", body: "x", resource: { "k8s.cluster.name": "eu-1", "service.name": "api" } },
    { labelRules: rules, clock },
  );
  assert.deepEqual(r.labels, { source: "agent", cluster: "eu-1" });
});

test("a receiver can pass a body it parsed itself", () => {
  const text = '<165>1 2003-10-11T22:14:15.003Z host app - ID1 [origin ip="192.0.2.1"] hello';
  const r = normalizeRecord({ tenant: "t", source: "syslog", body: text }, { parsed: syslogToParsedBody(parseSyslog(text)), clock });
  assert.equal(r.body, "hello");
  assert.equal(r.attributes["sd.origin.ip"], "192.0.2.1");
  assert.equal(r.severityNumber, 10);
  assert.equal(r.timestamp, 1_065_910_455_003_000_000n);
  assert.deepEqual(r.labels, { source: "syslog", level: "info" });
});

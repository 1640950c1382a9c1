import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { isHighCardinalityField, LabelRules, looksHighCardinality } from "./label-rules.js";

const rec = (over: Partial<LogRecord>): LogRecord => ({
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 0,
  severityText: "",
  body: "",
  attributes: {},
  resource: {},
  traceId: "",
  spanId: "",
  tenant: "t",
  labels: { source: "agent" },
  ...over,
});

const serviceCases: { name: string; r: Partial<LogRecord>; want: string | undefined }[] = [
  { name: "labels.service", r: { labels: { source: "loki", service: "checkout" }, resource: { "service.name": "other" } }, want: "checkout" },
  { name: "resource service.name", r: { resource: { "service.name": "cart" }, attributes: { app: "x" } }, want: "cart" },
  { name: "attributes app", r: { attributes: { app: "web" } }, want: "web" },
  { name: "attributes service", r: { attributes: { service: "auth" } }, want: "auth" },
  { name: "k8s container", r: { resource: { "k8s.container.name": "istio-proxy" } }, want: "istio-proxy" },
  { name: "nothing", r: {}, want: undefined },
];
for (const c of serviceCases) {
  test(`the default service label comes from ${c.name}`, () => {
    assert.equal(new LabelRules().labelsFor(rec(c.r)).service, c.want);
  });
}

test("the default rules set namespace, source and level", () => {
  const labels = new LabelRules().labelsFor(rec({ severityNumber: 13, resource: { "k8s.namespace.name": "payments", "k8s.pod.name": "api-1" } }));
  assert.deepEqual(labels, { source: "agent", namespace: "payments", level: "warn" });
});

test("rules reading high-cardinality fields are rejected unless allowed", () => {
  for (const from of [
    "resource.k8s.pod.name",
    "traceId",
    "attributes.request.id",
    "attributes.user_id",
    "attributes.url.path",
    "body",
    "attributes.client.address",
  ]) {
    assert.throws(
      () => new LabelRules({ rules: [{ label: "x", from: [from] }] }),
      (e: unknown) => e instanceof MeshlogError && e.code === "PIPELINE_CONFIG_INVALID" && e.message.includes(from),
      from,
    );
  }
  const rules = new LabelRules({ rules: [{ label: "pod", from: ["resource.k8s.pod.name"], allowHighCardinality: true }] });
  assert.equal(rules.labelsFor(rec({ resource: { "k8s.pod.name": "api-7d9f-x2" } })).pod, "api-7d9f-x2");
});

test("values that look unique per event are kept out of labels and counted", () => {
  const rules = new LabelRules();
  const labels = rules.labelsFor(rec({ attributes: { app: "4e43168a-01e6-907c-ba17-2f72fad816a8" } }));
  assert.equal(labels.service, undefined);
  assert.equal(rules.skippedHighCardinality, 1);
});

test("high-cardinality detection", () => {
  for (const v of ["4e43168a-01e6-907c-ba17-2f72fad816a8", "4bf92f3577b34da6", "10.0.0.1:8080", "user 1234567", "x".repeat(129), "2001:db8::1"])
    assert.equal(looksHighCardinality(v), true, v);
  for (const v of ["checkout", "payments", "istio-proxy", "v1.2", "error", "eu-west-1"]) assert.equal(looksHighCardinality(v), false, v);
  assert.equal(isHighCardinalityField("resource.service.name"), false);
  assert.equal(isHighCardinalityField("resource.k8s.namespace.name"), false);
});

test("unknown config keys and bad label names are config errors naming the key", () => {
  assert.throws(() => new LabelRules({ rulez: [] } as never), /label rules: unknown key "rulez"/);
  assert.throws(() => new LabelRules({ rules: [{ label: "bad-name", from: ["source"] }] }), /rules\.0\.label/);
  assert.throws(() => new LabelRules({ rules: [{ label: "x", from: ["nope"] }] }), /field "nope" is not a record field/);
});

test("keepSenderLabels false keeps only source from the sender", () => {
  const rules = new LabelRules({ keepSenderLabels: false, rules: [] });
  assert.deepEqual(rules.labelsFor(rec({ labels: { source: "loki", job: "x" } })), { source: "loki" });
});

// Field mapping of forward events to records: body, severity, trace ids, Kubernetes and Docker metadata, labels.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { forwardEntryToRecord } from "./forward-record.js";

const T = 1_700_000_000_000_000_000n;
const map = (tag: string, record: Record<string, unknown>, metadata?: Record<string, unknown>) =>
  forwardEntryToRecord(tag, metadata === undefined ? { time: T, record } : { time: T, record, metadata }, "ten", T + 5n, 1024);

describe("forwardEntryToRecord", () => {
  it("maps a Fluent Bit kubernetes record", () => {
    const r = map("kube.var.log.containers.api-7d9_payments_api-0123.log", {
      log: "GET /health 200",
      stream: "stdout",
      kubernetes: {
        pod_name: "api-7d9",
        namespace_name: "payments",
        pod_id: "uid-1",
        container_name: "api",
        host: "node-1",
        docker_id: "abc",
        container_image: "reg/api:1",
        labels: { "app.kubernetes.io/name": "checkout", tier: "web" },
      },
    });
    assert.equal(r.body, "GET /health 200");
    assert.deepEqual(r.labels, { source: "forward", service: "checkout", namespace: "payments" });
    assert.deepEqual(r.resource, {
      "k8s.pod.name": "api-7d9",
      "k8s.namespace.name": "payments",
      "k8s.pod.uid": "uid-1",
      "k8s.container.name": "api",
      "k8s.node.name": "node-1",
      "container.id": "abc",
      "container.image.name": "reg/api:1",
      "k8s.pod.label.app.kubernetes.io/name": "checkout",
      "k8s.pod.label.tier": "web",
      "service.name": "checkout",
    });
    assert.deepEqual(r.attributes, { stream: "stdout", "fluent.tag": "kube.var.log.containers.api-7d9_payments_api-0123.log" });
    assert.equal(r.timestamp, T);
    assert.equal(r.observedTimestamp, T + 5n);
    assert.equal(r.tenant, "ten");
  });

  it("maps a Docker fluentd-driver record (service from the container name, not the 12-char id tag)", () => {
    const r = map("3f2a9c1b7d4e", { container_id: "3f2a9c1b7d4e55", container_name: "/web", source: "stderr", log: "boom" });
    assert.deepEqual(r.labels, { source: "forward", service: "web" });
    assert.equal(r.resource["container.id"], "3f2a9c1b7d4e55");
    assert.equal(r.resource["container.name"], "web");
    assert.equal(r.attributes.source, "stderr");
  });

  const severities: [unknown, number, string][] = [
    ["error", 17, "error"],
    ["WARN", 13, "WARN"],
    ["debug", 5, "debug"],
    [9, 9, "INFO"],
    ["chatty", 0, "chatty"],
  ];
  for (const [level, num, text] of severities) {
    it(`maps level ${JSON.stringify(level)} to severity ${num}`, () => {
      const r = map("a", { message: "m", level });
      assert.equal(r.severityNumber, num);
      assert.equal(r.severityText, text);
      assert.equal(r.attributes.level, undefined);
    });
  }

  it("takes the body from log, then message, then msg, and keeps the others as attributes", () => {
    assert.equal(map("a", { msg: "3", message: "2" }).body, "2");
    const r = map("a", { msg: "3", message: "2", log: "1" });
    assert.equal(r.body, "1");
    assert.equal(r.attributes.message, "2");
    assert.equal(r.attributes.msg, "3");
  });

  it("keeps a record without a body field as JSON text", () => {
    const r = map("app.x", { user: "ada", n: 1, ok: true, nested: { a: [1] }, bin: new Uint8Array([104, 105]) });
    assert.equal(r.body, '{"user":"ada","n":1,"ok":true,"nested":{"a":[1]},"bin":"hi"}');
    assert.deepEqual(r.attributes, { "fluent.tag": "app.x" });
  });

  it("normalizes trace and span ids and ignores invalid ones", () => {
    const r = map("a", { log: "x", trace_id: "4BF92F3577B34DA6A3CE929D0E0E4736", span_id: "00F067AA0BA902B7" });
    assert.equal(r.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(r.spanId, "00f067aa0ba902b7");
    const bad = map("a", { log: "x", trace_id: "not-hex" });
    assert.equal(bad.traceId, "");
    assert.equal(bad.attributes.trace_id, "not-hex");
  });

  it("keeps Fluent Bit v2 metadata as fluent.metadata.* attributes", () => {
    const r = map("a", { log: "x" }, { otlp: { severity_number: 9 }, schema: 1 });
    assert.equal(r.attributes["fluent.metadata.otlp"], '{"severity_number":9}');
    assert.equal(r.attributes["fluent.metadata.schema"], "1");
  });

  it("caps the service label taken from a long tag", () => {
    const r = map(`${"s".repeat(500)}.x`, { log: "x" });
    assert.equal(r.labels.service?.length, 128);
  });

  it("rejects a body over maxLineBytes", () => {
    assert.throws(
      () => map("a", { log: "x".repeat(2000) }),
      (e: unknown) => e instanceof MeshlogError && e.code === "FORWARD_ENTRY_INVALID",
    );
  });
});

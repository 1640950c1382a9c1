import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { compileFieldRef } from "./field-ref.js";

const r: LogRecord = {
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 13,
  severityText: "Warning",
  body: "hello",
  attributes: { "url.path": "/x", empty: "" },
  resource: { "service.name": "api" },
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "",
  tenant: "t",
  labels: { source: "agent", job: "j" },
};

const cases: [string, string | undefined][] = [
  ["body", "hello"],
  ["severity", "Warning"],
  ["severityNumber", "13"],
  ["level", "warn"],
  ["traceId", "4bf92f3577b34da6a3ce929d0e0e4736"],
  ["spanId", undefined],
  ["tenant", "t"],
  ["source", "agent"],
  ["labels.job", "j"],
  ["attributes.url.path", "/x"],
  ["attributes.empty", undefined],
  ["attributes.missing", undefined],
  ["attributes.constructor", undefined],
  ["attributes.__proto__", undefined],
  ["resource.service.name", "api"],
  ["resource.toString", undefined],
];
for (const [ref, want] of cases) {
  test(`field ${ref} reads ${String(want)}`, () => {
    assert.equal(compileFieldRef(ref)(r), want);
  });
}

for (const bad of ["", "attributes", "attributes.", "labels", "foo.bar", "Body"]) {
  test(`field reference ${JSON.stringify(bad)} is rejected`, () => {
    assert.throws(
      () => compileFieldRef(bad),
      (e: unknown) => e instanceof MeshlogError && e.code === "PIPELINE_FIELD_INVALID",
    );
  });
}

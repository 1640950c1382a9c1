import { test } from "node:test";
import assert from "node:assert/strict";
import { formatLabels, streamIdOf, validateLabels } from "./labels.js";

test("stream ids depend on tenant and label set, not on object identity or key order", () => {
  const a = { service: "x", namespace: "y" };
  const b = { namespace: "y", service: "x" };
  assert.equal(streamIdOf("t", a), streamIdOf("t", b));
  assert.notEqual(streamIdOf("t", a), streamIdOf("u", a));
  assert.equal(formatLabels(b), '{namespace="y", service="x"}');
});

test("a cached stream id follows a labels object that changes after first use", () => {
  const l: Record<string, string> = { service: "x" };
  const before = streamIdOf("t", l);
  l.service = "z";
  assert.notEqual(streamIdOf("t", l), before);
  assert.equal(streamIdOf("t", l), streamIdOf("t", { service: "z" }));
  const frozen = Object.freeze({ service: "q" });
  assert.equal(streamIdOf("t", frozen), streamIdOf("t", { service: "q" }));
});

test("label validation names the offending label", () => {
  assert.throws(() => validateLabels({ "bad-name": "x" }), /bad-name/);
  assert.throws(() => validateLabels({ ok: "x".repeat(5000) }), /labels\.ok/);
  assert.deepEqual(validateLabels({ a: "1", empty: "" }), { a: "1" });
});

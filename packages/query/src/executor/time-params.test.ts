// Time and step parameters in every form Loki accepts, and malformed ones.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { parseStepParam, parseTimeParam } from "./time-params.js";

test("timestamps parse as ns, s, ms, µs, float seconds and RFC 3339", () => {
  const cases: [string, bigint][] = [
    ["1700000000123456789", 1_700_000_000_123_456_789n],
    ["1700000000", 1_700_000_000_000_000_000n],
    ["1700000000123", 1_700_000_000_123_000_000n],
    ["1700000000123456", 1_700_000_000_123_456_000n],
    ["1700000000.5", 1_700_000_000_500_000_000n],
    ["2023-11-14T22:13:20Z", 1_700_000_000_000_000_000n],
    ["2023-11-14T22:13:20.000000001Z", 1_700_000_000_000_000_001n],
    ["2023-11-15T00:13:20+02:00", 1_700_000_000_000_000_000n],
  ];
  for (const [text, want] of cases) assert.equal(parseTimeParam(text, "start"), want, text);
});

test("steps and durations parse as Prometheus durations or float seconds", () => {
  const cases: [string, bigint][] = [
    ["15s", 15_000_000_000n],
    ["60000ms", 60_000_000_000n],
    ["1m30s", 90_000_000_000n],
    ["15", 15_000_000_000n],
    ["0.5", 500_000_000n],
  ];
  for (const [text, want] of cases) assert.equal(parseStepParam(text, "step"), want, text);
});

test("malformed, truncated and hostile values are refused with the parameter name", () => {
  for (const bad of ["", "yesterday", "2023-11-14T", "1e9", "--1", "x".repeat(100_000)]) {
    assert.throws(
      () => parseTimeParam(bad, "end"),
      (e: unknown) => e instanceof MeshlogError && e.code === "QUERY_PARAM_INVALID" && /invalid end/.test(e.message),
      bad.slice(0, 20),
    );
  }
  for (const bad of ["", "-5s", "5x", "1.2.3", "ms"]) {
    assert.throws(
      () => parseStepParam(bad, "step"),
      (e: unknown) => e instanceof MeshlogError && /invalid step/.test(e.message),
      bad,
    );
  }
});

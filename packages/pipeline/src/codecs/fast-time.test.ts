import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseRfc3339Ns } from "@meshlog/core";
import { parseRfc3339Fast } from "./fast-time.js";

test("the fast RFC 3339 parser agrees with core's on generated timestamps (property)", () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }),
      fc.integer({ min: 0, max: 9 }),
      fc.nat(999_999_999),
      (d, digits, frac) => {
        const base = d.toISOString().slice(0, 19);
        const f = digits === 0 ? "" : `.${String(frac).padStart(9, "0").slice(0, digits)}`;
        const text = `${base}${f}Z`;
        assert.equal(parseRfc3339Fast(text), parseRfc3339Ns(text), text);
      },
    ),
    { numRuns: 2000 },
  );
});

test("the fast parser falls back or rejects like core on other shapes", () => {
  for (const t of [
    "2024-01-01T00:00:00+02:00",
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T0a:00:00Z",
    "x",
    "",
    "2024-01-01T00:00:00.1234567890Z",
  ]) {
    assert.equal(parseRfc3339Fast(t), parseRfc3339Ns(t), t);
  }
});

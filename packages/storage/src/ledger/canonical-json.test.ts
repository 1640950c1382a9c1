// Canonical JSON tests: key order, number and string forms, bigint, and refusal of hostile or ambiguous values.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CANONICAL_JSON_MAX_DEPTH, canonicalJson } from "./canonical-json.js";

test("known values encode to their canonical text", () => {
  const cases: Array<[unknown, string]> = [
    [{ b: 1, a: [true, null, "x"] }, '{"a":[true,null,"x"],"b":1}'],
    [{ z: { y: 2, x: 1 }, "": 0 }, '{"":0,"z":{"x":1,"y":2}}'],
    [{ n: 1e21, f: 0.1, m: -0, i: 10 }, '{"f":0.1,"i":10,"m":0,"n":1e+21}'],
    [{ big: 12345678901234567890n }, '{"big":"12345678901234567890"}'],
    [{ s: 'é\u2028\n"\\' }, '{"s":"é\u2028\\n\\"\\\\"}'],
    [{ skip: undefined, keep: 1 }, '{"keep":1}'],
    // Keys sort by UTF-16 code units (RFC 8785): "\u20ac" < "\ud83d\ude00".
    [{ "\ud83d\ude00": 1, "\u20ac": 2, a: 3 }, '{"a":3,"\u20ac":2,"\ud83d\ude00":1}'],
    [[], "[]"],
    ["plain", '"plain"'],
  ];
  for (const [value, want] of cases) assert.equal(canonicalJson(value), want);
});

test("property: canonical JSON is JSON, independent of key insertion order", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), (obj) => {
      const text = canonicalJson(obj);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(obj)));
      const reversed = Object.fromEntries(Object.entries(obj).reverse());
      assert.equal(canonicalJson(reversed), text);
      assert.equal(canonicalJson(JSON.parse(text)), text, "re-encoding is stable");
    }),
    { numRuns: 300 },
  );
});

test("values with no single JSON form are refused with a path", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i <= CANONICAL_JSON_MAX_DEPTH; i++) deep = [deep];
  const cases: Array<[string, unknown, RegExp]> = [
    ["NaN", { a: Number.NaN }, /\$\.a as canonical JSON: non-finite number NaN/],
    ["Infinity", [Infinity], /\$\[0\] as canonical JSON: non-finite/],
    ["undefined in array", [1, undefined], /\$\[1\] as canonical JSON: undefined array element/],
    ["function", { f: () => 1 }, /unsupported type function/],
    ["symbol", { s: Symbol("x") }, /unsupported type symbol/],
    ["Date", { d: new Date(0) }, /not a plain object \(Date\)/],
    ["Map", new Map(), /not a plain object \(Map\)/],
    ["Buffer", { b: Buffer.from("x") }, /not a plain object/],
    ["cycle", cyclic, /cyclic reference/],
    ["too deep", deep, /nesting deeper than 64/],
  ];
  for (const [name, value, re] of cases) assert.throws(() => canonicalJson(value), re, name);
});

test("shared (non-cyclic) references are fine", () => {
  const shared = { x: 1 };
  assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
});

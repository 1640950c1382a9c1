// SafeRegex: RE2 semantics, anchoring, fast paths agreeing with the RE2 engine, and hostile patterns.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { RE2JS } from "re2js";
import { SafeRegex, MAX_REGEX_LENGTH } from "./safe-regex.js";

const cases: [string, boolean, string, boolean][] = [
  // pattern, anchored, input, matches
  ["error", false, "an error here", true],
  ["error", true, "an error here", false],
  ["error", true, "error", true],
  ["(?i)ERROR", false, "an error", true],
  ["status=5\\d\\d", false, "x status=503 y", true],
  ["status=5\\d\\d", false, "x status=200 y", false],
  ["GET|POST", true, "POST", true],
  ["GET|POST", true, "PUT", false],
  ["^a.c$", false, "abc", true],
  [".+", true, "", false],
  [".*", true, "", true],
  ["(?P<x>\\d+)", false, "id 42", true],
  ["\\pL+", true, "héllo", true],
  ["[[:alpha:]]+", true, "abc", true],
  ["a.c", false, "a\nc", false],
  ["(?s)a.c", false, "a\nc", true],
];

test("patterns match with RE2 semantics, anchored or not", () => {
  for (const [p, anchored, input, want] of cases)
    assert.equal(SafeRegex.compile(p, { anchored }).test(input), want, `${p} ${anchored} ${JSON.stringify(input)}`);
});

test("invalid and oversized patterns are rejected with QUERY_REGEX_INVALID", () => {
  for (const p of ["(a", "a{2,1}", "(?<!x)y", "\\", "[z-a]", "a**", "x".repeat(MAX_REGEX_LENGTH + 1)]) {
    assert.throws(
      () => SafeRegex.compile(p, { where: "test" }),
      (err: unknown) => err instanceof MeshlogError && err.code === "QUERY_REGEX_INVALID" && err.message.startsWith("test:"),
      p,
    );
  }
});

test("catastrophic patterns run in linear time on long inputs", () => {
  const input = "a".repeat(100_000) + "!";
  const expect: [string, boolean][] = [
    ["(a+)+$", false],
    ["(a|a)*$", true],
    ["(a*)*b", false],
    ["(.*a){30}!$", true],
    ["^(a|aa)+$", false],
    ["(x+x+)+y", false],
    ["(a|aa)*c", false],
  ];
  for (const [p, want] of expect) assert.equal(SafeRegex.compile(p).test(input), want, p);
  assert.equal(SafeRegex.compile("(a+)+!$").test(input), true);
});

test("named groups, exec and replaceAll follow Go's semantics", () => {
  const re = SafeRegex.compile("(?P<method>[A-Z]+) (?P<path>\\S+)");
  assert.deepEqual(re.namedGroups("x GET /a b"), { method: "GET", path: "/a" });
  assert.equal(re.namedGroups("nothing"), undefined);
  assert.deepEqual(re.groupNames().sort(), ["method", "path"]);
  assert.deepEqual(SafeRegex.compile("(a)(b)?", { anchored: true }).exec("a"), ["a", "a", null]);
  assert.equal(SafeRegex.compile("(\\d+)").replaceAll("a1b22", "<$1>"), "a<1>b<22>");
  assert.equal(SafeRegex.compile("(?P<n>\\d+)").replaceAll("a1", "<${n}|${1}>"), "a<1|1>");
});

test("the fast paths agree with the RE2 engine on random inputs", () => {
  const patterns = ["abc", "(?i)AbC", "a.c", "^ab", "bc$", "a|bc", "[a-c]b", "\\d\\w", "(ab)c", "x\\.y"];
  fc.assert(
    fc.property(
      fc.constantFrom(...patterns),
      fc.boolean(),
      fc.string({ unit: fc.constantFrom("a", "b", "c", "A", "B", "x", ".", "y", "1", "\n"), maxLength: 12 }),
      (p, anchored, s) => {
        const ours = SafeRegex.compile(p, { anchored }).test(s);
        const ref = RE2JS.compile(anchored ? `^(?:${p})$` : p).test(s);
        assert.equal(ours, ref, `${p} ${anchored} ${JSON.stringify(s)}`);
      },
    ),
    { numRuns: 3000 },
  );
});

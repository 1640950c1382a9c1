// Which line filters become store needles: `|=` literals and plain-literal `|~` regexes, with or without (?i).

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogExpr } from "../language/ast.js";
import { parseExpr } from "../language/parser.js";
import { SafeRegex } from "../regex/safe-regex.js";
import { compilePipeline, regexLiteral } from "./log-pipeline.js";

const required = (q: string): readonly string[] => compilePipeline((parseExpr(q) as LogExpr).stages).requiredSubstrings;

test("plain-literal regexes are literals; anything else is not", () => {
  const cases: [string, string | undefined][] = [
    ["timeout", "timeout"],
    ["(?i)timeout", "timeout"],
    ["(?i)Error Code", "Error Code"],
    ["GET /api/v1\\.0", "GET /api/v1.0"],
    ["status=5\\d\\d", undefined],
    ["a.b", undefined],
    ["(?i)disk", undefined], // k folds to U+212A KELVIN SIGN in RE2
    ["(?i)status", undefined], // s folds to U+017F LONG S
    ["(?s)x", undefined],
    ["a|b", undefined],
    ["^start", undefined],
    ["trailing\\", undefined],
    ["Ωmega", undefined],
    ["", ""],
  ];
  for (const [re, want] of cases) assert.equal(regexLiteral(re), want, re);
});

test("every line a literal regex matches holds its literal, ignoring ASCII case for (?i)", () => {
  const lines = ["TIMEOUT waiting", "a timeout", "time out", "Tim\u0130out", "GET /api/v1.0 200", "GET /api/v1x0"];
  for (const re of ["timeout", "(?i)timeout", "(?i)TimeOut", "GET /api/v1\\.0"]) {
    const lit = regexLiteral(re) as string;
    const r = SafeRegex.compile(re, { where: "test" });
    for (const l of lines) if (r.test(l)) assert.ok(l.toLowerCase().includes(lit.toLowerCase()), `${re} matched ${l}`);
  }
});

test("required substrings come from leading |= filters and literal |~ filters, not from != or real regexes", () => {
  assert.deepEqual(required('{a="b"} |= "x1" |~ "(?i)Error" |~ "status=5.." != "y"'), ["x1", "Error"]);
  assert.deepEqual(required('{a="b"} |~ "timeout" | logfmt | line_format "z" |~ "after"'), ["timeout"]);
  assert.deepEqual(required('{a="b"} |~ "a" or "b"'), []);
  assert.deepEqual(required('{a="b"} !~ "timeout"'), []);
});

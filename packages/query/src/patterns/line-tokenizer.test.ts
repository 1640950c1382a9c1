// Tokenizing lines for pattern mining: keys as structure, variable masking, bounds on hostile input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { WILDCARD, emptyTokenized, isVariableWord, tokenizeLine } from "./line-tokenizer.js";

const limits = { maxLineLength: 4096, maxTokens: 100 };
const tok = (line: string, l = limits) => {
  const t = tokenizeLine(line, l, emptyTokenized());
  return { seps: [...t.seps], values: [...t.values], trailing: t.trailing, shape: `${t.shapeA}:${t.shapeB}` };
};
const render = (t: { seps: string[]; values: string[]; trailing: string }): string => t.values.map((v, i) => `${t.seps[i]}${v}`).join("") + t.trailing;

test("obvious variables are recognised and ordinary words are not", () => {
  const vars = [
    "503",
    "-17",
    "3.14",
    "10.0.0.1",
    "10.0.0.1:8080",
    "2025-06-15T10:00:00.123Z",
    "10:11:12.123456",
    "250ms",
    "1m30s",
    "64KiB",
    "0xdeadbeef",
    "4d72b788-ef21-4486-aed8-e47eac5efd02",
    "a3f2c1d4e5",
    "fe80::1ff:fe23",
  ];
  for (const v of vars) assert.equal(isVariableWord(v), true, v);
  const words = ["GET", "HTTP/1.1", "v2", "/api/v1/orders", "kubelet.go:2086", "user-42", "deadbeef", "cafe", "ab12", "", "-", "Received"];
  for (const w of words) assert.equal(isVariableWord(w), false, w);
});

test("key=value pairs keep the key in the structure and mask the value", () => {
  const a = tok("level=info status=503 msg=done");
  const b = tok("level=info status=200 msg=done");
  assert.deepEqual(a.values, ["info", WILDCARD, "done"]);
  assert.deepEqual(a.seps, ["level=", " status=", " msg="]);
  assert.equal(render(a), "level=info status=<_> msg=done");
  assert.deepEqual(a, b);
});

test("JSON keys and punctuation are structure; values inside strings are split on whitespace", () => {
  const t = tok('{"ts":"2025-06-15T10:00:00Z","level":"info","msg":"user 42 logged in","n":7}');
  assert.deepEqual(t.values, [WILDCARD, "info", "user", WILDCARD, "logged", "in", WILDCARD]);
  assert.equal(render(t), '{"ts":"<_>","level":"info","msg":"user <_> logged in","n":<_>}');
});

test("whitespace width does not change the shape but punctuation does", () => {
  assert.equal(tok("I0615 10:00:00.1     12 a.go:1] x").shape, tok("I0615 10:00:00.1  1234 a.go:1] x").shape);
  assert.notEqual(tok("a b c").shape, tok("a b, c").shape);
  assert.notEqual(tok("a b c").shape, tok("a b c d").shape);
  assert.notEqual(tok("k=1 j=2").shape, tok("k=1 z=2").shape);
});

test("a URL-like word before a JSON-style colon is a value, not a key", () => {
  const t = tok('output="Get \\"http://10.0.0.1:8080/healthz\\": refused"');
  assert.ok(t.values.includes("http://10.0.0.1:8080/healthz\\"));
});

test("empty and blank lines give no values", () => {
  assert.deepEqual(tok("").values, []);
  assert.deepEqual(tok("   \t ").values, []);
  assert.equal(tok("   \t ").trailing, "   \t ");
});

test("long lines are cut at maxLineLength and the rest becomes one variable", () => {
  const l = { maxLineLength: 20, maxTokens: 100 };
  const a = tok("alpha beta gamma delta epsilon zeta", l);
  const b = tok("alpha beta gamma delta omega omega omega", l);
  assert.deepEqual(a.values, ["alpha", "beta", "gamma", WILDCARD]);
  assert.deepEqual(a, b);
  // Cut inside a separator: the remainder is still one trailing variable.
  assert.deepEqual(tok("alpha beta gamma dd          x", l).values, ["alpha", "beta", "gamma", "dd", WILDCARD]);
});

test("lines with more tokens than maxTokens fold the rest into one variable", () => {
  const l = { maxLineLength: 1_000_000, maxTokens: 5 };
  const t = tok(Array.from({ length: 100_000 }, (_, i) => `w${i}`).join(" "), l);
  assert.equal(t.values.length, 5);
  assert.equal(t.values[4], WILDCARD);
  assert.deepEqual(tok("a b c d e f g h", l), tok("a b c d x y", l));
});

test("binary junk and control characters tokenize without throwing and within bounds", () => {
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let k = 0; k < 200; k++) {
    let s = "";
    const n = Math.floor(rnd() * 3000);
    for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rnd() * 0x10000));
    const t = tok(s, { maxLineLength: 1000, maxTokens: 50 });
    assert.ok(t.values.length <= 51);
    assert.ok(render(t).length <= 1000 + 3 * 51);
  }
});

test("malformed and truncated JSON and punctuation floods stay bounded", () => {
  const l = { maxLineLength: 4096, maxTokens: 100 };
  assert.deepEqual(tok('{"level":"info","msg":"half', l).values, ["info", "half"]);
  assert.deepEqual(tok('{"level":', l).values, []);
  const flood = tok("[{(".repeat(1_000_000), l);
  assert.deepEqual(flood.values, [WILDCARD]);
  assert.ok((flood.seps[0] ?? "").length <= 4096);
  const keys = tok(Array.from({ length: 50_000 }, (_, i) => `k${i}=`).join(""), l);
  assert.ok(keys.values.length <= 1 && keys.trailing.length + (keys.seps[0]?.length ?? 0) <= 4096 + 8);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatLabels, MeshlogError } from "@meshlog/core";
import { parseLokiLabels } from "./loki-labels.js";

const valid: [string, Record<string, string>][] = [
  ['{app="api"}', { app: "api" }],
  ['{level="info",app="w",lv="1"}', { level: "info", app: "w", lv: "1" }],
  ['  { a = "1" , b="2", }  ', { a: "1", b: "2" }],
  ['{msg="say \\"hi\\"\\n\\ttab\\\\"}', { msg: 'say "hi"\n\ttab\\' }],
  ['{u="\\u00e9\\x41"}', { u: "éA" }],
  ['{_private="x", Camel_9="y"}', { _private: "x", Camel_9: "y" }],
  ['{emoji="🚀 ünïcode"}', { emoji: "🚀 ünïcode" }],
];
for (const [text, want] of valid) {
  test(`parses the label string ${text}`, () => {
    assert.deepEqual(parseLokiLabels(text), want);
  });
}

const invalid: [string, string, RegExp][] = [
  ["an empty string", "", /expected "\{"/],
  ["an empty set", "{}", /at least one label/],
  ["a missing closing brace", '{a="1"', /expected "," or "\}"/],
  ["an unterminated value", '{a="1}', /unterminated value/],
  ["a name starting with a digit", '{1a="x"}', /expected a label name/],
  ["a regex matcher", '{a=~"x"}', /only the = matcher/],
  ["a negative matcher", '{a!="x"}', /expected "="/],
  ["a duplicate name", '{a="1",a="2"}', /duplicate label name "a"/],
  ["trailing text", '{a="1"} extra', /unexpected text after/],
  ["a single-quoted value", "{a='1'}", /double-quoted/],
  ["an invalid escape", '{a="\\q"}', /invalid escape/],
  ["a short unicode escape", '{a="\\u12"}', /invalid \\u escape/],
  ["an unescaped newline", '{a="x\ny"}', /unescaped newline/],
  ["a label string over the size limit", `{a="${"x".repeat(70_000)}"}`, /the limit is/],
  ["a bare word", "hello", /expected "\{"/],
];
for (const [title, text, message] of invalid) {
  test(`rejects ${title} with a message giving the problem`, () => {
    assert.throws(
      () => parseLokiLabels(text),
      (err: unknown) => err instanceof MeshlogError && err.code === "LOKI_LABELS_INVALID" && message.test(err.message),
    );
  });
}

test("parsing the canonical form of any label set gives the label set back", () => {
  const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
  fc.assert(
    fc.property(fc.dictionary(name, fc.string({ minLength: 1, maxLength: 30 }), { minKeys: 1, maxKeys: 8 }), (labels) => {
      assert.deepEqual(parseLokiLabels(formatLabels(labels)), { ...labels });
    }),
    { numRuns: 300 },
  );
});

test("never throws anything but a labels error on arbitrary input", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (text) => {
      try {
        parseLokiLabels(text);
      } catch (err) {
        assert.ok(err instanceof MeshlogError && err.code === "LOKI_LABELS_INVALID", String(err));
      }
    }),
    { numRuns: 1000 },
  );
});

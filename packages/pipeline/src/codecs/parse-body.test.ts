import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BODY_FORMATS } from "./body-format.js";
import { detectFormat, parseBody } from "./parse-body.js";
import { parseLogfmtPairs } from "./logfmt/logfmt-body.js";
import { flattenJson } from "./json/json-body.js";

const hostile: { name: string; line: string }[] = [
  { name: "a 4 MiB line of one character", line: "a".repeat(4 * 1024 * 1024 - 1) },
  { name: "deeply nested JSON arrays", line: "[".repeat(200_000) + "]".repeat(200_000) },
  { name: "deeply nested JSON objects", line: '{"a":'.repeat(50_000) + "1" + "}".repeat(50_000) },
  { name: "unterminated deep JSON", line: '{"a":'.repeat(100_000) },
  { name: "many quotes", line: '"'.repeat(500_000) },
  { name: "envoy-looking head with endless quotes", line: `[2024-01-01T00:00:00Z] "${'" '.repeat(100_000)}` },
  { name: "nginx-looking head with endless brackets", line: `1.2.3.4 - - [${"[".repeat(200_000)}` },
  { name: "logfmt with many equal signs", line: "a=".repeat(200_000) },
  { name: "logfmt with many keys", line: "k=v ".repeat(200_000) },
  { name: "logfmt with escapes", line: `k="${"\\".repeat(300_001)}` },
  { name: "CRI-looking spaces", line: `2024-01-01T00:00:00Z${" ".repeat(300_000)}` },
  { name: "syslog-looking PRI run", line: "<1>".repeat(200_000) },
  { name: "control characters and NULs", line: "\u0000\u0001\u0002\u001b[31m".repeat(50_000) },
  { name: "lone surrogates", line: "\ud800\udfff\ud800".repeat(50_000) },
];

for (const h of hostile) {
  test(`parseBody completes on ${h.name} without throwing`, () => {
    const p = parseBody(h.line);
    assert.equal(typeof p.format, "string");
    assert.equal(typeof p.fields, "object");
    for (const f of BODY_FORMATS) parseBody(h.line.slice(0, 200_000), f);
  });
}

test("lines over maxLineLength are left plain", () => {
  assert.deepEqual(parseBody('{"level":"error"}', "auto", { maxLineLength: 5 }), { format: "plain", fields: {} });
});

test("a fixed format that does not match gives plain", () => {
  assert.deepEqual(parseBody("hello", "istio"), { format: "plain", fields: {} });
  assert.deepEqual(parseBody('{"a":1}', "linkerd-json"), { format: "plain", fields: {} });
});

test("parseBody never throws and always returns string fields (property)", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.constantFrom("auto" as const, ...BODY_FORMATS), (line, format) => {
      const p = parseBody(line, format);
      for (const v of Object.values(p.fields)) assert.equal(typeof v, "string");
      if (p.severityNumber !== undefined) assert.ok(p.severityNumber >= 1 && p.severityNumber <= 24);
    }),
    { numRuns: 3000 },
  );
});

test("detectFormat recognizes each family", () => {
  const cases: [string, string][] = [
    ['{"msg":"x"}', "json"],
    ["level=info msg=x", "logfmt"],
    ['[2016-04-15T20:17:00.310Z] "POST /a HTTP/2" 204 - 154 0 226 100 "-" "-" "-" "-" "-"', "envoy"],
    ["2016-10-06T00:17:09.669794202Z stdout F x", "cri"],
    ['{"log":"x\\n","stream":"stdout","time":"2019-01-01T11:11:11Z"}', "docker"],
    ["<13>Oct 11 22:14:15 host app: x", "syslog-rfc3164"],
    ["<13>1 - - - - - -", "syslog-rfc5424"],
    ["plain text", "plain"],
  ];
  for (const [line, want] of cases) assert.equal(detectFormat(line), want, line);
});

test("logfmt pairs survive quoting (property)", () => {
  const key = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,10}$/);
  const value = fc.string({ maxLength: 20 });
  fc.assert(
    fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 8 }), (obj) => {
      const line = Object.entries(obj)
        .map(([k, v]) => `${k}=${JSON.stringify(v).replace(/\\u[0-9a-f]{4}/g, "?")}`)
        .join(" ");
      const parsed = parseLogfmtPairs(line);
      assert.ok(parsed !== undefined);
      assert.deepEqual(Object.keys(parsed).sort(), Object.keys(obj).sort());
    }),
    { numRuns: 500 },
  );
});

test("flattenJson respects the field limit", () => {
  const obj: Record<string, number> = {};
  for (let i = 0; i < 1000; i++) obj[`k${i}`] = i;
  assert.equal(Object.keys(flattenJson(obj, { maxDepth: 4, maxFields: 10 })).length, 10);
});

test("__proto__ keys in JSON, logfmt and Docker attrs are stored as _proto_", () => {
  assert.deepEqual(parseBody('{"__proto__":{"x":1},"a":"b"}').fields, { "_proto_.x": "1", a: "b" });
  assert.deepEqual(parseBody("__proto__=1 toString=2 level=info").fields, { _proto_: "1", toString: "2", level: "info" });
  assert.equal(parseBody('{"log":"x\\n","stream":"stdout","time":"2019-01-01T00:00:00Z","attrs":{"__proto__":"p"}}').fields["docker.attrs._proto_"], "p");
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

// Line parsers and label filters on malformed, truncated, oversized and hostile lines.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { LabelsBuilder } from "./labels-builder.js";
import {
  compilePattern,
  jsonParser,
  logfmtParser,
  matchPattern,
  parseJsonPath,
  patternParser,
  regexpParser,
  unpackParser,
  type LineParser,
} from "./line-parsers.js";
import { IpMatcher, parseIp } from "./ip-match.js";
import { parseBytes, parseGoDurationSeconds } from "./units.js";

function run(p: LineParser, line: string, stream: Record<string, string> = {}): { labels: Record<string, string>; line: string | undefined } {
  const lb = new LabelsBuilder(stream, () => ({}));
  const out = p(line, lb);
  return { labels: lb.all(), line: out };
}

test("json flattens nested objects, skips arrays and suffixes clashing names", () => {
  const r = run(jsonParser([]), '{"a":1,"b":{"c":"x","d":{"e":true}},"arr":[1,2],"n":null,"user-agent":"ua","1x":"y","app":"z"}', { app: "s" });
  assert.deepEqual(r.labels, { app: "s", a: "1", b_c: "x", b_d_e: "true", user_agent: "ua", _1x: "y", app_extracted: "z" });
});

test("json field expressions pick nested values and array elements", () => {
  const r = run(
    jsonParser([
      { label: "first", expr: "servers[0]" },
      { label: "ua", expr: 'headers["User-Agent"]' },
      { label: "obj", expr: "o" },
      { label: "deep", expr: "o.p" },
    ]),
    '{"servers":["a","b"],"headers":{"User-Agent":"curl"},"o":{"p":1}}',
  );
  assert.deepEqual(r.labels, { first: "a", ua: "curl", obj: '{"p":1}', deep: "1" });
  assert.deepEqual(parseJsonPath('a.b[2]["c d"]'), ["a", "b", 2, "c d"]);
  for (const bad of ["", ".a", "a[", "a[x]"]) assert.throws(() => parseJsonPath(bad), MeshlogError, bad);
});

test("json on malformed, truncated and non-object lines sets JSONParserErr", () => {
  for (const line of ["{", '{"a":', "not json", "[1,2]", '"str"', "", '{"a":1}}']) {
    const r = run(jsonParser([]), line);
    assert.equal(r.labels.__error__, "JSONParserErr", line);
  }
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  assert.equal(run(jsonParser([]), deep).labels.__error__ !== undefined || true, true);
  const nested = '{"a":'.repeat(5000) + "1" + "}".repeat(5000);
  assert.doesNotThrow(() => run(jsonParser([]), nested));
});

test("logfmt parses quoted values and escapes; strict mode reports syntax errors", () => {
  assert.deepEqual(run(logfmtParser(false, false, []), 'a=1 b="two words" c="q\\"uote" d= e flag'.trim()).labels, { a: "1", b: "two words", c: 'q"uote' });
  assert.deepEqual(run(logfmtParser(false, true, []), "a=1 d= flag").labels, { a: "1" });
  assert.deepEqual(run(logfmtParser(false, false, [{ label: "x", expr: "a" }]), "a=1 b=2").labels, { x: "1" });
  for (const line of ['a="unterminated', 'a=1 "b"=2', 'k=v"x'])
    assert.equal(run(logfmtParser(true, false, []), line).labels.__error__, "LogfmtParserErr", line);
  assert.equal(run(logfmtParser(false, false, []), 'a="unterminated').labels.__error__, undefined);
});

test("pattern captures between literals and rejects bad patterns", () => {
  const p = compilePattern('<ip> - <_> [<ts>] "<method> <path> <_>" <status>', 1);
  assert.deepEqual(matchPattern(p, '1.2.3.4 - - [01/Jan] "GET /a HTTP/1.1" 200'), [
    ["ip", "1.2.3.4"],
    ["ts", "01/Jan"],
    ["method", "GET"],
    ["path", "/a"],
    ["status", "200"],
  ]);
  assert.equal(matchPattern(p, "garbage"), undefined);
  assert.deepEqual(run(patternParser("<a>:<b>"), "x:y:z").labels, { a: "x", b: "y:z" });
  for (const bad of ["<a><b>", "no captures", "<a> <a>", ""]) assert.throws(() => compilePattern(bad, 1), MeshlogError, bad);
});

test("regexp extracts named groups and requires at least one", () => {
  assert.deepEqual(run(regexpParser("(?P<method>\\w+) (?P<path>\\S+)"), "GET /x").labels, { method: "GET", path: "/x" });
  assert.throws(() => regexpParser("(\\w+)"), /no named capture/);
  assert.throws(() => regexpParser("(?P<x"), MeshlogError);
});

test("unpack restores packed labels and the original line", () => {
  const r = run(unpackParser, '{"_entry":"original line","pod":"p1","n":5}');
  assert.equal(r.line, "original line");
  assert.deepEqual(r.labels, { pod: "p1" });
  assert.equal(run(unpackParser, "oops").labels.__error__, "JSONParserErr");
});

test("parsers never throw on arbitrary input", () => {
  const parsers = [
    jsonParser([]),
    logfmtParser(true, true, []),
    logfmtParser(false, false, []),
    unpackParser,
    patternParser("<a> <b>"),
    regexpParser("(?P<a>.*)=(?P<b>.*)"),
  ];
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      for (const p of parsers) run(p, s);
    }),
    { numRuns: 1000 },
  );
  const big = "k=" + "v".repeat(1 << 20);
  assert.equal(run(logfmtParser(false, false, []), big).labels.k?.length, 1 << 20);
});

test("ip matching handles v4, v6, CIDR and ranges", () => {
  assert.equal(new IpMatcher("10.0.0.0/8").matches("10.255.1.2"), true);
  assert.equal(new IpMatcher("10.0.0.0/8").matches("11.0.0.1"), false);
  assert.equal(new IpMatcher("192.168.0.1-192.168.0.10").matches("192.168.0.5"), true);
  assert.equal(new IpMatcher("::1").matches("0:0:0:0:0:0:0:1"), true);
  assert.equal(new IpMatcher("2001:db8::/32").matches("2001:db8:1::5"), true);
  assert.equal(new IpMatcher("::ffff:0:0/96").matches("::ffff:1.2.3.4"), true);
  assert.equal(new IpMatcher("10.0.0.0/8").matchesLine("conn from 10.1.2.3:443 ok"), true);
  for (const bad of ["300.1.1.1", "1.2.3.4/33", "1.2.3.9-1.2.3.1", "x", "1:2:3", "01.2.3.4"]) assert.throws(() => new IpMatcher(bad), MeshlogError, bad);
  assert.equal(parseIp("1:2:3:4:5:6:7:8:9"), undefined);
});

test("durations and byte sizes convert like Go and humanize", () => {
  const d: [string, number | undefined][] = [
    ["1m30s", 90],
    ["250ms", 0.25],
    ["-2h", -7200],
    ["0", 0],
    ["1.5h", 5400],
    ["1x", undefined],
    ["", undefined],
    ["s", undefined],
  ];
  for (const [t, want] of d) assert.equal(parseGoDurationSeconds(t), want, t);
  const b: [string, number | undefined][] = [
    ["20MB", 20e6],
    ["1KiB", 1024],
    ["42", 42],
    ["1.5 GB", 1.5e9],
    ["5b", 5],
    ["3xb", undefined],
  ];
  for (const [t, want] of b) assert.equal(parseBytes(t), want, t);
});

// Native NDJSON parsing: valid lines become records; malformed, truncated, oversized and hostile lines are rejected one by one.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNativeNdjson } from "./native-ndjson.js";
import { NativeLineContext, nativeLineToRecord } from "./native-record.js";

const MAX = 1024;
const parse = (text: string, ctx?: NativeLineContext) => parseNativeNdjson(text, "t1", "native", MAX, ctx);

test("a valid line becomes a record with defaults filled in", () => {
  const { records, rejected } = parse(
    '{"timestamp":"1700000000000000001","body":"hello","labels":{"app":"api"},"attributes":{"code":200,"ok":true,"n":null,"o":{"a":1}},"severity":"warn","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7"}\n',
  );
  assert.deepEqual(rejected, []);
  assert.equal(records.length, 1);
  const r = records[0]!;
  assert.equal(r.timestamp, 1700000000000000001n);
  assert.equal(r.body, "hello");
  assert.equal(r.tenant, "t1");
  assert.deepEqual({ ...r.labels }, { app: "api", source: "native" });
  assert.deepEqual(r.attributes, { code: "200", ok: "true", o: '{"a":1}' });
  assert.deepEqual(r.resource, {});
  assert.equal(r.severityText, "warn");
  assert.ok(r.severityNumber >= 13 && r.severityNumber <= 16);
  assert.equal(r.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.equal(r.spanId, "00f067aa0ba902b7");
  assert.ok(r.observedTimestamp > 0n);
});

test("records of one batch share the receive time, and a missing timestamp takes it", () => {
  const { records } = parse('{"body":"a"}\n{"body":"b"}');
  assert.equal(records.length, 2);
  assert.equal(records[0]!.observedTimestamp, records[1]!.observedTimestamp);
  assert.equal(records[0]!.timestamp, records[0]!.observedTimestamp);
});

test("an explicit source label is kept and equal label sets give equal labels", () => {
  const ctx = new NativeLineContext();
  const { records } = parse(
    '{"body":"a","labels":{"source":"envoy","app":"x"}}\n{"body":"b","labels":{"app":"x","source":"envoy"}}\n{"body":"c","labels":{"app":"x"}}',
    ctx,
  );
  assert.deepEqual({ ...records[0]!.labels }, { source: "envoy", app: "x" });
  assert.deepEqual({ ...records[1]!.labels }, { app: "x", source: "envoy" });
  assert.deepEqual({ ...records[2]!.labels }, { app: "x", source: "native" });
});

test("label sets that would print alike with naive separators stay distinct in the cache", () => {
  const ctx = new NativeLineContext();
  const first = parse('{"body":"a","labels":{"a":"b","c":"d"}}', ctx);
  assert.equal(first.rejected.length, 0);
  // The same characters in one (invalid) label name must not hit the cached valid set.
  const hostile = parse(JSON.stringify({ body: "x", labels: { "1:a1:b1:c": "d" } }), ctx);
  assert.equal(hostile.records.length, 0);
  assert.match(hostile.rejected[0]!.error, /not a valid label name/);
  const hostile2 = parse(JSON.stringify({ body: "x", labels: { a: "b\u0001c" } }), ctx);
  assert.equal(hostile2.records.length, 1);
  assert.equal(hostile2.records[0]!.labels.a, "b\u0001c");
});

test("an invalid label set is rejected every time, not only the first", () => {
  const ctx = new NativeLineContext();
  const { records, rejected } = parse('{"body":"a","labels":{"__x":"1"}}\n{"body":"b","labels":{"__x":"1"}}', ctx);
  assert.equal(records.length, 0);
  assert.deepEqual(
    rejected.map((r) => r.line),
    [1, 2],
  );
});

test("labels with non-string values are converted like other maps (numbers as text, nulls dropped)", () => {
  const { records, rejected } = parse('{"body":"a","labels":{"code":5,"gone":null}}');
  assert.deepEqual(rejected, []);
  assert.deepEqual({ ...records[0]!.labels }, { code: "5", source: "native" });
});

const bad: { name: string; line: string; error: RegExp }[] = [
  { name: "malformed JSON", line: '{"body": "x"', error: /invalid JSON/ },
  { name: "truncated in a string", line: '{"body":"abc', error: /invalid JSON/ },
  { name: "a JSON array", line: '["body"]', error: /must be a JSON object/ },
  { name: "a JSON string", line: '"body"', error: /must be a JSON object/ },
  { name: "null", line: "null", error: /must be a JSON object/ },
  { name: "an unknown field", line: '{"body":"x","evil":1}', error: /unknown field "evil"/ },
  { name: "a __proto__ field", line: '{"body":"x","__proto__":{"polluted":1}}', error: /unknown field "__proto__"/ },
  { name: "no body", line: '{"labels":{}}', error: /body is required/ },
  { name: "labels as an array", line: '{"body":"x","labels":["a"]}', error: /labels must be an object/ },
  { name: "labels as a string", line: '{"body":"x","labels":"a=b"}', error: /labels must be an object/ },
  { name: "attributes as a number", line: '{"body":"x","attributes":3}', error: /attributes must be an object/ },
  { name: "a bad timestamp", line: '{"body":"x","timestamp":"yesterday"}', error: /timestamp/ },
  { name: "a negative timestamp", line: '{"body":"x","timestamp":-5}', error: /timestamp/ },
  { name: "a bad severityNumber", line: '{"body":"x","severityNumber":99}', error: /severityNumber/ },
  { name: "a numeric severity", line: '{"body":"x","severity":3}', error: /severity must be a string/ },
  { name: "a non-hex traceId", line: '{"body":"x","traceId":"zz"}', error: /traceId/ },
  { name: "a numeric spanId", line: '{"body":"x","spanId":12}', error: /spanId/ },
  { name: "an oversized body", line: JSON.stringify({ body: "x".repeat(MAX + 1) }), error: /longer than the limit/ },
  { name: "a body oversized only in UTF-8 bytes", line: JSON.stringify({ body: "é".repeat(MAX / 2 + 1) }), error: /longer than the limit/ },
  { name: "a too long label value", line: JSON.stringify({ body: "x", labels: { a: "v".repeat(3000) } }), error: /limit/ },
];

for (const c of bad) {
  test(`a line with ${c.name} is rejected with its line number and the others are kept`, () => {
    const { records, rejected } = parse(`{"body":"ok1"}\n${c.line}\n{"body":"ok2"}\n`);
    assert.deepEqual(
      records.map((r) => r.body),
      ["ok1", "ok2"],
    );
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.line, 2);
    assert.match(rejected[0]!.error, c.error);
  });
}

test("a multi-byte body just under the byte limit is accepted", () => {
  const { records, rejected } = parse(JSON.stringify({ body: "é".repeat(MAX / 2) }));
  assert.deepEqual(rejected, []);
  assert.equal(records.length, 1);
});

test("blank lines, CRLF endings and surrounding spaces are tolerated and line numbers count every line", () => {
  const { records, rejected } = parse('\n  {"body":"a"}  \r\n\r\n{"body":"b"}\r\nnot json\n');
  assert.deepEqual(
    records.map((r) => r.body),
    ["a", "b"],
  );
  assert.deepEqual(
    rejected.map((r) => r.line),
    [5],
  );
});

test("an empty body yields nothing and a non-string body is stored as JSON", () => {
  assert.deepEqual(parse(""), { records: [], rejected: [] });
  assert.equal(parse('{"body":{"k":[1,2]}}').records[0]!.body, '{"k":[1,2]}');
});

test("deeply nested and huge hostile lines are rejected or bounded without crashing", () => {
  const deep = `{"body":"x","attributes":${"[".repeat(5000)}${"]".repeat(5000)}}`;
  const r1 = parse(deep);
  assert.equal(r1.records.length + r1.rejected.length, 1);
  const many = parse(Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? "{" : `{"body":"l${i}"}`)).join("\n"));
  assert.equal(many.records.length + many.rejected.length, 2000);
  assert.equal(many.rejected.length, 667);
});

test("the label cache stays bounded under many distinct label sets", () => {
  const ctx = new NativeLineContext();
  for (let b = 0; b < 3; b++) {
    const text = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ body: "x", labels: { pod: `p${b}-${i}` } })).join("\n");
    const { records, rejected } = parse(text, ctx);
    assert.equal(records.length, 3000);
    assert.equal(rejected.length, 0);
    assert.equal(records[2999]!.labels.pod, `p${b}-2999`);
  }
});

test("nativeLineToRecord works without a shared context", () => {
  const r = nativeLineToRecord({ body: "x", labels: { a: "1" } }, "t", "native", MAX);
  assert.deepEqual({ ...r.labels }, { a: "1", source: "native" });
  assert.ok(r.observedTimestamp > 0n);
});

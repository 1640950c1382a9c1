// parseBulk over repeated action lines: each line is checked as if parsed alone, ids and indexes per line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { parseBulk } from "./es-bulk.js";

const NOW = 1_795_000_000_000_000_000n;
const parse = (text: string, index?: string) => parseBulk(text, index, "t1", NOW, 4096, 0);
const items = (text: string, index?: string): unknown[] => parse(text, index).items.map((i) => JSON.parse(i) as unknown);

test("repeated action lines keep each document's index, id and sequence number", () => {
  const a = '{"create":{"_index":"logs-a"}}';
  const withId = '{"index":{"_index":"logs-b","_id":"x1"}}';
  const text = [a, '{"message":"1"}', a, '{"message":"2"}', withId, '{"message":"3"}', withId, '{"message":"4"}', a, '{"message":"5"}'].join("\n") + "\n";
  const r = parse(text);
  assert.equal(r.errors, false);
  assert.deepEqual(
    r.records.map((x) => [x.body, x.labels.index, x.attributes._id]),
    [
      ["1", "logs-a", undefined],
      ["2", "logs-a", undefined],
      ["3", "logs-b", "x1"],
      ["4", "logs-b", "x1"],
      ["5", "logs-a", undefined],
    ],
  );
  const got = items(text) as Record<string, { _index: string; _id: string; _seq_no: number; status: number }>[];
  assert.deepEqual(
    got.map((i) => Object.keys(i)[0]),
    ["create", "create", "index", "index", "create"],
  );
  assert.deepEqual(
    got.map((i) => Object.values(i)[0]?._seq_no),
    [0, 1, 2, 3, 4],
  );
  const ids = got.map((i) => Object.values(i)[0]?._id);
  assert.equal(ids[2], "x1");
  assert.equal(ids[3], "x1");
  assert.equal(new Set([ids[0], ids[1], ids[4]]).size, 3, "generated ids stay unique across a repeated action line");
});

test("a repeated delete or update action is refused per item every time", () => {
  const del = '{"delete":{"_index":"logs","_id":"1"}}';
  const upd = '{"update":{"_index":"logs","_id":"2"}}';
  const r = parse([del, del, upd, '{"doc":{}}', upd, '{"doc":{}}'].join("\n") + "\n");
  assert.equal(r.errors, true);
  assert.equal(r.rejected, 4);
  assert.equal(r.records.length, 0);
  assert.deepEqual(
    r.items.map((i) => Object.keys(JSON.parse(i) as object)[0]),
    ["delete", "delete", "update", "update"],
  );
});

test("an action without an index takes the path's index, each time it repeats", () => {
  const bare = '{"create":{}}';
  const r = parse(`${bare}\n{"message":"a"}\n${bare}\n{"message":"b"}\n`, "logs-path");
  assert.deepEqual(
    r.records.map((x) => x.labels.index),
    ["logs-path", "logs-path"],
  );
  const none = parse(`${bare}\n{"message":"a"}\n${bare}\n{"message":"b"}\n`);
  assert.equal(none.rejected, 2);
});

test("a malformed action line after valid ones is refused, naming its line", () => {
  const a = '{"create":{"_index":"logs"}}';
  for (const [bad, re] of [
    ['{"create":{"_index":"logs"}', /Malformed action\/metadata line \[5\], expected a JSON object/],
    ['{"create":[]}', /line \[5\], the \[create\] metadata must be an object/],
    ['{"upsert":{}}', /line \[5\], expected field \[create\], \[delete\], \[index\] or \[update\] but found \[upsert\]/],
    ["[1]", /line \[5\], expected START_OBJECT/],
  ] as const) {
    assert.throws(
      () => parse([a, '{"message":"1"}', a, '{"message":"2"}', bad, '{"message":"3"}'].join("\n") + "\n"),
      (err: unknown) => err instanceof MeshlogError && err.code === "ES_BULK_INVALID" && re.test(err.message),
      bad,
    );
  }
});

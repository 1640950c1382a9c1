// Tests of row inference for audit events, including hostile and oversized answers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { inferRows, MAX_ROWS_SCAN_BYTES } from "./audit-rows.js";

test("rows are counted in every Loki answer shape and nothing else", () => {
  const cases: [unknown, number | undefined][] = [
    [
      {
        status: "success",
        data: {
          resultType: "streams",
          result: [
            {
              stream: {},
              values: [
                ["1", "a"],
                ["2", "b"],
              ],
            },
            { stream: {}, values: [["3", "c"]] },
          ],
        },
      },
      3,
    ],
    [
      {
        status: "success",
        data: {
          resultType: "matrix",
          result: [
            { metric: {}, values: [] },
            { metric: {}, values: [] },
          ],
        },
      },
      2,
    ],
    [{ status: "success", data: { resultType: "vector", result: [] } }, 0],
    [{ status: "success", data: ["app", "namespace"] }, 2],
    [{ volumes: [1, 2, 3] }, 3],
    [{ events: [], count: 0 }, 0],
    [[1, 2], 2],
    [{ status: "success", data: { resultType: "streams", result: [{ stream: {}, values: "nope" }] } }, 0],
    [{ streams: 4, chunks: 1, entries: 9, bytes: 100 }, undefined],
    [{ ok: true }, undefined],
    ["text", undefined],
    [null, undefined],
  ];
  for (const [body, rows] of cases) assert.equal(inferRows(JSON.stringify(body)), rows, JSON.stringify(body));
});

test("malformed, truncated and oversized answers yield no count", () => {
  assert.equal(inferRows(""), undefined);
  assert.equal(inferRows("{"), undefined);
  assert.equal(inferRows('{"data": [1, 2'), undefined);
  assert.equal(inferRows("ready\n"), undefined);
  assert.equal(inferRows("[" + "1,".repeat(MAX_ROWS_SCAN_BYTES / 2) + "1]"), undefined);
  assert.equal(inferRows("[".repeat(100_000)), undefined);
});

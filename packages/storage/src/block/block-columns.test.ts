// Column layout: the previous layout version (1) still decodes; unknown versions are refused.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "./byte-writer.js";
import { COLUMNS_VERSION, decodeColumns, encodeColumns } from "./block-columns.js";

const labels = { service: "api" };

/** A version 1 plaintext written field by field as the v1 spec describes it. */
function v1Plaintext(): Buffer {
  const w = new ByteWriter();
  w.u8(1);
  w.bytes(Buffer.alloc(16, 7));
  w.uvarint(3);
  w.i64(1000n); // timestamps 1000, 1010, 1030: delta-of-delta 10, 10
  w.bigSvarint(10n);
  w.bigSvarint(10n);
  for (const d of [5n, -5n, 0n]) w.bigSvarint(d);
  w.bytes(Buffer.from([9, 13, 17]));
  w.u8(0); // severityText dictionary
  w.uvarint(1);
  w.str("INFO");
  for (const i of [1, 0, 1]) w.uvarint(i);
  const bodies = ["first 2026-11-01T00:00:00Z", "second", "trace 4bf92f3577b34da6a3ce929d0e0e4736"];
  for (const b of bodies) w.uvarint(Buffer.byteLength(b));
  for (const b of bodies) w.bytes(Buffer.from(b));
  w.bytes(Buffer.from([0, 1, 3])); // traceId tags
  w.bytes(Buffer.from("00f067aa0ba902b700f067aa0ba902b7", "hex"));
  w.uvarint(6);
  w.bytes(Buffer.from([0, 2, 0])); // spanId tags
  w.str("span-x");
  w.u8(0); // resource dictionary
  w.uvarint(1);
  w.str('{"host.name":"h1"}');
  for (let i = 0; i < 3; i++) w.uvarint(1);
  w.uvarint(0); // no frequent attribute keys
  w.uvarint(1);
  w.str("pod");
  w.uvarint(1);
  w.uvarint(0);
  w.str("p-1");
  w.uvarint(0);
  w.uvarint(0);
  return Buffer.from(w.finish());
}

test("a version 1 column layout still decodes to the same records", () => {
  const { salt, records } = decodeColumns(v1Plaintext(), "t1", labels);
  assert.deepEqual(salt, Buffer.alloc(16, 7));
  assert.deepEqual(
    records.map((r) => [r.timestamp, r.observedTimestamp, r.severityNumber, r.severityText, r.body, r.traceId, r.spanId, r.attributes, r.resource]),
    [
      [1000n, 1005n, 9, "INFO", "first 2026-11-01T00:00:00Z", "", "", { pod: "p-1" }, { "host.name": "h1" }],
      [1010n, 1005n, 13, "", "second", "00f067aa0ba902b700f067aa0ba902b7", "span-x", {}, { "host.name": "h1" }],
      [1030n, 1030n, 17, "INFO", "trace 4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", "", {}, { "host.name": "h1" }],
    ],
  );
});

test("the current layout round-trips the same records and is smaller on repetitive lines", () => {
  const { records } = decodeColumns(v1Plaintext(), "t1", labels);
  const v2 = encodeColumns(records, Buffer.alloc(16, 7));
  assert.equal(v2[0], COLUMNS_VERSION);
  assert.deepEqual(decodeColumns(v2, "t1", labels).records, records);
});

test("unknown layout versions and trailing bytes are refused", () => {
  const bad = v1Plaintext();
  bad[0] = 99;
  assert.throws(() => decodeColumns(bad, "t1", labels), /unsupported column layout version 99/);
  assert.throws(() => decodeColumns(Buffer.concat([v1Plaintext(), Buffer.from([0])]), "t1", labels), /trailing bytes/);
  const cur = encodeColumns(
    [
      {
        timestamp: 5n,
        observedTimestamp: 5n,
        severityNumber: 9,
        severityText: "",
        body: "x 1",
        attributes: {},
        resource: {},
        traceId: "",
        spanId: "",
        tenant: "t1",
        labels,
      },
    ],
    Buffer.alloc(16),
  );
  for (let cut = 0; cut < cur.length; cut++) assert.throws(() => decodeColumns(cur.subarray(0, cut), "t1", labels), `cut at ${cut}`);
});

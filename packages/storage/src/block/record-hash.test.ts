// Record hash tests: batch leaf hashes equal the one-by-one definition; the block root equals the ledger's tree hash.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { merkleRoot } from "../ledger/merkle.js";
import { canonicalRecordJson, merkleRootOf, recordLeafHash, recordLeafHashes, recordsMerkleRoot } from "./record-hash.js";
import { CanonicalJsonWriter } from "./canonical-json-writer.js";

const leaf = (i: number): Buffer => createHash("sha256").update(`leaf ${i}`).digest();

test("merkleRootOf gives the ledger's tree hash for 0 to 300 leaves", () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leaf(i));
  for (let n = 0; n <= 300; n++) assert.deepEqual(merkleRootOf(leaves.slice(0, n)), merkleRoot(leaves.slice(0, n)), `${n} leaves`);
});

test("merkleRootOf is order-sensitive and does not alter its leaves", () => {
  const leaves = Array.from({ length: 5 }, (_, i) => leaf(i));
  const copies = leaves.map((l) => Buffer.from(l));
  const root = merkleRootOf(leaves);
  assert.deepEqual(leaves, copies);
  assert.notDeepEqual(merkleRootOf([...leaves].reverse()), root);
  // A leaf of the wrong size still hashes exactly as the ledger does.
  const odd = [...leaves, Buffer.from("short")];
  assert.deepEqual(merkleRootOf(odd), merkleRoot(odd));
});

const labels = Object.freeze({ service: "api", source: "native" });

function rec(over: Partial<LogRecord>): LogRecord {
  return {
    timestamp: 1_700_000_000_000_000_000n,
    observedTimestamp: 1_700_000_000_000_000_001n,
    severityNumber: 9,
    severityText: "INFO",
    body: "GET /x 200",
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "t1",
    labels,
    ...over,
  };
}

test("batch leaf hashes equal recordLeafHash for escapes, non-ASCII, lone surrogates and unsorted keys", () => {
  const salt = Buffer.alloc(16, 7);
  const records = [
    rec({}),
    rec({ body: 'quote " backslash \\ tab \t nl \n nul \u0000 del \u007f', attributes: { b: "2", a: "1", "": "empty key" } }),
    rec({ body: "é 日本 😀 \ud800 lone \udc00", resource: { "host.name": "ü", "a b": "x\u2028y" }, severityText: "ÉRROR" }),
    rec({
      body: "x".repeat(20_000),
      attributes: { ["k".repeat(3000)]: "v".repeat(9000) },
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
    }),
    rec({ labels: { service: "other", source: "näive" }, timestamp: -5n, observedTimestamp: 0n, severityNumber: 0, tenant: "t-2" }),
  ];
  const batch = recordLeafHashes(salt, records);
  records.forEach((r, i) => assert.deepEqual(batch[i], recordLeafHash(salt, r), `record ${i}`));
});

test("the canonical JSON writer gives the bytes of canonicalRecordJson (property)", () => {
  const text = fc.string({ unit: "grapheme-composite", maxLength: 80 });
  const anyText = fc.oneof(text, fc.string({ unit: "binary", maxLength: 80 }), fc.string({ maxLength: 80 }));
  const map = fc.dictionary(anyText, anyText, { maxKeys: 4 }).map((d) => ({ ...d }));
  fc.assert(
    fc.property(anyText, map, map, anyText, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (body, attributes, resource, severityText, ts) => {
      const r = rec({ body, attributes, resource, severityText, timestamp: ts });
      const w = new CanonicalJsonWriter(8);
      w.record(r, Buffer.from(JSON.stringify(labels)));
      assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(canonicalRecordJson(r), "utf8"));
    }),
    { numRuns: 1000 },
  );
});

test("the canonical JSON writer escapes ASCII control characters, quotes and backslashes as JSON.stringify (property)", () => {
  const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 80 });
  fc.assert(
    fc.property(ascii, ascii, (body, value) => {
      const r = rec({ body, attributes: { [value]: body }, severityText: value });
      const w = new CanonicalJsonWriter(8);
      w.record(r, Buffer.from(JSON.stringify(labels)));
      assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(canonicalRecordJson(r), "utf8"));
    }),
    { numRuns: 1000 },
  );
});

test("recordsMerkleRoot equals the root over recordLeafHashes for 0 to 70 records, mixed labels included", () => {
  const salt = Buffer.alloc(16, 3);
  const records = Array.from({ length: 70 }, (_, i) =>
    rec({
      body: i % 3 === 0 ? `{"k":"v ${i}","q":"\"\u0001"}` : `line ${i} é \ud800`,
      attributes: i % 5 === 0 ? { z: "1", a: String(i) } : {},
      labels: i % 7 === 6 ? { service: "other" } : labels,
      timestamp: BigInt(i),
    }),
  );
  for (let n = 0; n <= records.length; n++) {
    const some = records.slice(0, n);
    assert.deepEqual(recordsMerkleRoot(salt, some), merkleRootOf(recordLeafHashes(salt, some)), `${n} records`);
    if (n > 0) assert.deepEqual(recordsMerkleRoot(salt, some), merkleRoot(some.map((r) => recordLeafHash(salt, r))), `${n} records (ledger tree)`);
  }
});

// Row needles: which rows a scan may drop, table-driven, and the block read path that applies them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { LogRecord } from "@meshlog/core";
import { openAesGcm, sealAesGcm } from "../crypto/aead.js";
import { prng, sampleRecord } from "../engine/sample-records.js";
import { openBlock, sealBlock } from "./block-codec.js";
import { RowNeedles } from "./row-match.js";

const row = {
  body: 'GET /api/v1/Orders 200 "Go-http-client/1.1"',
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  attributes: { pod: "checkout-7d9" },
  resource: { "host.name": "node-3" },
};

test("a row passes when every needle occurs in its indexed text, ignoring ASCII case", () => {
  const cases: [string[], boolean][] = [
    [[], true],
    [["/api/v1/orders"], true],
    [["GO-HTTP"], true],
    [["4bf92f35"], true],
    [["a902b7"], true],
    [["checkout-7d9"], true],
    [["NODE-3"], true],
    [["orders", "node-3"], true],
    [["orders", "node-4"], false],
    [["POST"], false],
    [["Ωmega"], true], // non-ASCII needles never drop rows
    [[""], true],
    [[...Array.from({ length: 40 }, () => "orders"), "POST"], true], // needles past the 32nd never drop rows
    [["POST", ...Array.from({ length: 40 }, () => "orders")], false],
  ];
  for (const [needles, want] of cases) {
    const n = new RowNeedles(needles);
    const body = Buffer.from(row.body);
    const mask = n.scanBodies(Buffer.concat([Buffer.from("POST orders"), body]), Uint32Array.from([11, 11 + body.length]))[1] as number;
    const viaScan = mask === n.all || n.matchesRest(mask, row.traceId, row.spanId, row.attributes, row.resource);
    assert.equal(viaScan, want, `scan: ${JSON.stringify(needles)}`);
    if (needles.length <= 32) assert.equal(n.matches(row.body, row.traceId, row.spanId, row.attributes, row.resource), want, JSON.stringify(needles));
  }
});

test("a block read with needles returns exactly the rows holding them, and still checks the row count", () => {
  const rnd = prng(11);
  const labels = { service: "api" };
  const records = Array.from({ length: 400 }, (_, i) => sampleRecord(rnd, "t1", labels, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n));
  const cipher = { seal: sealAesGcm, open: openAesGcm };
  const dataKey = randomBytes(32);
  const sealed = sealBlock(
    records,
    {
      blockId: "0000018bcfe56800abcdef012345",
      tenant: "t1",
      streamId: "0123456789abcdef",
      labels,
      keyId: "k",
      dataKey,
      wrappedKey: randomBytes(60),
      retentionClass: "default",
      legalHold: false,
      prevBlockHash: "",
      createdAt: 1n,
      walSeqMax: 1,
    },
    cipher,
  );
  for (const needle of ["status=500", "user-1", (records[17] as LogRecord).traceId.slice(4, 20), "absent-needle-xyz"]) {
    const opened = openBlock(sealed.bytes, sealed.header, dataKey, cipher, false, new RowNeedles([needle]));
    const want = records.filter((r) => new RowNeedles([needle]).matches(r.body, r.traceId, r.spanId, r.attributes, r.resource));
    assert.deepEqual(opened.records, want, needle);
    assert.ok(
      want.every((r) =>
        (r.body + r.traceId + r.spanId + Object.values(r.attributes).join(" ") + Object.values(r.resource).join(" "))
          .toLowerCase()
          .includes(needle.toLowerCase()),
      ),
    );
  }
  const bad = Buffer.from(sealed.bytes);
  assert.throws(() => openBlock(bad, { ...sealed.header, meta: { ...sealed.header.meta, rows: 399 } }, dataKey, cipher, false, new RowNeedles(["x"])));
});

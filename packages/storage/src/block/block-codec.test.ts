// Block tests: property round trip, Merkle root, header parsing against truncated and hostile bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { GramBloom } from "./block-bloom.js";
import { openAesGcm, sealAesGcm } from "../crypto/aead.js";
import { openBlock, plaintextRootOf, sealBlock, sortByTime, buildBloom, type BlockCipher, type SealInput } from "./block-codec.js";
import { parseBlockHeader, BlockFormatError } from "./block-format.js";
import { prng, sampleRecord } from "../engine/sample-records.js";

const cipher: BlockCipher = { seal: sealAesGcm, open: openAesGcm };
const labels = { service: "api", source: "native" };

function input(over: Partial<SealInput> = {}): SealInput {
  return {
    blockId: "0000018bcfe56800abcdef012345",
    tenant: "t1",
    streamId: "0123456789abcdef",
    labels,
    keyId: "kek-1",
    dataKey: randomBytes(32),
    wrappedKey: randomBytes(60),
    retentionClass: "default",
    legalHold: false,
    prevBlockHash: "",
    createdAt: 1n,
    walSeqMax: 7,
    ...over,
  };
}

const str = fc.string({ unit: "grapheme", maxLength: 40 });
const recordArb = fc.record({
  timestamp: fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }),
  obsDelta: fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.constantFrom("", "INFO", "WARN", "error", "Ünknown"),
  body: fc.oneof(
    str,
    fc.string({ maxLength: 400 }),
    // Lines full of template variables: times, uuids, hex ids, numbers, escapes.
    fc
      .tuple(
        fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
        fc.uuid(),
        fc.stringMatching(/^[0-9a-f]{16,40}$/),
        fc.nat(),
        fc.constantFrom("", "\u0010", "\u0014", "é"),
      )
      .map(([d, u, h, n, x]) => `[${d.toISOString()}] ${x}GET /v${n % 3}/x ${n} ${u} trace=${h} user-0${n}`),
  ),
  attributes: fc.dictionary(fc.constantFrom("user", "status", "pod", "path", "x", "y\u00e9", "__proto__x"), str, { maxKeys: 5 }),
  resource: fc.dictionary(fc.constantFrom("service.name", "host.name"), str, { maxKeys: 2 }),
  traceId: fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{32}$/), str),
  spanId: fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{16}$/), str),
});

test("any records survive seal and open unchanged, with a matching Merkle root", () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 60 }),
      fc.constantFrom("brotli", "gzip", "none") as fc.Arbitrary<"brotli" | "gzip" | "none">,
      (rows, codec) => {
        const records: LogRecord[] = sortByTime(
          rows.map((r) => ({
            timestamp: r.timestamp,
            observedTimestamp: r.timestamp + r.obsDelta,
            severityNumber: r.severityNumber,
            severityText: r.severityText,
            body: r.body,
            attributes: { ...r.attributes },
            resource: { ...r.resource },
            traceId: r.traceId,
            spanId: r.spanId,
            tenant: "t1",
            labels,
          })),
        );
        const inp = input({ codec });
        const sealed = sealBlock(records, inp, cipher);
        const header = parseBlockHeader(sealed.bytes);
        assert.equal(header.headerHash, sealed.header.headerHash);
        assert.equal(header.meta.rows, records.length);
        assert.equal(header.meta.minTime, records[0]?.timestamp);
        const opened = openBlock(sealed.bytes, header, inp.dataKey, cipher, true);
        assert.deepEqual(opened.records, records);
        assert.equal(plaintextRootOf(opened), header.meta.plaintextRoot);
      },
    ),
    { numRuns: 150 },
  );
});

test("realistic lines round trip and every substring of a body or attribute passes the bloom", () => {
  const rnd = prng(3);
  const records = Array.from({ length: 2000 }, (_, i) => sampleRecord(rnd, "t1", labels, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n));
  const inp = input();
  const sealed = sealBlock(records, inp, cipher);
  const opened = openBlock(sealed.bytes, sealed.header, inp.dataKey, cipher, true);
  assert.deepEqual(opened.records, records);
  const bloom = new GramBloom(sealed.header.bloom, sealed.header.meta.bloom);
  for (const r of records.slice(0, 300)) {
    for (let i = 0; i + 8 <= r.body.length; i += 7) assert.ok(bloom.mightContain(r.body.slice(i, i + 8).toUpperCase()), r.body.slice(i, i + 8));
    assert.ok(bloom.mightContain(r.attributes["user_id"] ?? ""));
    if (r.traceId !== "") assert.ok(bloom.mightContain(r.traceId));
  }
  let fp = 0;
  for (let i = 0; i < 2000; i++) if (bloom.mightContain(`needle-${i}-f00dfeed`)) fp++;
  assert.ok(fp < 40, `false positive rate ${fp}/2000 is above 2%`);
  assert.ok(sealed.bytes.length - sealed.header.cipherOffset < sealed.header.meta.plainBytes / 3, "compressed");
});

test("a wrong key, a changed header byte or a changed ciphertext byte fail to open", () => {
  const rnd = prng(5);
  const records = Array.from({ length: 50 }, (_, i) => sampleRecord(rnd, "t1", labels, 1_700_000_000_000_000_000n + BigInt(i)));
  const inp = input();
  const { bytes, header } = sealBlock(records, inp, cipher);
  assert.throws(() => openBlock(bytes, header, randomBytes(32), cipher), { code: "BLOCK_CORRUPT" });
  const c = Buffer.from(bytes);
  c.writeUInt8(c.readUInt8(header.cipherOffset + 20) ^ 1, header.cipherOffset + 20);
  assert.throws(() => openBlock(c, header, inp.dataKey, cipher, true), /ciphertext SHA-256/);
  assert.throws(() => openBlock(c, header, inp.dataKey, cipher, false), { code: "BLOCK_CORRUPT" });
  const h = Buffer.from(bytes);
  h.writeUInt8(h.readUInt8(40) ^ 1, 40);
  assert.throws(() => parseBlockHeader(h), BlockFormatError);
});

test("header parsing rejects truncated, oversized and hostile inputs with an offset", () => {
  const rnd = prng(6);
  const { bytes, header } = sealBlock([sampleRecord(rnd, "t1", labels, 5n)], input(), cipher);
  for (const cut of [0, 5, 12, 16, 40, header.aadEnd, header.headerEnd, header.headerEnd + 2]) {
    assert.throws(
      () => parseBlockHeader(bytes.subarray(0, cut)),
      (e: unknown) => e instanceof BlockFormatError && typeof e.offset === "number",
    );
  }
  const big = Buffer.from(bytes);
  big.writeUInt32LE(0x7fffffff, 12);
  assert.throws(() => parseBlockHeader(big), /too large/);
  const v2 = Buffer.from(bytes);
  v2.writeUInt16LE(99, 8);
  assert.throws(() => parseBlockHeader(v2), /version 99/);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
      try {
        parseBlockHeader(Buffer.concat([bytes.subarray(0, 12), Buffer.from(junk)]));
      } catch (e) {
        assert.ok(e instanceof BlockFormatError, String(e));
      }
    }),
  );
});

test("the bloom covers resource values, is folded to at most half full and stays within its size bounds", () => {
  const rnd = prng(9);
  const one = buildBloom([sampleRecord(rnd, "t1", labels, 1n)]);
  assert.ok(one.mightContain("prod"), "resource values are indexed");
  assert.equal(one.bytes().length, 64);
  const many = Array.from({ length: 40000 }, (_, i) => sampleRecord(rnd, "t1", labels, BigInt(i)));
  const manyBloom = buildBloom(many);
  assert.equal(manyBloom.kind, "text4x", "random ids fill the hex grams, so they are left out");
  assert.ok(manyBloom.bytes().length <= 16384, `bloom of 40000 id-heavy lines is ${manyBloom.bytes().length} bytes`);
  for (const r of many.slice(0, 200)) {
    assert.ok(manyBloom.mightContain(r.traceId), "a pure-hex needle is never pruned by a text4x bloom");
    for (let i = 0; i + 8 <= r.body.length; i += 5) assert.ok(manyBloom.mightContain(r.body.slice(i, i + 8)), r.body.slice(i, i + 8));
  }
  const fewIds = Array.from({ length: 300 }, (_, i) => ({ ...(many[i] as LogRecord), body: `GET /orders 200 user-${i}` }));
  const fewBloom = buildBloom(fewIds);
  assert.equal(fewBloom.kind, "text4", "few ids keep the full bloom");
  assert.equal(fewBloom.mightContain("0123456789abcdef0123456789abcdef"), false, "an absent trace id is pruned");
  assert.ok(fewBloom.mightContain((fewIds[7] as LogRecord).traceId));
  const repetitive = Array.from({ length: 20000 }, (_, i) => ({
    ...(many[i] as LogRecord),
    body: `GET /healthz 200 ${i % 10}`,
    attributes: {},
    traceId: "",
    spanId: "",
  }));
  const small = buildBloom(repetitive);
  assert.ok(small.bytes().length <= 1024, `repetitive text folds to ${small.bytes().length} bytes`);
  for (let i = 0; i < 10; i++) assert.ok(small.mightContain(`healthz 200 ${i}`));
  let ones = 0;
  for (const b of small.bytes()) for (let k = 0; k < 8; k++) ones += (b >> k) & 1;
  assert.ok(ones / (small.bytes().length * 8) <= 0.5);
});

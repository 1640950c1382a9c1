// Bloom builder tests: grams collected while encoding body templates give the same bits as whole records.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { buildGramBloom, GramBloomBuilder, type GramBloom } from "./block-bloom.js";
import { encodeColumns } from "./block-columns.js";
import { prng, sampleRecord } from "../engine/sample-records.js";

const labels = { service: "api", source: "native" };
const T0 = 1_793_491_200_000_000_000n;

function rec(body: string, i: number, over: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: T0 + BigInt(i) * 1_000_000n,
    observedTimestamp: T0 + BigInt(i) * 1_000_000n,
    severityNumber: 9,
    severityText: "",
    body,
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "t1",
    labels,
    ...over,
  };
}

/** The bloom as the sealer builds it: body grams from the template encoder, then the other fields. */
function sealerBloom(records: readonly LogRecord[], budget: number): GramBloom {
  const grams = new GramBloomBuilder(records, 65536);
  encodeColumns(records, Buffer.alloc(16), grams);
  for (const r of records) grams.addRecordFields(r);
  return grams.finish(0.5, budget);
}

function assertSameBloom(records: readonly LogRecord[], budget = Number.POSITIVE_INFINITY): void {
  const a = sealerBloom(records, budget);
  const b = buildGramBloom(records, 65536, 0.5, budget);
  assert.equal(a.kind, b.kind);
  assert.deepEqual(Buffer.from(a.bytes()), Buffer.from(b.bytes()));
}

test("blooms built while encoding templates equal blooms over whole records (mesh lines)", () => {
  const rnd = prng(11);
  const records = Array.from({ length: 3000 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 5_000_000n));
  assertSameBloom(records);
  assertSameBloom(records, 4096);
  assertSameBloom(records.slice(0, 7));
});

test("variables at both ends, escapes, non-ASCII and upper case reach the bloom", () => {
  const bodies = [
    "12 start and end 34",
    "99 start and end 1",
    "deadbeefdeadbeef0123 x 2026-11-01T00:00:00.5Z",
    "cafebabecafebabe4567 x 2026-11-01T00:00:07Z",
    "esc \u0010\u0011 7 \u0014 done",
    "esc \u0010\u0011 8 \u0014 done",
    "Ünïcode 5 日本語 ÉTÉ",
    "Ünïcode 6 日本語 ÉTÉ",
    "UPPER Case 123e4567-e89b-12d3-a456-426614174000 Tail",
    "UPPER Case 00000000-e89b-12d3-a456-42661417400f Tail",
    "abc",
    "",
    "1",
  ];
  const records = bodies.map((b, i) => rec(b, i, i % 2 === 0 ? { attributes: { k: `v ${i}` }, traceId: "4bf92f3577b34da6a3ce929d0e0e4736" } : {}));
  assertSameBloom(records);
  // Every gram of every body is found, also the ones around variables of later rows of a template.
  const bloom = sealerBloom(records, Number.POSITIVE_INFINITY);
  for (const b of bodies) for (let i = 0; i + 4 <= b.length; i++) assert.ok(bloom.mightContain(b.slice(i, i + 4)), `${JSON.stringify(b)} at ${i}`);
  assert.ok(bloom.mightContain("99 start and end 1"));
  assert.ok(bloom.mightContain("cafebabecafebabe4567"));
});

test("bloom built while encoding equals the whole-record bloom (property)", () => {
  const piece = fc.oneof(
    fc.constantFrom("GET /a ", "user-", " status=", "\u0010", "é", "Z", "-", " "),
    fc.integer({ min: 0, max: 99999 }).map(String),
    fc.constantFrom("4bf92f3577b34da6a3ce929d0e0e4736", "123e4567-e89b-12d3-a456-426614174000", "2026-11-01T00:00:00.123Z", "00f067aa0ba902b7"),
    fc.string({ maxLength: 6 }),
  );
  const body = fc.array(piece, { maxLength: 8 }).map((ps) => ps.join(""));
  fc.assert(
    fc.property(fc.array(body, { minLength: 1, maxLength: 40 }), (bodies) => {
      assertSameBloom(bodies.map((b, i) => rec(b, i)));
    }),
    { numRuns: 300 },
  );
});

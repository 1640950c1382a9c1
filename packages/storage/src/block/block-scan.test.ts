// Column-level needle scan: property tests against the row-by-row filter, the case-insensitive finder, hostile input.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogRecord } from "@meshlog/core";
import { prng, sampleRecord } from "../engine/sample-records.js";
import { decodeColumns, encodeColumns } from "./block-columns.js";
import { scanView } from "./block-scan.js";
import { CaselessFinder } from "./caseless-finder.js";
import { ColumnView } from "./column-view.js";
import { RowNeedles } from "./row-match.js";

const T0 = 1_700_000_000_000_000_000n;
const labels = { service: "api" };
const salt = Buffer.alloc(16, 7);

/** Body pieces that exercise every template variable kind, escapes, case and non-ASCII text. */
const piece = fc.oneof(
  fc.constantFrom(
    "GET ",
    "Get ",
    "status=",
    "user-",
    "USER-",
    " ",
    '"',
    "\\",
    "~",
    "Ωmega ",
    "ÀB",
    "{",
    "}",
    ":",
    "-",
    ".",
    "T",
    "Z",
    "x\u0010y",
    "\u0011",
    "\u0014",
  ),
  fc.integer({ min: 0, max: 99999 }).map(String),
  fc.constantFrom("007", "0", "1234567890123456789"),
  fc.stringMatching(/^[0-9a-f]{16,24}$/),
  fc.uuid(),
  fc.constantFrom("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:21.000000001Z", "2023-02-30T00:00:00Z"),
  fc.string({ maxLength: 6 }),
);

const body = fc.array(piece, { maxLength: 12 }).map((ps) => ps.join(""));
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

const recordArb = fc.record({
  body,
  trace: fc.oneof(fc.constant(""), hex32, fc.constantFrom("not-hex", "ABC")),
  span: fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9a-f]{16}$/)),
  attrs: fc.dictionary(fc.constantFrom("pod", "path", "user", "k"), fc.oneof(body, fc.constantFrom('Quote"d', "Back\\slash"))).map((d) => ({ ...d })),
  res: fc.dictionary(fc.constantFrom("host.name", "service.name"), fc.constantFrom("node-1", "Node-2", "api")).map((d) => ({ ...d })),
  dt: fc.integer({ min: 0, max: 3_000_000_000 }),
});

function toRecords(
  rows: readonly { body: string; trace: string; span: string; attrs: Record<string, string>; res: Record<string, string>; dt: number }[],
): LogRecord[] {
  let ts = T0;
  return rows.map((r) => {
    ts += BigInt(r.dt);
    // Use the trace id inside the body sometimes, so ids stored as body offsets are covered.
    const b = r.trace !== "" && r.dt % 3 === 0 ? `${r.body} trace=${r.trace}` : r.body;
    return {
      timestamp: ts,
      observedTimestamp: ts + 5n,
      severityNumber: 9,
      severityText: "INFO",
      body: b,
      attributes: r.attrs,
      resource: r.res,
      traceId: r.trace,
      spanId: r.span,
      tenant: "t1",
      labels,
    };
  });
}

/** Needles: pieces of the bodies (with random case changes) and of the other fields, plus arbitrary short text. */
function needleFrom(records: readonly LogRecord[], pick: number, start: number, len: number, upper: boolean, extra: string): string {
  const texts = records.flatMap((r) => [r.body, r.traceId, ...Object.values(r.attributes), ...Object.values(r.resource)]).filter((t) => t !== "");
  if (texts.length === 0 || pick % 5 === 4) return extra;
  const t = texts[pick % texts.length] as string;
  const s = t.slice(start % Math.max(1, t.length), (start % Math.max(1, t.length)) + len);
  return upper ? s.toUpperCase() : s;
}

function expectSame(records: readonly LogRecord[], needles: readonly string[]): void {
  const plain = encodeColumns(records, salt);
  const rn = new RowNeedles(needles);
  const want = records.filter((r) => rn.matches(r.body, r.traceId, r.spanId, r.attributes, r.resource));
  const got = scanView(new ColumnView(plain), rn, "t1", labels);
  assert.deepEqual(got, want, `needles ${JSON.stringify(needles)}`);
  const old = decodeColumns(plain, "t1", labels, rn).records;
  assert.deepEqual(old, want, `row path, needles ${JSON.stringify(needles)}`);
}

test("the column scan returns exactly the rows the row-by-row filter accepts (random blocks and needles)", () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.string({ minLength: 1, maxLength: 4 })), {
        minLength: 1,
        maxLength: 3,
      }),
      (rows, specs) => {
        const records = toRecords(rows);
        const needles = specs.map(([p, s, l, u, e]) => needleFrom(records, p, s, l, u, e));
        expectSame(records, needles);
      },
    ),
    { numRuns: 300, seed: 20261125 },
  );
});

test("the column scan agrees with the row filter on realistic mesh lines, for template-only, variable and mixed needles", () => {
  const rnd = prng(5);
  const records = Array.from({ length: 600 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 1_000_000n));
  const needles = [
    "~~~",
    "status=500",
    "user-1",
    "USER-12",
    "payment authorized",
    "GET /api/v1/orders",
    "Request Completed",
    (records[17] as LogRecord).traceId.slice(4, 20),
    "2023-11",
    "absent-needle-xyz",
    "checkout",
  ];
  for (const n of needles) expectSame(records, [n]);
  expectSame(records, ["status=", "user-"]);
  expectSame(records, ["GET", "~~~"]);
});

test("a column view builds the same records as the full decoder for any row subset", () => {
  const rnd = prng(9);
  const records = Array.from({ length: 300 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 3_000_000n));
  const plain = encodeColumns(records, salt);
  const view = new ColumnView(plain);
  assert.equal(view.rows, 300);
  assert.deepEqual(view.salt, salt);
  const all = Uint32Array.from(records.keys());
  assert.deepEqual(view.records(all, "t1", labels), decodeColumns(plain, "t1", labels).records);
  const some = Uint32Array.from([0, 7, 150, 299]);
  assert.deepEqual(
    view.records(some, "t1", labels),
    [...some].map((i) => records[i]),
  );
});

test("the case-insensitive finder finds what a search of lower-cased text finds", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-z0-9 ~.\-/]{1,6}$/), fc.nat(80), (hay, needle, from) => {
      const bytes = Buffer.from(hay, "utf8");
      const lowered = Buffer.from(bytes.map((c) => (c >= 65 && c <= 90 ? c + 32 : c)));
      const f = new CaselessFinder(needle);
      assert.equal(f.indexIn(bytes, from), lowered.indexOf(Buffer.from(needle, "latin1"), from));
    }),
    { numRuns: 500, seed: 7 },
  );
  const f = new CaselessFinder("payment");
  assert.equal(f.indexIn(Buffer.from("xx PAYment PaYmEnT")), 3);
  assert.equal(f.indexIn(Buffer.from("xx PAYment PaYmEnT"), 4), 11);
  assert.equal(f.indexIn(Buffer.from("paymen")), -1);
});

test("a truncated or damaged column plaintext is rejected with an error, never a hang or a wrong row count", () => {
  const rnd = prng(3);
  const records = Array.from({ length: 120 }, (_, i) => sampleRecord(rnd, "t1", labels, T0 + BigInt(i) * 1_000_000n));
  const plain = encodeColumns(records, salt);
  for (const cut of [0, 1, 17, 20, 40, Math.floor(plain.length / 2), plain.length - 1]) {
    assert.throws(() => {
      const v = new ColumnView(plain.subarray(0, cut));
      // The tail (ids, attributes) is only read when rows are built.
      v.records(Uint32Array.from(records.keys()), "t1", labels);
    }, `cut at ${cut}`);
  }
  const rn = new RowNeedles(["status"]);
  const mutate = prng(99);
  for (let k = 0; k < 200; k++) {
    const bad = Buffer.from(plain);
    for (let j = 0; j < 3; j++) bad[Math.floor(mutate() * bad.length)] = Math.floor(mutate() * 256);
    try {
      const v = new ColumnView(bad);
      const got = scanView(v, rn, "t1", labels);
      assert.ok(got.length <= v.rows);
    } catch (e) {
      assert.ok(e instanceof Error);
    }
  }
  // An oversized row count is refused up front.
  const huge = Buffer.concat([plain.subarray(0, 17), Buffer.from([0xff, 0xff, 0xff, 0x7f])]);
  assert.throws(() => new ColumnView(huge), /row count/);
  assert.throws(() => new ColumnView(Buffer.from([1, ...salt, 0])), /layout version 2/);
});

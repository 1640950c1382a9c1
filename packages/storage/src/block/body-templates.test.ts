// Body template encoding: exact round trip of any text (property), variable detection, hostile encoded input.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";
import { BODY_TEMPLATE_TESTING, decodeBodies } from "./body-templates.js";
import { BODY_TEMPLATE_ENCODER_TESTING, encodeBodies } from "./body-template-encoder.js";

const T0 = 1_793_577_600_000_000_000n; // 2026-11-01T00:00:00Z

function roundTrip(bodies: readonly string[], timestamps: readonly bigint[]): { bytes: Buffer; out: string[] } {
  const w = new ByteWriter();
  encodeBodies(w, bodies, timestamps);
  const bytes = Buffer.from(w.finish());
  const r = new ByteReader(bytes);
  const out = decodeBodies(r, timestamps);
  assert.equal(r.remaining, 0, "the decoder consumes exactly what the encoder wrote");
  return { bytes, out };
}

/** Pieces that exercise every variable kind and its edge cases. */
const piece = fc.oneof(
  fc.constantFrom(
    "2026-11-01T00:00:00.005Z",
    "2026-11-01T00:00:00Z",
    "1999-12-31T23:59:59.123456789Z",
    "2026-02-30T00:00:00Z",
    "0000-01-01T00:00:00.1Z",
    "2026-11-01T25:00:00Z",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "4BF92F3577B34DA6A3CE929D0E0E4736",
    "00f067aa0ba902b7",
    "0123456789012345",
    "abcdefabcdefabcdefa",
    "123e4567-e89b-12d3-a456-426614174000",
    "123e4567-e89b-12d3-a456-42661417400",
    "0",
    "007",
    "9007199254740993",
    "123456789012345678901234567890",
    "user-12345",
    "x86_64",
    "10.1.4.7:8080",
    "\u0010",
    "\u0011",
    "\u0012\u0013\u0014",
    "é",
    "😀",
    " ",
    "-",
    '"',
  ),
  fc.string({ maxLength: 6 }),
  fc.stringMatching(/^[0-9a-f]{1,40}$/),
  fc.nat().map(String),
);
const body = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));

test("any body round-trips exactly, whatever its timestamp", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(body, fc.bigInt({ min: 0n, max: (1n << 62n) - 1n })), { minLength: 1, maxLength: 40 }), (rows) => {
      const bodies = rows.map(([b]) => b);
      const ts = rows.map(([, t]) => t);
      assert.deepEqual(roundTrip(bodies, ts).out, bodies);
    }),
    { numRuns: 400 },
  );
});

test("arbitrary unicode text round-trips exactly", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "binary", maxLength: 200 }), { minLength: 1, maxLength: 20 }), (bodies) => {
      assert.deepEqual(
        roundTrip(
          bodies,
          bodies.map(() => T0),
        ).out,
        bodies,
      );
    }),
    { numRuns: 300 },
  );
});

test("variables are recognised and the template keeps only the static text", () => {
  const { parseTemplate } = BODY_TEMPLATE_TESTING;
  const { split } = BODY_TEMPLATE_ENCODER_TESTING;
  const cases: [string, number, string[]][] = [
    ["[2026-11-01T00:00:00.005Z] GET 200", 2, ["[", "] GET ", ""]],
    ['{"trace":"4bf92f3577b34da6a3ce929d0e0e4736"}', 1, ['{"trace":"', '"}']],
    ["id=123e4567-e89b-12d3-a456-426614174000.", 1, ["id=", "."]],
    ["user-007", 1, ["user-00", ""]],
    ["word4bf92f3577b34da6a3ce929d0e0e4736", 10, []],
    ["GET /healthz", 0, ["GET /healthz"]],
  ];
  for (const [text, slots, parts] of cases) {
    const spans: number[] = [];
    const tpl = split(text, spans);
    const parsed = parseTemplate(tpl);
    assert.equal(parsed.slots.length, slots, text);
    assert.equal(spans.length, slots * 4, text);
    if (parts.length > 0) assert.deepEqual(parsed.parts, parts, text);
  }
});

test("realistic lines shrink: ids become bytes, numbers varints, and the timestamp a zero delta", () => {
  const bodies: string[] = [];
  const ts: bigint[] = [];
  for (let i = 0; i < 500; i++) {
    const t = T0 + BigInt(i) * 5_000_000n;
    const iso = new Date(Number(t / 1_000_000n)).toISOString();
    const id = (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, "a").slice(0, 32);
    bodies.push(JSON.stringify({ ts: iso, level: "info", msg: "request completed", user_id: `user-${i * 37}`, latency_ms: i % 900, trace_id: id }));
    ts.push(t);
  }
  const { bytes, out } = roundTrip(bodies, ts);
  assert.deepEqual(out, bodies);
  const raw = bodies.reduce((n, b) => n + b.length, 0);
  assert.ok(bytes.length < raw / 3, `encoded ${bytes.length} bytes from ${raw}`);
});

test("truncated, out-of-range and junk encodings throw instead of decoding garbage", () => {
  const bodies = ["a 1 2026-11-01T00:00:00.005Z 4bf92f3577b34da6a3ce929d0e0e4736", "b 2", "c"];
  const ts = [T0, T0, T0];
  const { bytes } = roundTrip(bodies, ts);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => {
      const r = new ByteReader(bytes.subarray(0, cut));
      decodeBodies(r, ts);
    }, `cut at ${cut}`);
  }
  const badIndex = new ByteWriter();
  badIndex.uvarint(1);
  badIndex.str("x");
  badIndex.uvarint(5);
  assert.throws(() => decodeBodies(new ByteReader(badIndex.finish()), [T0]), /template index 5 out of range/);
  const tooMany = new ByteWriter();
  tooMany.uvarint(1_000_000);
  assert.throws(() => decodeBodies(new ByteReader(tooMany.finish()), [T0]), /template count/);
  const badEsc = new ByteWriter();
  badEsc.uvarint(1);
  badEsc.str("x\u0010");
  badEsc.uvarint(0);
  assert.throws(() => decodeBodies(new ByteReader(badEsc.finish()), [T0]), /escape/);
  const badTs = new ByteWriter();
  badTs.uvarint(1);
  badTs.str("\u0014");
  badTs.uvarint(0);
  badTs.u8(12);
  badTs.svarint(0);
  assert.throws(() => decodeBodies(new ByteReader(badTs.finish()), [T0]), /precision 12/);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
      try {
        decodeBodies(new ByteReader(junk), [T0, T0]);
      } catch (e) {
        assert.ok(e instanceof Error);
      }
    }),
  );
});

// The snappy block decoder: round trips with the snappyjs compressor, and refusals of hostile blocks (including
// one that sends the snappyjs decoder into an endless loop).

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compress } from "snappyjs";
import { decodeSnappyBlock, SnappyBlockError, snappyUncompressedLength } from "./snappy-block.js";

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ""), "hex");

test("round trips whatever the reference compressor produces (repetitive, random and empty inputs)", () => {
  const repetitive = fc.array(fc.constantFrom("GET /api ", "200 ", "user=u1 ", "x", "\n"), { maxLength: 2000 }).map((a) => Buffer.from(a.join("")));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), repetitive), (input) => {
      const packed = compress(Buffer.from(input));
      assert.deepEqual(Buffer.from(decodeSnappyBlock(packed, 1 << 20)), Buffer.from(input));
    }),
    { numRuns: 300 },
  );
  const big = Buffer.alloc(200_000, "abcabcabd");
  assert.deepEqual(Buffer.from(decodeSnappyBlock(compress(big), 1 << 20)), big, "long overlapping copies");
});

test("decodes hand-written elements: literal, 1-byte, 2-byte and 4-byte offset copies, overlapping copies", () => {
  // length 10: literal "ab", copy len 8 offset 2 (1-byte offset form) -> "ababababab"
  assert.equal(Buffer.from(decodeSnappyBlock(hex("0a 04 61 62 11 02"), 100)).toString(), "ababababab");
  // length 5: literal "abc", copy len 2 offset 3 with a 2-byte offset -> "abcab"
  assert.equal(Buffer.from(decodeSnappyBlock(hex("05 08 616263 06 0300"), 100)).toString(), "abcab");
  // the same copy with a 4-byte offset
  assert.equal(Buffer.from(decodeSnappyBlock(hex("05 08 616263 07 03000000"), 100)).toString(), "abcab");
  // a literal whose length is in one extra byte (tag 60 << 2): 61 bytes of 'z'
  assert.equal(Buffer.from(decodeSnappyBlock(Buffer.concat([hex("3d f0 3c"), Buffer.alloc(61, "z")]), 100)).toString(), "z".repeat(61));
  assert.equal(decodeSnappyBlock(hex("00"), 100).length, 0, "an empty block");
});

test("refuses hostile and damaged blocks with a reason, in bounded time", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["the input that loops snappyjs forever", hex("2ffc981cdaa89d"), /refers to offset|runs past|truncated|declared/],
    ["a preamble of more than 32 bits", hex("ffffffffff0f"), /bad length preamble/],
    ["an unterminated preamble", hex("8080"), /bad length preamble/],
    ["a literal past the end of the input", hex("05 10 6162"), /truncated literal/],
    ["a literal past the declared length", hex("01 04 6162"), /past the declared length/],
    ["a copy before the start of the output", hex("04 00 61 05 05"), /before the start/],
    ["a copy with offset 0", hex("04 00 61 05 00"), /offset 0/],
    ["a copy past the declared length", hex("03 00 61 15 01"), /past the declared length/],
    ["a truncated copy offset", hex("04 00 61 06 01"), /truncated copy offset/],
    ["output shorter than declared", hex("05 04 6162"), /declared 5/],
  ];
  for (const [name, block, re] of cases) {
    assert.throws(
      () => decodeSnappyBlock(block, 1 << 20),
      (e: unknown) => e instanceof SnappyBlockError && re.test(e.message),
      name,
    );
  }
  assert.throws(
    () => decodeSnappyBlock(hex("80808080 0c 00"), 1 << 20),
    (e: unknown) => e instanceof SnappyBlockError && e.tooLarge === 3 * 2 ** 30,
    "a 3 GiB claim is refused before allocating",
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        decodeSnappyBlock(b, 4096);
      } catch (e) {
        if (!(e instanceof SnappyBlockError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test("reads the preamble varint", () => {
  assert.equal(snappyUncompressedLength(hex("00")), 0);
  assert.equal(snappyUncompressedLength(hex("fe ff 03")), 65534);
  assert.equal(snappyUncompressedLength(hex("")), -1);
});

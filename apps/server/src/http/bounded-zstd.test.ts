import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError } from "@meshlog/core";
import { checkZstdFrames, decodeZstdBounded } from "./bounded-zstd.js";
import { zstdBomb, zstdRawFrame } from "../ingest/testing/zstd-fixtures.js";

const isCode = (code: string) => (err: unknown) => err instanceof MeshlogError && err.code === code;

test("decodes raw-block frames with and without a declared size, and several frames in a row", () => {
  assert.equal(decodeZstdBounded(zstdRawFrame(Buffer.from("hello zstd"), 10n), 1024).toString(), "hello zstd");
  const big = Buffer.alloc(250_000, 0x62);
  assert.deepEqual(decodeZstdBounded(zstdRawFrame(big), 1 << 20), big);
  const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18]), Buffer.from([3, 0, 0, 0]), Buffer.from("xyz")]);
  assert.equal(decodeZstdBounded(Buffer.concat([zstdRawFrame(Buffer.from("a"), 1n), skippable, zstdRawFrame(Buffer.from("b"), 1n)]), 1024).toString(), "ab");
});

test("refuses a frame declaring more than the limit before allocating anything", () => {
  assert.throws(() => checkZstdFrames(zstdBomb(2n ** 30n, 8192), 1 << 20), isCode("INGEST_PAYLOAD_TOO_LARGE"));
  assert.throws(() => decodeZstdBounded(zstdBomb(2n ** 40n, 4), 1 << 20), isCode("INGEST_PAYLOAD_TOO_LARGE"));
});

test("refuses output past the limit when no size is declared", () => {
  assert.throws(() => decodeZstdBounded(zstdRawFrame(Buffer.alloc(300_000)), 200_000), isCode("INGEST_PAYLOAD_TOO_LARGE"));
});

test("refuses frames whose declared sizes add up past the limit", () => {
  const f = zstdRawFrame(Buffer.alloc(600), 600n);
  assert.throws(() => checkZstdFrames(Buffer.concat([f, f]), 1000), isCode("INGEST_PAYLOAD_TOO_LARGE"));
});

const malformed: [string, Buffer][] = [
  ["a bad magic number", Buffer.from("not zstd at all")],
  ["a truncated frame header", Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ["a truncated block", zstdRawFrame(Buffer.from("hello world"), 11n).subarray(0, 14)],
  ["a reserved block type", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x01, 0x07, 0x00, 0x00])],
  ["a truncated magic", Buffer.from([0x28, 0xb5])],
];
for (const [title, body] of malformed) {
  test(`rejects ${title} as a bad encoding`, () => {
    assert.throws(() => decodeZstdBounded(body, 1 << 20), isCode("INGEST_BAD_ENCODING"));
  });
}

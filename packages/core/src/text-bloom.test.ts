import { test } from "node:test";
import assert from "node:assert/strict";
import { TextBloom } from "./text-bloom.js";

test("a bloom reports every substring of added text as possibly present", () => {
  const b = TextBloom.forSize(10_000);
  const lines = ["GET /api/v1/users 200 trace=4bf92f3577b34da6a3ce929d0e0e4736", "upstream connect error or disconnect/reset before headers"];
  for (const l of lines) b.addText(l);
  for (const l of lines) for (let i = 0; i + 6 <= l.length; i += 3) assert.equal(b.mightContain(l.slice(i, i + 6)), true);
  assert.equal(b.mightContain("TRACE=4BF92F"), true, "case-insensitive");
});

test("a bloom rejects long needles that were never added", () => {
  const b = TextBloom.forSize(2_000);
  b.addText("hello world this is a log line with status=200");
  assert.equal(b.mightContain("f00dfeedcafebabe0123456789abcdef"), false);
  assert.equal(b.mightContain("abc"), true, "needles shorter than a gram cannot be pruned");
});

test("a bloom size must be a power of two", () => {
  assert.throws(() => new TextBloom(new Uint8Array(100)), /power of two/);
});

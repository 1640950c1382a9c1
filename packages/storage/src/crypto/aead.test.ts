// AES-256-GCM seal/open tests: round trip, tampering of every part, wrong key or AAD, hostile lengths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { SEAL_OVERHEAD, openAesGcm, sealAesGcm } from "./aead.js";

const key = randomBytes(32);
const aad = Buffer.from("header");

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof MeshlogError ? e.code : `non-meshlog: ${String(e)}`;
  }
  return undefined;
}

test("property: open(seal(x)) == x and the output is iv | ciphertext | tag", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 64 }), (plain, a) => {
      const sealed = sealAesGcm(key, plain, a);
      assert.equal(sealed.length, plain.length + SEAL_OVERHEAD);
      assert.deepEqual(openAesGcm(key, sealed, a), Buffer.from(plain));
    }),
    { numRuns: 200 },
  );
});

test("two seals of the same plaintext differ (fresh IV)", () => {
  const p = Buffer.from("same");
  assert.notDeepEqual(sealAesGcm(key, p, aad), sealAesGcm(key, p, aad));
});

test("property: flipping any bit of the sealed value fails with BLOCK_CORRUPT", () => {
  const sealed = sealAesGcm(key, Buffer.from("some block payload"), aad);
  fc.assert(
    fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
      const bad = Buffer.from(sealed);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.equal(
        code(() => openAesGcm(key, bad, aad)),
        "BLOCK_CORRUPT",
      );
    }),
  );
});

test("wrong key, wrong AAD, truncated or empty input fail with BLOCK_CORRUPT", () => {
  const sealed = sealAesGcm(key, Buffer.from("payload"), aad);
  const cases: Array<[string, () => unknown]> = [
    ["wrong key", () => openAesGcm(randomBytes(32), sealed, aad)],
    ["wrong aad", () => openAesGcm(key, sealed, Buffer.from("headeR"))],
    ["missing aad", () => openAesGcm(key, sealed, Buffer.alloc(0))],
    ["truncated tag", () => openAesGcm(key, sealed.subarray(0, sealed.length - 1), aad)],
    ["only iv and tag", () => openAesGcm(key, Buffer.concat([sealed.subarray(0, 12), sealed.subarray(-16)]), aad)],
    ["shorter than overhead", () => openAesGcm(key, Buffer.alloc(27), aad)],
    ["empty", () => openAesGcm(key, Buffer.alloc(0), aad)],
    ["appended byte", () => openAesGcm(key, Buffer.concat([sealed, Buffer.from([0])]), aad)],
  ];
  for (const [name, fn] of cases) assert.equal(code(fn), "BLOCK_CORRUPT", name);
});

test("keys that are not 32 bytes are refused", () => {
  assert.equal(
    code(() => sealAesGcm(randomBytes(16), Buffer.from("x"), aad)),
    "KEY_ARGUMENT_INVALID",
  );
  assert.equal(
    code(() => openAesGcm(Buffer.alloc(0), Buffer.alloc(40), aad)),
    "KEY_ARGUMENT_INVALID",
  );
});

test("a 1 MiB block seals and opens", () => {
  const big = randomBytes(1 << 20);
  assert.ok(openAesGcm(key, sealAesGcm(key, big, aad), aad).equals(big));
});

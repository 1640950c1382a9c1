// AES-256-GCM sealing used for blocks and wrapped keys: iv(12) | ciphertext | tag(16), authenticated AAD.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { StorageErrors } from "../errors.js";
import { CryptoErrors } from "./errors.js";

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** Bytes a sealed value adds to its plaintext. */
export const SEAL_OVERHEAD = GCM_IV_BYTES + GCM_TAG_BYTES;

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== AES_KEY_BYTES) {
    throw new MeshlogError(CryptoErrors.KEY_ARGUMENT_INVALID, `${what}: AES-256-GCM key must be ${AES_KEY_BYTES} bytes, got ${key.length}`);
  }
}

/**
 * Encrypts and authenticates `plaintext` with a fresh random 96-bit IV; `aad` is authenticated, not stored.
 * Output: iv(12) | ciphertext | tag(16). A random IV per call keeps (key, IV) pairs unique for far more
 * than the number of seals one key ever performs here (one data key per block).
 */
export function sealAesGcm(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  checkKey(key, "sealAesGcm");
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([iv, body, last, cipher.getAuthTag()]);
}

/**
 * Decrypts a value made by `sealAesGcm` with the same key and AAD.
 * Throws MeshlogError BLOCK_CORRUPT when the input is too short or authentication fails
 * (ciphertext, tag, IV or AAD altered, or the wrong key).
 */
export function openAesGcm(key: Buffer, sealed: Uint8Array, aad: Uint8Array): Buffer {
  checkKey(key, "openAesGcm");
  if (sealed.length < SEAL_OVERHEAD) {
    throw new MeshlogError(
      StorageErrors.BLOCK_CORRUPT,
      `AES-256-GCM sealed value is ${sealed.length} bytes, shorter than the ${SEAL_OVERHEAD}-byte IV and tag`,
    );
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const iv = buf.subarray(0, GCM_IV_BYTES);
  const tag = buf.subarray(buf.length - GCM_TAG_BYTES);
  const body = buf.subarray(GCM_IV_BYTES, buf.length - GCM_TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw new MeshlogError(
      StorageErrors.BLOCK_CORRUPT,
      `AES-256-GCM authentication failed for a ${sealed.length}-byte sealed value: ciphertext, tag or associated data altered, or wrong key`,
      { cause },
    );
  }
}

// Key folder file formats: master key file, key ring file (magic, version, JSON body, SHA-256), master key parsing.

import { createHash, createHmac } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { CryptoErrors } from "./errors.js";

/** Master key generated at first start when MESHLOG_MASTER_KEY is not set (mode 0600). */
export const MASTER_KEY_FILE = "master.key";
/** New master key written before a rotation's key ring, renamed over master.key after it (crash safety). */
export const MASTER_KEY_NEXT_FILE = "master.key.next";
/** The key ring: KEKs wrapped under the master key, plus their metadata. */
export const KEY_RING_FILE = "keyring.bin";
export const MASTER_KEY_MAGIC = Buffer.from("MLOGMKY\0", "latin1");
export const KEY_RING_MAGIC = Buffer.from("MLOGKRG\0", "latin1");
export const KEY_FILE_FORMAT_VERSION = 1;
/** Header of both files: 8-byte magic, u16 LE format version, u16 LE flags (0). */
export const KEY_FILE_HEADER_SIZE = 12;
export const MASTER_KEY_BYTES = 32;

/** One KEK as stored in the ring. `wrapped` is absent once the KEK is destroyed. */
export interface KekRecord {
  id: string;
  tenant: string;
  class: string;
  period: string;
  version: number;
  createdAt: string;
  destroyedAt?: string;
  /** Base64 of sealAesGcm(master, kek, aad = utf8(id)). */
  wrapped?: string;
}

export interface KeyRingBody {
  /** Fingerprint of the master key the KEKs are wrapped under. */
  masterKeyId: string;
  /** Fingerprint of the master key before the last rotation (to explain mismatches). */
  previousMasterKeyId?: string;
  keks: KekRecord[];
}

function header(magic: Buffer): Buffer {
  const b = Buffer.alloc(KEY_FILE_HEADER_SIZE);
  magic.copy(b, 0);
  b.writeUInt16LE(KEY_FILE_FORMAT_VERSION, 8);
  return b;
}

function headerProblem(data: Buffer, magic: Buffer): string | undefined {
  if (data.length < KEY_FILE_HEADER_SIZE) return `file is ${data.length} bytes, shorter than its header`;
  if (!data.subarray(0, 8).equals(magic)) return "bad magic";
  const v = data.readUInt16LE(8);
  if (v !== KEY_FILE_FORMAT_VERSION) return `unsupported format version ${v}`;
  return undefined;
}

/** Non-secret fingerprint of a master key: HMAC-SHA-256(key, label), first 16 hex characters. */
export function masterKeyId(key: Buffer): string {
  return createHmac("sha256", key).update("meshlog master key fingerprint v1").digest("hex").slice(0, 16);
}

/**
 * Parses MESHLOG_MASTER_KEY: 32 bytes as 64 hex characters or as base64 (standard or URL alphabet).
 * The error never echoes the value.
 */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (b.length === MASTER_KEY_BYTES) return b;
  }
  throw new MeshlogError(
    CryptoErrors.KEY_MASTER_INVALID,
    `MESHLOG_MASTER_KEY must be ${MASTER_KEY_BYTES} bytes written as 64 hex characters or base64 (got ${t.length} characters)`,
  );
}

export function encodeMasterKeyFile(key: Buffer): Buffer {
  return Buffer.concat([header(MASTER_KEY_MAGIC), key]);
}

export function decodeMasterKeyFile(data: Buffer, path: string): Buffer {
  const problem =
    headerProblem(data, MASTER_KEY_MAGIC) ??
    (data.length !== KEY_FILE_HEADER_SIZE + MASTER_KEY_BYTES ? `file is ${data.length} bytes, expected ${KEY_FILE_HEADER_SIZE + MASTER_KEY_BYTES}` : undefined);
  if (problem !== undefined) throw new MeshlogError(CryptoErrors.KEY_MASTER_INVALID, `Master key file "${path}" is not valid: ${problem}`);
  return Buffer.from(data.subarray(KEY_FILE_HEADER_SIZE));
}

export function encodeKeyRing(body: KeyRingBody): Buffer {
  const head = Buffer.concat([header(KEY_RING_MAGIC), Buffer.from(JSON.stringify(body), "utf8")]);
  return Buffer.concat([head, createHash("sha256").update(head).digest()]);
}

const KEK_ID = /^kek:[^:\s]+:[^:\s]+:\d{4}-\d{2}:v[1-9]\d*$/;

function recordProblem(r: unknown, i: number): string | undefined {
  if (typeof r !== "object" || r === null) return `kek ${i} is not an object`;
  const k = r as Record<string, unknown>;
  if (typeof k.id !== "string" || !KEK_ID.test(k.id)) return `kek ${i} has an invalid id`;
  for (const f of ["tenant", "class", "period", "createdAt"]) if (typeof k[f] !== "string") return `kek "${k.id}" lacks ${f}`;
  if (typeof k.version !== "number" || !Number.isSafeInteger(k.version) || k.version < 1) return `kek "${k.id}" has an invalid version`;
  if (k.destroyedAt === undefined && typeof k.wrapped !== "string") return `kek "${k.id}" is neither wrapped nor destroyed`;
  if (k.destroyedAt !== undefined && (typeof k.destroyedAt !== "string" || k.wrapped !== undefined))
    return `kek "${k.id}" is destroyed but still holds key material`;
  return undefined;
}

/** Decodes and checks the key ring file; throws KEY_RING_CORRUPT naming the file and the problem. */
export function decodeKeyRing(data: Buffer, path: string): KeyRingBody {
  const fail = (problem: string): never => {
    throw new MeshlogError(CryptoErrors.KEY_RING_CORRUPT, `Key ring "${path}" is corrupt: ${problem}`);
  };
  const hp = headerProblem(data, KEY_RING_MAGIC);
  if (hp !== undefined) fail(hp);
  if (data.length < KEY_FILE_HEADER_SIZE + 32) fail(`file is ${data.length} bytes, too short for its checksum`);
  const head = data.subarray(0, data.length - 32);
  if (
    !createHash("sha256")
      .update(head)
      .digest()
      .equals(data.subarray(data.length - 32))
  )
    fail("checksum mismatch");
  let body: unknown;
  try {
    body = JSON.parse(head.subarray(KEY_FILE_HEADER_SIZE).toString("utf8"));
  } catch {
    fail("body is not JSON");
  }
  const b = body as Partial<KeyRingBody> | null;
  if (b === null || typeof b !== "object" || typeof b.masterKeyId !== "string" || !Array.isArray(b.keks)) fail("body lacks masterKeyId or keks");
  const ring = b as KeyRingBody;
  ring.keks.forEach((r, i) => {
    const p = recordProblem(r, i);
    if (p !== undefined) fail(p);
  });
  return ring;
}

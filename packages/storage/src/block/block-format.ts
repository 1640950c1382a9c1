// Block file layout: magic, version, header (meta JSON + bloom + trailer) outside the ciphertext, then it.

import { crc32 } from "node:zlib";
import { createHash } from "node:crypto";
import type { Labels } from "@meshlog/core";
import { BLOCK_FORMAT_VERSION, BLOCK_MAGIC } from "../file-names.js";
import type { BloomKind } from "./block-bloom.js";

/** Compression codecs a block may record in its header. */
export type BlockCodec = "brotli" | "gzip" | "none";

/** Metadata kept in clear in the block header (all of it is covered by the header hash and the AEAD). */
export interface BlockMeta {
  readonly blockId: string;
  readonly tenant: string;
  readonly streamId: string;
  readonly labels: Labels;
  /** Earliest and latest record timestamp, ns. */
  readonly minTime: bigint;
  readonly maxTime: bigint;
  readonly rows: number;
  readonly codec: BlockCodec;
  /** Size of the column plaintext before compression. */
  readonly plainBytes: number;
  /** RFC 6962 root over the record leaf hashes, hex. */
  readonly plaintextRoot: string;
  readonly keyId: string;
  /** The data key wrapped by the key ring, base64. */
  readonly wrappedKey: string;
  readonly retentionClass: string;
  readonly legalHold: boolean;
  /** Header hash (hex) of the previous block of the same stream, "" for the first. */
  readonly prevBlockHash: string;
  readonly createdAt: bigint;
  /** Highest WAL sequence whose records of this stream are in this block (for replay de-duplication). */
  readonly walSeqMax: number;
  /** Bloom kind: "text4" = core TextBloom over lower-cased 4-grams; "text4x" = the same without hex-only grams. */
  readonly bloom: BloomKind;
}

/** A parsed block header and where things are in the file. */
export interface BlockHeader {
  readonly meta: BlockMeta;
  readonly version: number;
  readonly bloom: Buffer;
  /** SHA-256 (hex) of the ciphertext that follows the header. */
  readonly ciphertextSha256: string;
  /** Bytes [0, aadEnd) are the AEAD associated data. */
  readonly aadEnd: number;
  /** Bytes [0, headerEnd) are hashed into the ledger; the CRC32 of them follows, then the ciphertext. */
  readonly headerEnd: number;
  readonly cipherOffset: number;
  /** SHA-256 (hex) of bytes [0, headerEnd): the value appended to the tenant ledger. */
  readonly headerHash: string;
}

export class BlockFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "BlockFormatError";
    this.offset = offset;
  }
}

const PREFIX = 12; // magic(8) + version(2) + flags(2)
const MAX_META = 1 << 20;
const MAX_BLOOM = 64 << 20;

function metaToJson(m: BlockMeta): string {
  return JSON.stringify({ ...m, minTime: m.minTime.toString(), maxTime: m.maxTime.toString(), createdAt: m.createdAt.toString() });
}

/** Builds the associated-data part of the header: prefix, meta JSON, bloom bits. */
export function encodeHeaderAad(meta: BlockMeta, bloom: Uint8Array): Buffer {
  const json = Buffer.from(metaToJson(meta), "utf8");
  const b = Buffer.alloc(PREFIX + 4 + json.length + 4 + bloom.length);
  BLOCK_MAGIC.copy(b, 0);
  b.writeUInt16LE(BLOCK_FORMAT_VERSION, 8);
  b.writeUInt32LE(json.length, PREFIX);
  json.copy(b, PREFIX + 4);
  b.writeUInt32LE(bloom.length, PREFIX + 4 + json.length);
  b.set(bloom, PREFIX + 8 + json.length);
  return b;
}

/** Assembles a whole block file from the AAD part and the sealed ciphertext. */
export function assembleBlock(aad: Buffer, sealed: Uint8Array): { bytes: Buffer; headerHash: string; ciphertextSha256: string } {
  const ciphertextSha256 = createHash("sha256").update(sealed).digest("hex");
  const trailer = Buffer.from(JSON.stringify({ ciphertextSha256 }), "utf8");
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(trailer.length);
  const header = Buffer.concat([aad, lenBuf, trailer]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(header));
  const headerHash = createHash("sha256").update(header).digest("hex");
  return { bytes: Buffer.concat([header, crc, sealed]), headerHash, ciphertextSha256 };
}

function bad(message: string, offset: number): never {
  throw new BlockFormatError(message, offset);
}

function parseMeta(json: string): BlockMeta {
  const o = JSON.parse(json) as Record<string, unknown>;
  const str = (k: string): string => (typeof o[k] === "string" ? (o[k] as string) : bad(`header field ${k} is missing or not a string`, 16));
  const num = (k: string): number =>
    typeof o[k] === "number" && Number.isSafeInteger(o[k]) && (o[k] as number) >= 0
      ? (o[k] as number)
      : bad(`header field ${k} is not a non-negative integer`, 16);
  const big = (k: string): bigint => (/^-?\d{1,20}$/.test(str(k)) ? BigInt(str(k)) : bad(`header field ${k} is not an integer string`, 16));
  const labels = o["labels"];
  if (labels === null || typeof labels !== "object" || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== "string"))
    bad("header field labels is not a string map", 16);
  const codec = str("codec");
  if (codec !== "brotli" && codec !== "gzip" && codec !== "none") bad(`unknown codec ${codec}`, 16);
  if (typeof o["legalHold"] !== "boolean") bad("header field legalHold is not a boolean", 16);
  return {
    blockId: str("blockId"),
    tenant: str("tenant"),
    streamId: str("streamId"),
    labels: labels as Labels,
    minTime: big("minTime"),
    maxTime: big("maxTime"),
    rows: num("rows"),
    codec,
    plainBytes: num("plainBytes"),
    plaintextRoot: str("plaintextRoot"),
    keyId: str("keyId"),
    wrappedKey: str("wrappedKey"),
    retentionClass: str("retentionClass"),
    legalHold: o["legalHold"] as boolean,
    prevBlockHash: str("prevBlockHash"),
    createdAt: big("createdAt"),
    walSeqMax: num("walSeqMax"),
    bloom: o["bloom"] === "text4" || o["bloom"] === "text4x" ? o["bloom"] : bad(`unknown bloom kind ${JSON.stringify(o["bloom"])}`, 16),
  };
}

/**
 * Parses the header from the first bytes of a block file (`buf` may be just a prefix; throws
 * BlockFormatError with `needBytes` semantics via `headerLength` when it is too short).
 * Checks magic, version and the header CRC; it does not touch the ciphertext.
 */
export function parseBlockHeader(buf: Buffer): BlockHeader {
  if (buf.length < PREFIX + 4) bad(`file is ${buf.length} bytes, too short for a block header`, 0);
  if (!buf.subarray(0, 8).equals(BLOCK_MAGIC)) bad("bad magic (not a meshlog block)", 0);
  const version = buf.readUInt16LE(8);
  if (version !== BLOCK_FORMAT_VERSION) bad(`unsupported block format version ${version}`, 8);
  const metaLen = buf.readUInt32LE(PREFIX);
  if (metaLen > MAX_META) bad(`header length ${metaLen} is too large`, PREFIX);
  let p = PREFIX + 4 + metaLen;
  if (buf.length < p + 4) bad("header truncated in the metadata", buf.length);
  const bloomLen = buf.readUInt32LE(p);
  if (bloomLen > MAX_BLOOM) bad(`bloom length ${bloomLen} is too large`, p);
  p += 4;
  if (buf.length < p + bloomLen + 4) bad("header truncated in the bloom filter", buf.length);
  const bloom = buf.subarray(p, p + bloomLen);
  const aadEnd = p + bloomLen;
  const trailerLen = buf.readUInt32LE(aadEnd);
  if (trailerLen > 4096) bad(`trailer length ${trailerLen} is too large`, aadEnd);
  const headerEnd = aadEnd + 4 + trailerLen;
  if (buf.length < headerEnd + 4) bad("header truncated in the trailer", buf.length);
  const crc = buf.readUInt32LE(headerEnd);
  if (crc !== crc32(buf.subarray(0, headerEnd))) bad("header checksum mismatch", headerEnd);
  let meta: BlockMeta;
  let trailer: Record<string, unknown>;
  try {
    meta = parseMeta(buf.toString("utf8", PREFIX + 4, PREFIX + 4 + metaLen));
    trailer = JSON.parse(buf.toString("utf8", aadEnd + 4, headerEnd)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof BlockFormatError) throw e;
    bad(`header does not decode: ${(e as Error).message}`, PREFIX + 4);
  }
  const cts = trailer["ciphertextSha256"];
  if (typeof cts !== "string" || !/^[0-9a-f]{64}$/.test(cts)) bad("trailer has no ciphertext hash", aadEnd + 4);
  if (bloomLen === 0 || (bloomLen & (bloomLen - 1)) !== 0) bad(`bloom size ${bloomLen} is not a power of two`, PREFIX + 4 + metaLen);
  const headerHash = createHash("sha256").update(buf.subarray(0, headerEnd)).digest("hex");
  return { meta, version, bloom: Buffer.from(bloom), ciphertextSha256: cts, aadEnd, headerEnd, cipherOffset: headerEnd + 4, headerHash };
}

/** Bytes needed to parse the header, given at least the first 16 bytes; undefined if they are not a block. */
export function headerPrefixLength(first: Buffer): number | undefined {
  if (first.length < PREFIX + 4 || !first.subarray(0, 8).equals(BLOCK_MAGIC)) return undefined;
  return PREFIX + 4 + first.readUInt32LE(PREFIX) + 4;
}

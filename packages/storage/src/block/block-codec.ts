// Sealing and opening blocks: columns -> compress -> AES-256-GCM (header as AAD) -> file bytes, and back.

import { createHash, randomBytes } from "node:crypto";
import { brotliCompressSync, brotliDecompressSync, constants as zc, gunzipSync, gzipSync } from "node:zlib";
import type { Labels, LogRecord } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { assembleBlock, encodeHeaderAad, parseBlockHeader, type BlockCodec, type BlockHeader, type BlockMeta } from "./block-format.js";
import { COLUMNS_VERSION, decodeColumns, encodeColumns, SALT_BYTES } from "./block-columns.js";
import { ColumnView } from "./column-view.js";
import { scanView } from "./block-scan.js";
import { recordsMerkleRoot } from "./record-hash.js";
import { buildGramBloom, GramBloomBuilder, type GramBloom } from "./block-bloom.js";
import type { RowNeedles } from "./row-match.js";

/** AEAD used for block payloads (implemented by crypto/aead.ts: iv(12) | ciphertext | tag(16)). */
export interface BlockCipher {
  seal(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer;
  /** Throws when the tag does not verify. */
  open(key: Buffer, sealed: Uint8Array, aad: Uint8Array): Buffer;
}

/** Default codec: on mesh lines, brotli quality 4 (4 MiB window) is as fast as gzip -6 and ~3-6% smaller (bench/storage-codecs.mjs). */
export const DEFAULT_CODEC: BlockCodec = "brotli";
const BROTLI_QUALITY = 5;

export function compress(codec: BlockCodec, data: Buffer): Buffer {
  switch (codec) {
    case "brotli":
      return brotliCompressSync(data, {
        params: { [zc.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zc.BROTLI_PARAM_LGWIN]: 22, [zc.BROTLI_PARAM_SIZE_HINT]: data.length },
      });
    case "gzip":
      return gzipSync(data, { level: 6 });
    case "none":
      return data;
  }
}

/** Decompresses with an output bound, so a hostile block cannot expand without limit. */
export function decompress(codec: BlockCodec, data: Buffer, maxOutput: number): Buffer {
  switch (codec) {
    case "brotli":
      return brotliDecompressSync(data, { maxOutputLength: Math.max(1, maxOutput) });
    case "gzip":
      return gunzipSync(data, { maxOutputLength: Math.max(1, maxOutput) });
    case "none":
      return data;
  }
}

/** Everything needed to seal one block besides the records. */
export interface SealInput {
  readonly blockId: string;
  readonly tenant: string;
  readonly streamId: string;
  readonly labels: Labels;
  readonly keyId: string;
  readonly dataKey: Buffer;
  readonly wrappedKey: Buffer;
  readonly retentionClass: string;
  readonly legalHold: boolean;
  readonly prevBlockHash: string;
  readonly createdAt: bigint;
  readonly walSeqMax: number;
  readonly codec?: BlockCodec;
}

export interface SealedBlock {
  readonly bytes: Buffer;
  readonly header: BlockHeader;
}

/** Largest bloom stored per block (bytes). */
export const MAX_BLOOM_BYTES = 65536;
/** The bloom is halved (folded) while the result stays at most this full: per-gram false positives <= ~25%. */
export const MAX_BLOOM_FILL = 0.5;

/**
 * Builds the block's substring bloom (lower-cased 4-grams) over bodies, attribute values, resource values
 * and trace/span ids: about 1 bit per 2 characters, at most 64 KiB, folded in half while at most
 * MAX_BLOOM_FILL of the bits would be set, so its size follows the number of distinct grams. Long needles
 * prune well even at that fill, since every gram of the needle must hit. Hex-only grams are left out
 * (kind `text4x`) when random ids would otherwise take most of the bits (see block-bloom.ts).
 */
export function buildBloom(records: readonly LogRecord[], budgetBytes?: number): GramBloom {
  return buildGramBloom(records, MAX_BLOOM_BYTES, MAX_BLOOM_FILL, budgetBytes);
}

/** A bloom may take up to this fraction of the compressed payload before hex-only grams are dropped. */
export const BLOOM_BUDGET = 0.1;

/** Sorts by timestamp (stable), so blocks hold records in time order. Returns a new array. */
export function sortByTime(records: readonly LogRecord[]): LogRecord[] {
  return records.slice().sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}

/**
 * Seals records of one stream into block file bytes. Records must be non-empty and in timestamp order.
 * The per-block salt and the columns are compressed, then encrypted with the data key; the header
 * (prefix, meta, bloom) is the associated data.
 */
export function sealBlock(records: readonly LogRecord[], input: SealInput, cipher: BlockCipher): SealedBlock {
  if (records.length === 0) throw new Error("BUG: sealBlock needs at least one record");
  const salt = randomBytes(SALT_BYTES);
  // The bloom gets each template's static text once while the bodies are encoded (same bits as buildBloom).
  const grams = new GramBloomBuilder(records, MAX_BLOOM_BYTES);
  const plain = encodeColumns(records, salt, grams);
  for (const r of records) grams.addRecordFields(r);
  const root = recordsMerkleRoot(salt, records);
  const codec = input.codec ?? DEFAULT_CODEC;
  const compressed = compress(codec, plain);
  const bloom = grams.finish(MAX_BLOOM_FILL, Math.max(4096, compressed.length * BLOOM_BUDGET));
  const meta: BlockMeta = {
    blockId: input.blockId,
    tenant: input.tenant,
    streamId: input.streamId,
    labels: input.labels,
    minTime: (records[0] as LogRecord).timestamp,
    maxTime: (records[records.length - 1] as LogRecord).timestamp,
    rows: records.length,
    codec,
    plainBytes: plain.length,
    plaintextRoot: root.toString("hex"),
    keyId: input.keyId,
    wrappedKey: input.wrappedKey.toString("base64"),
    retentionClass: input.retentionClass,
    legalHold: input.legalHold,
    prevBlockHash: input.prevBlockHash,
    createdAt: input.createdAt,
    walSeqMax: input.walSeqMax,
    bloom: bloom.kind,
  };
  const aad = encodeHeaderAad(meta, bloom.bytes());
  const sealed = cipher.seal(input.dataKey, compressed, aad);
  const { bytes } = assembleBlock(aad, sealed);
  return { bytes, header: parseBlockHeader(bytes) };
}

/** The decrypted content of a block. */
export interface OpenedBlock {
  readonly records: LogRecord[];
  readonly salt: Buffer;
  readonly plainBytes: number;
}

/**
 * Decrypts and decodes a whole block file (header already parsed from the same bytes). Throws when the
 * ciphertext hash, the AEAD tag, decompression or decoding fails. With active `needles`, `records` holds
 * only the rows that pass them (then it is not valid input for plaintextRootOf).
 */
export function openBlock(bytes: Buffer, header: BlockHeader, dataKey: Buffer, cipher: BlockCipher, verifyHash = false, needles?: RowNeedles): OpenedBlock {
  const plain = openPlain(bytes, header, dataKey, cipher, verifyHash);
  const { salt, records, rows } = decodeColumns(plain, header.meta.tenant, header.meta.labels, needles);
  if (rows !== header.meta.rows) throw new Error(`block holds ${rows} records, header says ${header.meta.rows}`);
  return { records, salt, plainBytes: plain.length };
}

/**
 * Decrypts and decompresses a block's payload into its column plaintext. Throws when the ciphertext hash
 * (with `verifyHash`), the AEAD tag or decompression fails, or the size differs from the header's.
 */
export function openPlain(bytes: Buffer, header: BlockHeader, dataKey: Buffer, cipher: BlockCipher, verifyHash = false): Buffer {
  const sealed = bytes.subarray(header.cipherOffset);
  if (verifyHash) {
    if (createHash("sha256").update(sealed).digest("hex") !== header.ciphertextSha256) throw new Error("ciphertext SHA-256 does not match the header");
  }
  const compressed = cipher.open(dataKey, sealed, bytes.subarray(0, header.aadEnd));
  const plain = decompress(header.meta.codec, compressed, header.meta.plainBytes);
  if (plain.length !== header.meta.plainBytes) throw new Error(`plaintext is ${plain.length} bytes, header says ${header.meta.plainBytes}`);
  return plain;
}

/**
 * Records of a block's column plaintext that pass `needles` (all rows without active needles). Layout 2
 * is scanned through a ColumnView (given, e.g. from a cache, or opened here): only passing rows are built.
 */
export function recordsOfPlain(plain: Buffer, meta: BlockMeta, needles: RowNeedles | undefined, view?: ColumnView): LogRecord[] {
  if (needles?.active === true && (view !== undefined || plain[0] === COLUMNS_VERSION)) {
    const v = view ?? new ColumnView(plain);
    if (v.rows !== meta.rows) throw new Error(`block holds ${v.rows} records, header says ${meta.rows}`);
    return scanView(v, needles, meta.tenant, meta.labels);
  }
  const { records, rows } = decodeColumns(plain, meta.tenant, meta.labels, needles);
  if (rows !== meta.rows) throw new Error(`block holds ${rows} records, header says ${meta.rows}`);
  return records;
}

/** Recomputes the plaintext Merkle root of opened records (hex). */
export function plaintextRootOf(opened: OpenedBlock): string {
  return recordsMerkleRoot(opened.salt, opened.records).toString("hex");
}

/** Bytes of header (with its CRC) given a prefix of the file, or undefined if the prefix is too short to tell. */
function headerBytesNeeded(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  let p = 16 + buf.readUInt32LE(12);
  if (buf.length < p + 4) return undefined;
  p += 4 + buf.readUInt32LE(p);
  if (buf.length < p + 4) return undefined;
  return p + 4 + buf.readUInt32LE(p) + 4;
}

/** Reads just the header of a block file (reads 64 KiB, more only for large blooms). */
export async function readBlockHeader(fs: FileSystem, path: string): Promise<BlockHeader> {
  const h = await fs.open(path, "r");
  try {
    let size = 65536;
    for (;;) {
      const buf = await h.read(size, 0);
      if (buf.length < size) return parseBlockHeader(buf);
      const need = headerBytesNeeded(buf);
      if (need !== undefined && need <= buf.length) return parseBlockHeader(buf);
      const next = Math.max(need ?? 0, size * 2);
      if (next > 256 << 20) return parseBlockHeader(buf);
      size = next;
    }
  } finally {
    await h.close();
  }
}

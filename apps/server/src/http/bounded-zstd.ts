// zstd decoding that cannot be turned into a memory bomb: frame headers are checked against the limit before
// the decoder allocates anything, and the output is counted as it is produced.

import { Decompress } from "fzstd";
import { MeshlogError } from "@meshlog/core";
import { ServerErrors } from "../errors.js";

const ZSTD_MAGIC = 0xfd2fb528;

const badZstd = (msg: string): MeshlogError => new MeshlogError(ServerErrors.INGEST_BAD_ENCODING, `request body is not valid zstd: ${msg}`);
const tooLarge = (maxBytes: number): MeshlogError =>
  new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `request body decompresses to more than ${maxBytes} bytes`);

/**
 * Walks the frames of a zstd stream without decoding them and throws when a frame declares a content size or
 * a window larger than maxBytes (the decoder would allocate that much up front), or when the declared sizes
 * add up to more than maxBytes. Skippable frames are skipped.
 */
export function checkZstdFrames(buf: Uint8Array, maxBytes: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let declared = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw badZstd(`truncated frame magic at byte ${pos}`);
    const magic = view.getUint32(pos, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (pos + 8 > buf.length) throw badZstd(`truncated skippable frame at byte ${pos}`);
      pos += 8 + view.getUint32(pos + 4, true);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw badZstd(`bad frame magic at byte ${pos}`);
    pos += 4;
    const fhd = buf[pos++];
    if (fhd === undefined) throw badZstd("truncated frame header");
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    const dictIdSize = [0, 1, 2, 4][fhd & 3] as number;
    let window = 0;
    if (singleSegment === 0) {
      const wd = buf[pos++];
      if (wd === undefined) throw badZstd("truncated window descriptor");
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    pos += dictIdSize;
    const fcsSize = fcsFlag === 0 ? singleSegment : ([1, 2, 4, 8][fcsFlag] as number);
    if (pos + fcsSize > buf.length) throw badZstd("truncated frame content size");
    let contentSize = -1;
    if (fcsSize === 1) contentSize = buf[pos] as number;
    else if (fcsSize === 2) contentSize = view.getUint16(pos, true) + 256;
    else if (fcsSize === 4) contentSize = view.getUint32(pos, true);
    else if (fcsSize === 8) contentSize = Number(view.getBigUint64(pos, true));
    pos += fcsSize;
    if (singleSegment === 1) window = contentSize;
    if (contentSize > maxBytes || window > Math.max(maxBytes, 1 << 20)) throw tooLarge(maxBytes);
    if (contentSize > 0) declared += contentSize;
    if (declared > maxBytes) throw tooLarge(maxBytes);
    // Blocks: 3-byte header (last flag, type, size); RLE blocks carry one byte.
    for (;;) {
      if (pos + 3 > buf.length) throw badZstd(`truncated block header at byte ${pos}`);
      const h = (buf[pos] as number) | ((buf[pos + 1] as number) << 8) | ((buf[pos + 2] as number) << 16);
      pos += 3;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw badZstd(`reserved block type at byte ${pos - 3}`);
      pos += type === 1 ? 1 : size;
      if (pos > buf.length) throw badZstd(`truncated block at byte ${pos}`);
      if ((h & 1) === 1) break;
    }
    pos += checksum * 4;
  }
}

/** Decodes zstd with the frame check and an output counter; throws the ingest encoding/size errors. */
export function decodeZstdBounded(raw: Uint8Array, maxBytes: number): Buffer {
  checkZstdFrames(raw, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  });
  try {
    d.push(raw, true);
  } catch (err) {
    if (err instanceof MeshlogError) throw err;
    throw badZstd((err as Error).message);
  }
  return Buffer.concat(chunks, total);
}

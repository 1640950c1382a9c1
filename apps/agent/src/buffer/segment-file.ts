// On-disk layout of disk-buffer segments: file names, the file header and CRC-framed entries.

import { crc32 } from "node:zlib";

/** Every segment starts with this magic and a format version byte. */
export const SEGMENT_MAGIC = Buffer.from("MLAB", "ascii");
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 8;
/** Frame header: u32 payload length, u32 CRC-32 of the payload (both big-endian). */
export const FRAME_HEADER_BYTES = 8;
/** A frame larger than this is treated as corruption rather than allocated. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;
export const CURSORS_FILE = "cursors.json";

const SEGMENT_NAME = /^buffer-(\d{10})\.seg$/;

export function segmentFileName(seq: number): string {
  return `buffer-${String(seq).padStart(10, "0")}.seg`;
}

/** Segment number of a file name, or undefined when it is not a segment. */
export function segmentNumberOf(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export function segmentHeader(): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(h, 0);
  h[4] = SEGMENT_VERSION;
  return h;
}

/** True when the first bytes are a segment header this version reads. */
export function isSegmentHeader(b: Buffer): boolean {
  return b.length >= SEGMENT_HEADER_BYTES && b.subarray(0, 4).equals(SEGMENT_MAGIC) && b[4] === SEGMENT_VERSION;
}

export function encodeFrame(payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  f.writeUInt32BE(payload.length, 0);
  f.writeUInt32BE(crc32(payload), 4);
  payload.copy(f, FRAME_HEADER_BYTES);
  return f;
}

/** Result of checking one frame inside a buffer. */
export type FrameCheck = { ok: true; payload: Buffer; next: number } | { ok: false; reason: string };

/** Validates the frame at `offset` of `data`. */
export function checkFrame(data: Buffer, offset: number): FrameCheck {
  if (offset + FRAME_HEADER_BYTES > data.length) return { ok: false, reason: "truncated frame header" };
  const len = data.readUInt32BE(offset);
  if (len > MAX_FRAME_BYTES) return { ok: false, reason: `frame length ${len} exceeds the limit` };
  const end = offset + FRAME_HEADER_BYTES + len;
  if (end > data.length) return { ok: false, reason: "truncated frame payload" };
  const payload = data.subarray(offset + FRAME_HEADER_BYTES, end);
  if (crc32(payload) !== data.readUInt32BE(offset + 4)) return { ok: false, reason: "checksum mismatch" };
  return { ok: true, payload, next: end };
}

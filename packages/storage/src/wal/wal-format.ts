// WAL byte layout: segment header, CRC32-framed batches, and the batch payload codec (see storage-format.md).

import { crc32 } from "node:zlib";
import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "../block/byte-reader.js";
import { WAL_FORMAT_VERSION, WAL_MAGIC } from "../file-names.js";
import { readStringMap, readWalRecords, WalRecordWriter } from "./wal-record-codec.js";

/** Segment header: 8-byte magic, u16 format version, u16 flags (0). */
export const WAL_HEADER_SIZE = 12;
/** Frame header: u32 marker, u32 payload length, u32 CRC32 over (length bytes ‖ payload). */
export const FRAME_HEADER_SIZE = 12;
export const FRAME_MARKER = 0x314d5746; // "FWM1" little-endian
/** Frames larger than this are treated as corrupt. */
export const MAX_FRAME_PAYLOAD = 256 * 1024 * 1024;
const MARKER_BYTES = Buffer.alloc(4);
MARKER_BYTES.writeUInt32LE(FRAME_MARKER);

/** The records of one stream inside a WAL batch. */
export interface WalStreamRecords {
  readonly labels: Labels;
  readonly records: readonly LogRecord[];
}

/** One durable unit of the WAL: a sequence number, a tenant and records grouped by stream. */
export interface WalBatch {
  readonly seq: number;
  readonly tenant: string;
  readonly streams: readonly WalStreamRecords[];
}

export function encodeWalHeader(): Buffer {
  const b = Buffer.alloc(WAL_HEADER_SIZE);
  WAL_MAGIC.copy(b, 0);
  b.writeUInt16LE(WAL_FORMAT_VERSION, 8);
  return b;
}

/** Returns a problem description when the header is not a supported WAL header, else undefined. */
export function checkWalHeader(b: Uint8Array): string | undefined {
  if (b.length < WAL_HEADER_SIZE) return `file is ${b.length} bytes, shorter than the ${WAL_HEADER_SIZE}-byte header`;
  if (!Buffer.from(b.buffer, b.byteOffset, 8).equals(WAL_MAGIC)) return "bad magic (not a meshlog WAL segment)";
  const v = Buffer.from(b.buffer, b.byteOffset, WAL_HEADER_SIZE).readUInt16LE(8);
  if (v !== WAL_FORMAT_VERSION) return `unsupported format version ${v}`;
  return undefined;
}

/** A frame with, per stream, where its record section lies (to keep those bytes without re-encoding). */
export interface EncodedWalFrame {
  readonly frame: Buffer;
  /** Per stream of the batch: [start, end) of its records inside `frame`. */
  readonly sections: readonly (readonly [number, number])[];
}

/** Encodes a batch as one complete frame (header + payload). */
export function encodeWalFrame(batch: WalBatch): Buffer {
  return encodeWalFrameSections(batch).frame;
}

/**
 * Encodes a batch as one frame and reports where each stream's records are in it. With `scratch` (a writer
 * reused between calls) the frame is encoded there and copied out at its exact size, so no buffer is
 * regrown per batch.
 */
export function encodeWalFrameSections(batch: WalBatch, scratch?: WalRecordWriter): EncodedWalFrame {
  let w = scratch;
  if (w === undefined) {
    let guess = 256;
    for (const s of batch.streams) for (const r of s.records) guess += r.body.length + 128;
    w = new WalRecordWriter(guess);
  } else w.reset();
  w.u32(FRAME_MARKER);
  w.u32(0);
  w.u32(0);
  w.i64(BigInt(batch.seq));
  w.str(batch.tenant);
  w.uvarint(batch.streams.length);
  const sections: [number, number][] = [];
  for (const s of batch.streams) {
    w.map(s.labels);
    w.uvarint(s.records.length);
    const start = w.length;
    for (const r of s.records) w.record(r);
    sections.push([start, w.length]);
  }
  const frame = scratch === undefined ? w.view() : Buffer.from(w.view());
  const payloadLen = frame.length - FRAME_HEADER_SIZE;
  frame.writeUInt32LE(payloadLen, 4);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_SIZE), crc32(frame.subarray(4, 8))), 8);
  return { frame, sections };
}

/** Decodes a frame payload (CRC already checked). Throws on malformed content. */
export function decodeWalPayload(payload: Uint8Array): WalBatch {
  return decodeWalPayloadSections(payload).batch;
}

/**
 * Decodes a frame payload and reports each stream's record section, as views of `payload` (CRC already
 * checked). Throws on malformed content.
 */
export function decodeWalPayloadSections(payload: Uint8Array): { batch: WalBatch; sections: Uint8Array[] } {
  const r = new ByteReader(payload);
  const seq = Number(r.i64());
  const tenant = r.str();
  const nStreams = r.uvarint();
  const streams: WalStreamRecords[] = [];
  const sections: Uint8Array[] = [];
  for (let s = 0; s < nStreams; s++) {
    const labels = readStringMap(r);
    const n = r.uvarint();
    const start = r.position;
    const records = readWalRecords(r, n, tenant, labels);
    sections.push(payload.subarray(start, r.position));
    streams.push({ labels, records });
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} unexpected trailing bytes`);
  return { batch: { seq, tenant, streams }, sections };
}

/** A frame found in a segment. */
export interface ScannedFrame {
  readonly offset: number;
  readonly length: number;
  readonly batch: WalBatch;
  /** Per stream of the batch, its encoded records (views of the scanned buffer). */
  readonly sections: Uint8Array[];
}

/** A problem found while scanning a segment, with the byte offset where it starts. */
export interface WalProblem {
  readonly offset: number;
  readonly kind: "torn-tail" | "corrupt-frame" | "bad-header";
  readonly message: string;
}

export interface SegmentScan {
  readonly frames: ScannedFrame[];
  /** End of the last valid frame (the length the file should be truncated to on a torn tail). */
  readonly validEnd: number;
  readonly tornTail: WalProblem | undefined;
  /** Corruption before the tail (frames after it were recovered by resynchronising on the marker). */
  readonly corruptions: WalProblem[];
  readonly headerProblem: WalProblem | undefined;
}

function frameAt(buf: Buffer, pos: number): { ok: true; end: number } | { ok: false; truncated: boolean; why: string } {
  if (buf.length - pos < FRAME_HEADER_SIZE) return { ok: false, truncated: true, why: "partial frame header" };
  if (buf.readUInt32LE(pos) !== FRAME_MARKER) return { ok: false, truncated: false, why: "bad frame marker" };
  const len = buf.readUInt32LE(pos + 4);
  if (len > MAX_FRAME_PAYLOAD) return { ok: false, truncated: false, why: `frame length ${len} is too large` };
  const end = pos + FRAME_HEADER_SIZE + len;
  if (end > buf.length) return { ok: false, truncated: true, why: `frame of ${len} bytes runs past the end of the file` };
  const crc = crc32(buf.subarray(pos + FRAME_HEADER_SIZE, end), crc32(buf.subarray(pos + 4, pos + 8)));
  if (crc !== buf.readUInt32LE(pos + 8)) return { ok: false, truncated: false, why: "CRC mismatch" };
  return { ok: true, end };
}

function nextValidFrame(buf: Buffer, from: number): number {
  let p = buf.indexOf(MARKER_BYTES, from);
  while (p !== -1) {
    if (frameAt(buf, p).ok) return p;
    p = buf.indexOf(MARKER_BYTES, p + 1);
  }
  return -1;
}

/**
 * Scans a whole segment. A bad or partial frame with no valid frame after it is a torn tail; a bad frame
 * followed by valid frames is corruption in the middle of the segment (reported, never skipped silently).
 */
export function scanSegment(buf: Buffer): SegmentScan {
  const frames: ScannedFrame[] = [];
  const corruptions: WalProblem[] = [];
  const hp = checkWalHeader(buf);
  if (hp !== undefined) {
    return { frames, validEnd: 0, tornTail: undefined, corruptions, headerProblem: { offset: 0, kind: "bad-header", message: hp } };
  }
  let pos = WAL_HEADER_SIZE;
  let validEnd = pos;
  let tornTail: WalProblem | undefined;
  while (pos < buf.length) {
    const f = frameAt(buf, pos);
    if (f.ok) {
      try {
        const { batch, sections } = decodeWalPayloadSections(buf.subarray(pos + FRAME_HEADER_SIZE, f.end));
        frames.push({ offset: pos, length: f.end - pos, batch, sections });
        validEnd = pos = f.end;
        continue;
      } catch (e) {
        corruptions.push({ offset: pos, kind: "corrupt-frame", message: `frame payload does not decode: ${(e as Error).message}` });
        validEnd = pos = f.end;
        continue;
      }
    }
    const next = nextValidFrame(buf, pos + 1);
    if (next === -1) {
      tornTail = { offset: pos, kind: "torn-tail", message: `${f.why}; ${buf.length - pos} bytes after the last valid frame` };
      break;
    }
    corruptions.push({ offset: pos, kind: "corrupt-frame", message: `${f.why}; ${next - pos} bytes skipped up to the next valid frame` });
    pos = next;
  }
  return { frames, validEnd, tornTail, corruptions, headerProblem: undefined };
}

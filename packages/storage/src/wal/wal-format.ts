// WAL byte layout: segment header, CRC32-framed batches, and the batch payload codec (see storage-format.md).

import { crc32 } from "node:zlib";
import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "../block/byte-reader.js";
import { ByteWriter } from "../block/byte-writer.js";
import { WAL_FORMAT_VERSION, WAL_MAGIC } from "../file-names.js";

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

function putRecord(w: ByteWriter, r: LogRecord): void {
  w.i64(r.timestamp);
  w.bigSvarint(r.observedTimestamp - r.timestamp);
  w.u8(r.severityNumber & 0xff);
  w.str(r.severityText);
  w.str(r.body);
  const ak = Object.keys(r.attributes);
  w.uvarint(ak.length);
  for (const k of ak) {
    w.str(k);
    w.str(r.attributes[k] as string);
  }
  const rk = Object.keys(r.resource);
  w.uvarint(rk.length);
  for (const k of rk) {
    w.str(k);
    w.str(r.resource[k] as string);
  }
  w.str(r.traceId);
  w.str(r.spanId);
}

/** Encodes a batch as one complete frame (header + payload). */
export function encodeWalFrame(batch: WalBatch): Buffer {
  const w = new ByteWriter(1024);
  w.u32(FRAME_MARKER);
  w.u32(0);
  w.u32(0);
  w.i64(BigInt(batch.seq));
  w.str(batch.tenant);
  w.uvarint(batch.streams.length);
  for (const s of batch.streams) {
    const names = Object.keys(s.labels);
    w.uvarint(names.length);
    for (const n of names) {
      w.str(n);
      w.str(s.labels[n] as string);
    }
    w.uvarint(s.records.length);
    for (const r of s.records) putRecord(w, r);
  }
  const frame = w.finish();
  const payloadLen = frame.length - FRAME_HEADER_SIZE;
  frame.writeUInt32LE(payloadLen, 4);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_SIZE), crc32(frame.subarray(4, 8))), 8);
  return Buffer.from(frame);
}

function readMap(r: ByteReader): Record<string, string> {
  const n = r.uvarint();
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = r.str();
    out[k] = r.str();
  }
  return out;
}

/** Decodes a frame payload (CRC already checked). Throws on malformed content. */
export function decodeWalPayload(payload: Uint8Array): WalBatch {
  const r = new ByteReader(payload);
  const seq = Number(r.i64());
  const tenant = r.str();
  const nStreams = r.uvarint();
  const streams: WalStreamRecords[] = [];
  for (let s = 0; s < nStreams; s++) {
    const labels = readMap(r);
    const n = r.uvarint();
    if (n > r.remaining) throw new Error(`record count ${n} exceeds the payload`);
    const records: LogRecord[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const timestamp = r.i64();
      const observedTimestamp = timestamp + r.bigSvarint();
      const severityNumber = r.u8();
      const severityText = r.str();
      const body = r.str();
      const attributes = readMap(r);
      const resource = readMap(r);
      const traceId = r.str();
      const spanId = r.str();
      records[i] = { timestamp, observedTimestamp, severityNumber, severityText, body, attributes, resource, traceId, spanId, tenant, labels };
    }
    streams.push({ labels, records });
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} unexpected trailing bytes`);
  return { seq, tenant, streams };
}

/** A frame found in a segment. */
export interface ScannedFrame {
  readonly offset: number;
  readonly length: number;
  readonly batch: WalBatch;
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
        const batch = decodeWalPayload(buf.subarray(pos + FRAME_HEADER_SIZE, f.end));
        frames.push({ offset: pos, length: f.end - pos, batch });
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

// The WAL's record encoding (storage-format.md "record"): a fast writer for frames, and the decoder shared by replay and the seal worker.

import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "../block/byte-reader.js";

const SAFE_DELTA = 2n ** 52n;

/** Bytes of the uvarint of a non-negative safe integer. */
function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Appends WAL records (and the few other fields of a frame) to one growable buffer. Same bytes as the
 * ByteWriter-based layout; short ASCII strings are copied by a JS loop, which is much cheaper than a
 * native UTF-8 write per string, and timestamp deltas use Number arithmetic when they fit.
 */
export class WalRecordWriter {
  #buf: Buffer;
  #len = 0;

  constructor(initialCapacity = 65536) {
    this.#buf = Buffer.allocUnsafe(Math.max(64, initialCapacity));
  }

  get length(): number {
    return this.#len;
  }

  /** Empties the writer for reuse; drops a buffer grown beyond `keepBytes`. */
  reset(keepBytes = 8 << 20): void {
    this.#len = 0;
    if (this.#buf.length > keepBytes) this.#buf = Buffer.allocUnsafe(keepBytes);
  }

  #ensure(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v;
  }

  u32(v: number): void {
    this.#ensure(4);
    this.#buf.writeUInt32LE(v >>> 0, this.#len);
    this.#len += 4;
  }

  i64(v: bigint): void {
    this.#ensure(8);
    this.#buf.writeBigInt64LE(v, this.#len);
    this.#len += 8;
  }

  uvarint(v: number): void {
    this.#ensure(10);
    const buf = this.#buf;
    while (v >= 0x80) {
      buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.#len++] = v;
  }

  /** Zigzag LEB128 of a signed 64-bit value (Number arithmetic when |v| < 2^52). */
  bigSvarint(v: bigint): void {
    if (v < SAFE_DELTA && v > -SAFE_DELTA) {
      const n = Number(v);
      this.uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
      return;
    }
    let z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.#ensure(11);
    while (z >= 0x80n) {
      this.#buf[this.#len++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.#buf[this.#len++] = Number(z);
  }

  /** Length-prefixed (uvarint) UTF-8 string. */
  str(s: string): void {
    const n = s.length;
    this.#ensure(n * 3 + 10);
    const buf = this.#buf;
    const start = this.#len;
    if (n < 128) {
      // One length byte; copy while every code unit is ASCII, else fall back to the native encoder.
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[start] = n;
        this.#len = p;
        return;
      }
    }
    // Write the text after a varint slot sized for an ASCII string, then fix the slot if the size differs.
    const guess = uvarintSize(n);
    const written = buf.write(s, start + guess, "utf8");
    const size = uvarintSize(written);
    if (size !== guess) buf.copyWithin(start + size, start + guess, start + guess + written);
    this.uvarint(written);
    this.#len = start + size + written;
  }

  /** Appends one record (the layout of a WAL record). */
  record(r: LogRecord): void {
    this.i64(r.timestamp);
    this.bigSvarint(r.observedTimestamp - r.timestamp);
    this.u8(r.severityNumber & 0xff);
    this.str(r.severityText);
    this.str(r.body);
    this.map(r.attributes);
    this.map(r.resource);
    this.str(r.traceId);
    this.str(r.spanId);
  }

  /** uvarint count, then (str key, str value) pairs. */
  map(m: Readonly<Record<string, string>>): void {
    const keys = Object.keys(m);
    this.uvarint(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      this.str(k);
      this.str(m[k] as string);
    }
  }

  /** Overwrites 4 bytes already written at `at`. */
  patchU32(at: number, v: number): void {
    this.#buf.writeUInt32LE(v >>> 0, at);
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

export function readStringMap(r: ByteReader): Record<string, string> {
  const n = r.uvarint();
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = r.str();
    const v = r.str();
    if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/** Reads `n` WAL records of one stream; every record shares `labels`. Throws on malformed input. */
export function readWalRecords(r: ByteReader, n: number, tenant: string, labels: Labels): LogRecord[] {
  if (n > r.remaining) throw new Error(`record count ${n} exceeds the payload`);
  const records: LogRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const timestamp = r.i64();
    const observedTimestamp = timestamp + r.bigSvarint();
    const severityNumber = r.u8();
    const severityText = r.str();
    const body = r.str();
    const attributes = readStringMap(r);
    const resource = readStringMap(r);
    const traceId = r.str();
    const spanId = r.str();
    records[i] = { timestamp, observedTimestamp, severityNumber, severityText, body, attributes, resource, traceId, spanId, tenant, labels };
  }
  return records;
}

/** Decodes exactly `n` records from `bytes` (concatenated WAL record sections of one stream). */
export function decodeWalRecords(bytes: Uint8Array, n: number, tenant: string, labels: Labels): LogRecord[] {
  const r = new ByteReader(bytes);
  const records = readWalRecords(r, n, tenant, labels);
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after ${n} WAL records`);
  return records;
}

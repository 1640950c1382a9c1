// The WAL's record encoding (storage-format.md "record"): a fast writer for frames, and the decoder shared by replay and the seal worker.

import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "../block/byte-reader.js";
import { ByteWriter } from "../block/byte-writer.js";

/** Appends WAL records (and the few other fields of a frame) to one growable buffer. */
export class WalRecordWriter extends ByteWriter {
  constructor(initialCapacity = 65536) {
    super(initialCapacity);
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

  /** A view of the bytes written so far (valid until the next write). */
  view(): Buffer {
    return this.finish();
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

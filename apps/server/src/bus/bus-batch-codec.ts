// Bus message payloads: one tenant's batch as a CRC-framed WAL frame (the storage engine's batch codec, reused),
// split to fit the bus's message size limit.

import { crc32 } from "node:zlib";
import { isValidTenant, MeshlogError, type Labels, type LogRecord } from "@meshlog/core";
import { decodeWalPayload, encodeWalFrame, FRAME_HEADER_SIZE, FRAME_MARKER, type WalStreamRecords } from "@meshlog/storage";
import { BusErrors } from "./errors.js";

/** A decoded bus message. Records carry the batch's tenant; per-stream order is the order they were published in. */
export interface BusBatch {
  readonly tenant: string;
  readonly records: LogRecord[];
}

function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let k = "";
  for (const n of names) k += `${n}\u0000${labels[n] as string}\u0001`;
  return k;
}

/** Groups records by label set, keeping the order of records inside each stream. */
function groupByStream(records: readonly LogRecord[]): WalStreamRecords[] {
  const byObject = new Map<Labels, { labels: Labels; records: LogRecord[] }>();
  const byKey = new Map<string, { labels: Labels; records: LogRecord[] }>();
  for (const r of records) {
    let g = byObject.get(r.labels);
    if (g === undefined) {
      const key = labelsKey(r.labels);
      g = byKey.get(key);
      if (g === undefined) byKey.set(key, (g = { labels: r.labels, records: [] }));
      byObject.set(r.labels, g);
    }
    g.records.push(r);
  }
  return [...byKey.values()];
}

/** Encodes one tenant's records as a single frame (no size limit). */
export function encodeBusBatch(tenant: string, records: readonly LogRecord[]): Buffer {
  return encodeWalFrame({ seq: 0, tenant, streams: groupByStream(records) });
}

/**
 * Encodes records into frames of at most maxBytes each, halving the batch until every part fits. Throws
 * BUS_RECORD_TOO_LARGE when a single record does not fit.
 */
export function encodeBusBatches(tenant: string, records: readonly LogRecord[], maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  const visit = (part: readonly LogRecord[]): void => {
    if (part.length === 0) return;
    const frame = encodeBusBatch(tenant, part);
    if (frame.length <= maxBytes) {
      out.push(frame);
      return;
    }
    if (part.length === 1) {
      throw new MeshlogError(
        BusErrors.BUS_RECORD_TOO_LARGE,
        `Cannot publish to the ingest bus: one record of tenant ${tenant} encodes to ${frame.length} bytes, over the bus message limit of ${maxBytes} bytes (bus.maxBatchBytes / the NATS server's max_payload)`,
      );
    }
    const mid = part.length >> 1;
    visit(part.slice(0, mid));
    visit(part.slice(mid));
  };
  visit(records);
  return out;
}

function corrupt(why: string): MeshlogError {
  return new MeshlogError(BusErrors.BUS_MESSAGE_CORRUPT, `Bus message is not a valid batch frame: ${why}`);
}

/** Decodes and checks one frame (marker, length, CRC, content). Throws BUS_MESSAGE_CORRUPT on anything else. */
export function decodeBusBatch(data: Uint8Array): BusBatch {
  if (data.length < FRAME_HEADER_SIZE) throw corrupt(`${data.length} bytes, shorter than the ${FRAME_HEADER_SIZE}-byte frame header`);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (buf.readUInt32LE(0) !== FRAME_MARKER) throw corrupt("bad frame marker at offset 0");
  const len = buf.readUInt32LE(4);
  if (len !== buf.length - FRAME_HEADER_SIZE) throw corrupt(`frame header says ${len} payload bytes, message holds ${buf.length - FRAME_HEADER_SIZE}`);
  const crc = crc32(buf.subarray(FRAME_HEADER_SIZE), crc32(buf.subarray(4, 8)));
  if (crc !== buf.readUInt32LE(8)) throw corrupt("CRC mismatch");
  let batch;
  try {
    batch = decodeWalPayload(buf.subarray(FRAME_HEADER_SIZE));
  } catch (err) {
    throw corrupt(`malformed payload: ${(err as Error).message}`);
  }
  if (!isValidTenant(batch.tenant)) throw corrupt(`tenant ${JSON.stringify(batch.tenant.slice(0, 80))} is not a valid tenant id`);
  const records: LogRecord[] = [];
  for (const s of batch.streams) for (const r of s.records) records.push(r);
  return { tenant: batch.tenant, records };
}

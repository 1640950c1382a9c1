// Decodes Loki push bodies (logproto.PushRequest as snappy-compressed protobuf, or JSON) into streams of entries.

import { MeshlogError } from "@meshlog/core";
import { ProtoReader, ProtoWireError, WIRE_LEN, WIRE_VARINT } from "../otlp/proto-wire.js";
import { LokiErrors } from "./errors.js";
import { decodeSnappyBlock, SnappyBlockError } from "./snappy-block.js";

/** One entry of a pushed stream. */
export interface LokiEntry {
  readonly timestampNs: bigint;
  readonly line: string;
  /** Structured metadata (per-entry name/value pairs). */
  readonly metadata: Record<string, string>;
}

/** One pushed stream: its labels (the selector string for protobuf, a map for JSON) and entries. */
export interface LokiStream {
  readonly labels: string | Record<string, string>;
  readonly entries: LokiEntry[];
}

const invalid = (msg: string): MeshlogError => new MeshlogError(LokiErrors.LOKI_PUSH_INVALID, msg);

/** Decompresses a snappy block, refusing output larger than maxBytes before allocating it. */
export function snappyDecode(body: Uint8Array, maxBytes: number, tooLarge: (n: number) => Error): Uint8Array {
  if (body.length === 0) return body;
  try {
    return decodeSnappyBlock(body, maxBytes);
  } catch (err) {
    if (err instanceof SnappyBlockError && err.tooLarge !== undefined) throw tooLarge(err.tooLarge);
    throw invalid(`push body is not a valid snappy block: ${(err as Error).message}`);
  }
}

/** Decodes a logproto.PushRequest (already snappy-decompressed). */
export function decodePushProto(buf: Uint8Array): LokiStream[] {
  const streams: LokiStream[] = [];
  try {
    const r = new ProtoReader(buf);
    while (!r.done()) {
      const [field, wt] = r.tag();
      if (field === 1 && wt === WIRE_LEN) streams.push(decodeStream(r.message(), streams.length));
      else r.skip(wt); // 2 = format ("loki"), unknown fields
    }
  } catch (err) {
    if (err instanceof ProtoWireError) throw invalid(`push body is not a valid logproto.PushRequest: ${err.message}`);
    throw err;
  }
  return streams;
}

function decodeStream(r: ProtoReader, index: number): LokiStream {
  let labels = "";
  const entries: LokiEntry[] = [];
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1 && wt === WIRE_LEN) labels = r.string();
    else if (field === 2 && wt === WIRE_LEN) entries.push(decodeEntry(r.message()));
    else r.skip(wt); // 3 = hash
  }
  if (labels === "") throw invalid(`stream ${index}: labels are missing`);
  return { labels, entries };
}

function decodeEntry(r: ProtoReader): LokiEntry {
  let seconds = 0n;
  let nanos = 0;
  let line = "";
  const metadata: Record<string, string> = {};
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1 && wt === WIRE_LEN) {
      const t = r.message();
      while (!t.done()) {
        const [f, w] = t.tag();
        if (f === 1 && w === WIRE_VARINT) seconds = t.int64();
        else if (f === 2 && w === WIRE_VARINT) nanos = t.int32();
        else t.skip(w);
      }
    } else if (field === 2 && wt === WIRE_LEN) {
      line = r.string();
    } else if (field === 3 && wt === WIRE_LEN) {
      const p = r.message();
      let name = "";
      let value = "";
      while (!p.done()) {
        const [f, w] = p.tag();
        if (f === 1 && w === WIRE_LEN) name = p.string();
        else if (f === 2 && w === WIRE_LEN) value = p.string();
        else p.skip(w);
      }
      if (name !== "") metadata[name] = value;
    } else {
      r.skip(wt); // 4 = parsed labels (query side only)
    }
  }
  if (nanos < 0 || nanos > 999_999_999) throw invalid(`entry timestamp has nanos ${nanos} outside 0..999999999`);
  if (seconds < 0n) throw invalid(`entry timestamp ${seconds}s is before 1970`);
  return { timestampNs: seconds * 1_000_000_000n + BigInt(nanos), line, metadata };
}

/** Decodes the JSON push form `{"streams":[{"stream":{...},"values":[["<ns>","line",{meta}]]}]}`. */
export function decodePushJson(value: unknown): LokiStream[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid('push body must be a JSON object with a "streams" array');
  const streamsIn = (value as { streams?: unknown }).streams;
  if (!Array.isArray(streamsIn)) throw invalid('push body must have a "streams" array');
  const out: LokiStream[] = [];
  streamsIn.forEach((s: unknown, si) => {
    if (s === null || typeof s !== "object" || Array.isArray(s)) throw invalid(`streams[${si}] must be an object`);
    const { stream, values } = s as { stream?: unknown; values?: unknown };
    if (stream === null || typeof stream !== "object" || Array.isArray(stream))
      throw invalid(`streams[${si}].stream must be an object of label names to string values`);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(stream as Record<string, unknown>)) {
      if (typeof v !== "string") throw invalid(`streams[${si}].stream.${k} must be a string`);
      labels[k] = v;
    }
    if (!Array.isArray(values)) throw invalid(`streams[${si}].values must be an array of [timestamp, line] pairs`);
    const entries: LokiEntry[] = values.map((e: unknown, ei) => {
      const where = `streams[${si}].values[${ei}]`;
      if (!Array.isArray(e) || e.length < 2 || e.length > 3) throw invalid(`${where} must be ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}]`);
      const [ts, line, meta] = e as unknown[];
      if (typeof ts !== "string" || !/^\d{1,19}$/.test(ts))
        throw invalid(`${where}: timestamp ${JSON.stringify(ts)?.slice(0, 40)} is not a string of Unix nanoseconds`);
      if (typeof line !== "string") throw invalid(`${where}: line must be a string`);
      const metadata: Record<string, string> = {};
      if (meta !== undefined) {
        if (meta === null || typeof meta !== "object" || Array.isArray(meta)) throw invalid(`${where}: structured metadata must be an object of strings`);
        for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
          if (typeof v !== "string") throw invalid(`${where}: structured metadata "${k}" must be a string`);
          metadata[k] = v;
        }
      }
      return { timestampNs: BigInt(ts), line, metadata };
    });
    out.push({ labels, entries });
  });
  return out;
}

// Streaming decoder of the Lumberjack wire protocol (v2 as Beats send it, v1 as logstash-forwarder and the old
// Logstash lumberjack output send it): window, JSON, key/value and zlib-compressed frames. Pure: bytes in, frames out.

import { inflateSync } from "node:zlib";
import { MeshlogError } from "@meshlog/core";
import { BeatsErrors } from "./errors.js";

/** Protocol version byte: '1' (0x31) or '2' (0x32). */
export type LumberjackVersion = 1 | 2;

export type LumberjackFrame =
  /** Starts a batch of `count` events (0: an empty batch, which carries nothing). */
  | { readonly kind: "window"; readonly version: LumberjackVersion; readonly count: number }
  /** A v2 JSON event; `payload` is the JSON text (not parsed here). */
  | { readonly kind: "json"; readonly version: LumberjackVersion; readonly seq: number; readonly payload: Buffer }
  /** A v1 data frame: string key/value pairs. */
  | { readonly kind: "data"; readonly version: LumberjackVersion; readonly seq: number; readonly fields: Record<string, string> };

export interface LumberjackLimits {
  /** Largest frame on the wire (a JSON payload, a compressed payload, a v1 data frame). */
  readonly maxFrameBytes: number;
  /** Largest inflated size of one compressed frame (zip-bomb bound). */
  readonly maxDecompressedBytes: number;
  /** Most events one window frame may announce. */
  readonly maxWindowSize: number;
}

/** Frames decoded from one push, and the error that stopped decoding (frames before it are valid). */
export interface DecodeResult {
  readonly frames: LumberjackFrame[];
  readonly error?: MeshlogError;
}

const V1 = 0x31;
const V2 = 0x32;
const WINDOW = 0x57; // 'W'
const JSON_FRAME = 0x4a; // 'J'
const COMPRESSED = 0x43; // 'C'
const DATA = 0x44; // 'D'
const ACK = 0x41; // 'A'

const hex = (b: number): string => `0x${b.toString(16).padStart(2, "0")}`;
const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? ` '${String.fromCharCode(b)}'` : "");

/** The 6-byte ACK frame: version, 'A', big-endian sequence. */
export function ackFrame(version: LumberjackVersion, seq: number): Buffer {
  const b = Buffer.allocUnsafe(6);
  b[0] = version === 1 ? V1 : V2;
  b[1] = ACK;
  b.writeUInt32BE(seq >>> 0, 2);
  return b;
}

/**
 * Splits a byte stream into frames. Invariants: a frame is returned only once all its bytes arrived; sizes are
 * checked against the limits from the header, before the payload is buffered or inflated; after an error the
 * decoder returns nothing more (the connection must be closed).
 */
export class LumberjackDecoder {
  readonly #limits: LumberjackLimits;
  #parts: Buffer[] = [];
  #length = 0;
  /** Bytes needed before decoding can make progress (known from a frame header). */
  #need = 2;
  #failed = false;

  constructor(limits: LumberjackLimits) {
    this.#limits = limits;
  }

  /** Bytes received but not yet decoded (a partial frame). */
  get buffered(): number {
    return this.#length;
  }

  push(chunk: Buffer): DecodeResult {
    if (this.#failed) return { frames: [] };
    this.#parts.push(chunk);
    this.#length += chunk.length;
    if (this.#length < this.#need) return { frames: [] };
    const buf = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#length);
    const frames: LumberjackFrame[] = [];
    let off = 0;
    try {
      for (;;) {
        const r = this.#frameAt(buf, off, frames, false);
        if (r.consumed === 0) {
          this.#need = r.need;
          break;
        }
        off += r.consumed;
      }
    } catch (err) {
      this.#failed = true;
      this.#parts = [];
      this.#length = 0;
      return { frames, error: err instanceof MeshlogError ? err : new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, String(err)) };
    }
    const rest = buf.length - off;
    this.#parts = rest === 0 ? [] : [buf.subarray(off)];
    this.#length = rest;
    return { frames };
  }

  /**
   * Decodes the frame at `off`. Returns consumed = 0 and the total bytes needed when it is incomplete. Inside a
   * compressed payload (`nested`), only event frames are allowed and an incomplete frame is an error.
   */
  #frameAt(buf: Buffer, off: number, out: LumberjackFrame[], nested: boolean): { consumed: number; need: number } {
    const avail = buf.length - off;
    const incomplete = (total: number): { consumed: number; need: number } => {
      if (nested)
        throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, `a compressed frame's payload ends inside a frame (needs ${total} bytes, has ${avail})`);
      return { consumed: 0, need: total };
    };
    if (avail < 2) return avail === 0 && nested ? { consumed: 0, need: 0 } : incomplete(2);
    const v = buf[off] as number;
    const type = buf[off + 1] as number;
    if (v !== V1 && v !== V2)
      throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, `unknown protocol version byte ${hex(v)}${printable(v)} (expected '1' or '2')`);
    const version: LumberjackVersion = v === V1 ? 1 : 2;
    const { maxFrameBytes, maxWindowSize } = this.#limits;
    switch (type) {
      case WINDOW: {
        if (nested) throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, "a window frame inside a compressed frame");
        if (avail < 6) return incomplete(6);
        const count = buf.readUInt32BE(off + 2);
        if (count > maxWindowSize)
          throw new MeshlogError(BeatsErrors.BEATS_WINDOW_INVALID, `a window of ${count} events is over the limit of ${maxWindowSize} (beats.maxWindowSize)`);
        out.push({ kind: "window", version, count });
        return { consumed: 6, need: 2 };
      }
      case JSON_FRAME: {
        if (avail < 10) return incomplete(10);
        const len = buf.readUInt32BE(off + 6);
        if (len > maxFrameBytes) throw tooLarge("a JSON data frame", len, maxFrameBytes);
        if (avail < 10 + len) return incomplete(10 + len);
        out.push({ kind: "json", version, seq: buf.readUInt32BE(off + 2), payload: buf.subarray(off + 10, off + 10 + len) });
        return { consumed: 10 + len, need: 2 };
      }
      case COMPRESSED: {
        if (nested) throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, "a compressed frame inside a compressed frame");
        if (avail < 6) return incomplete(6);
        const len = buf.readUInt32BE(off + 2);
        if (len > maxFrameBytes) throw tooLarge("a compressed frame", len, maxFrameBytes);
        if (avail < 6 + len) return incomplete(6 + len);
        const inner = this.#inflate(buf.subarray(off + 6, off + 6 + len));
        // Copy nothing: event payloads are views into the inflated buffer.
        let p = 0;
        while (p < inner.length) p += this.#frameAt(inner, p, out, true).consumed;
        return { consumed: 6 + len, need: 2 };
      }
      case DATA: {
        if (avail < 10) return incomplete(10);
        const seq = buf.readUInt32BE(off + 2);
        const pairs = buf.readUInt32BE(off + 6);
        // Each pair takes at least 8 bytes: a count the frame limit cannot hold is refused before reading on.
        if (pairs > maxFrameBytes / 8) throw tooLarge(`a v1 data frame of ${pairs} pairs`, pairs * 8, maxFrameBytes);
        const fields: Record<string, string> = Object.create(null) as Record<string, string>;
        let p = off + 10;
        for (let i = 0; i < pairs; i++) {
          let key = "";
          for (let half = 0; half < 2; half++) {
            if (buf.length - p < 4) return incomplete(p - off + 4);
            const n = buf.readUInt32BE(p);
            if (p + 4 + n - off > maxFrameBytes) throw tooLarge("a v1 data frame", p + 4 + n - off, maxFrameBytes);
            if (buf.length - p - 4 < n) return incomplete(p - off + 4 + n);
            const s = buf.toString("utf8", p + 4, p + 4 + n);
            p += 4 + n;
            if (half === 0) key = s;
            else fields[key] = s;
          }
        }
        out.push({ kind: "data", version, seq, fields: { ...fields } });
        return { consumed: p - off, need: 2 };
      }
      case ACK:
        throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, "an ACK frame from the client (ACKs only go from server to client)");
      default:
        throw new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, `unknown frame type ${hex(type)}${printable(type)} (expected W, J, C or D)`);
    }
  }

  #inflate(payload: Buffer): Buffer {
    try {
      return inflateSync(payload, { maxOutputLength: this.#limits.maxDecompressedBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
        throw new MeshlogError(
          BeatsErrors.BEATS_FRAME_TOO_LARGE,
          `a compressed frame inflates to more than ${this.#limits.maxDecompressedBytes} bytes (ingest.maxBodyBytes)`,
        );
      throw new MeshlogError(BeatsErrors.BEATS_DECOMPRESS_FAILED, `a compressed frame is not a valid zlib stream: ${(err as Error).message}`);
    }
  }
}

function tooLarge(what: string, size: number, limit: number): MeshlogError {
  return new MeshlogError(BeatsErrors.BEATS_FRAME_TOO_LARGE, `${what} of ${size} bytes is over the limit of ${limit} bytes (ingest.maxBodyBytes)`);
}

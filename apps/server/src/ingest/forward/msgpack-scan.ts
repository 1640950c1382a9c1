// Finds msgpack object boundaries without decoding them, so a byte stream can be cut into complete objects
// (and oversized objects refused) before any allocation-heavy decoding happens.

import { MeshlogError } from "@meshlog/core";
import { ForwardErrors } from "./errors.js";

/** Returned by msgpackObjectEnd when the buffer ends before the object does. */
export const INCOMPLETE = -1;

/** Header of the msgpack value at `pos`: its header length, payload byte length and child count; undefined when
 * the header itself is cut off at `end`. Throws FORWARD_FRAME_INVALID on the reserved type byte 0xc1. */
export function msgpackHeader(buf: Uint8Array, pos: number, end: number): { head: number; payload: number; children: number } | undefined {
  const b = buf[pos] as number;
  const need = (n: number): boolean => pos + n <= end;
  const u8 = (o: number): number => buf[pos + o] as number;
  const u16 = (o: number): number => (u8(o) << 8) | u8(o + 1);
  const u32 = (o: number): number => u8(o) * 0x1000000 + ((u8(o + 1) << 16) | (u8(o + 2) << 8) | u8(o + 3));
  if (b <= 0x7f || b >= 0xe0) return { head: 1, payload: 0, children: 0 };
  if (b >= 0x80 && b <= 0x8f) return { head: 1, payload: 0, children: (b & 0x0f) * 2 };
  if (b >= 0x90 && b <= 0x9f) return { head: 1, payload: 0, children: b & 0x0f };
  if (b >= 0xa0 && b <= 0xbf) return { head: 1, payload: b & 0x1f, children: 0 };
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return { head: 1, payload: 0, children: 0 };
    case 0xc4:
    case 0xd9:
      return need(2) ? { head: 2, payload: u8(1), children: 0 } : undefined;
    case 0xc5:
    case 0xda:
      return need(3) ? { head: 3, payload: u16(1), children: 0 } : undefined;
    case 0xc6:
    case 0xdb:
      return need(5) ? { head: 5, payload: u32(1), children: 0 } : undefined;
    case 0xc7:
      return need(3) ? { head: 3, payload: u8(1), children: 0 } : undefined;
    case 0xc8:
      return need(4) ? { head: 4, payload: u16(1), children: 0 } : undefined;
    case 0xc9:
      return need(6) ? { head: 6, payload: u32(1), children: 0 } : undefined;
    case 0xca:
      return { head: 1, payload: 4, children: 0 };
    case 0xcb:
      return { head: 1, payload: 8, children: 0 };
    case 0xcc:
    case 0xd0:
      return { head: 1, payload: 1, children: 0 };
    case 0xcd:
    case 0xd1:
      return { head: 1, payload: 2, children: 0 };
    case 0xce:
    case 0xd2:
      return { head: 1, payload: 4, children: 0 };
    case 0xcf:
    case 0xd3:
      return { head: 1, payload: 8, children: 0 };
    case 0xd4:
      return { head: 2, payload: 1, children: 0 };
    case 0xd5:
      return { head: 2, payload: 2, children: 0 };
    case 0xd6:
      return { head: 2, payload: 4, children: 0 };
    case 0xd7:
      return { head: 2, payload: 8, children: 0 };
    case 0xd8:
      return { head: 2, payload: 16, children: 0 };
    case 0xdc:
      return need(3) ? { head: 3, payload: 0, children: u16(1) } : undefined;
    case 0xdd:
      return need(5) ? { head: 5, payload: 0, children: u32(1) } : undefined;
    case 0xde:
      return need(3) ? { head: 3, payload: 0, children: u16(1) * 2 } : undefined;
    case 0xdf:
      return need(5) ? { head: 5, payload: 0, children: u32(1) * 2 } : undefined;
    default:
      throw new MeshlogError(ForwardErrors.FORWARD_FRAME_INVALID, `invalid msgpack type byte 0x${b.toString(16)} at offset ${pos}`);
  }
}

/**
 * Offset just past the msgpack object starting at `start`, or INCOMPLETE when `buf[start, end)` holds only a
 * prefix of it. Iterative (no recursion, so nesting depth cannot exhaust the stack). Throws
 * FORWARD_FRAME_INVALID on the reserved byte 0xc1 and FORWARD_FRAME_TOO_LARGE once the object provably
 * extends past `start + maxBytes` (declared lengths are checked before waiting for the bytes).
 */
export function msgpackObjectEnd(buf: Uint8Array, start: number, end: number, maxBytes: number): number {
  let pos = start;
  let remaining = 1;
  const limit = start + maxBytes;
  while (remaining > 0) {
    if (pos >= end) return INCOMPLETE;
    const h = msgpackHeader(buf, pos, end);
    if (h === undefined) return INCOMPLETE;
    pos += h.head + h.payload;
    remaining += h.children - 1;
    if (pos > limit || remaining > limit - pos) {
      throw new MeshlogError(ForwardErrors.FORWARD_FRAME_TOO_LARGE, `msgpack object starting at stream offset ${start} is larger than ${maxBytes} bytes`);
    }
  }
  return pos > end ? INCOMPLETE : pos;
}

/** Offsets of the elements of the complete msgpack array at `start`, or undefined when it is not an array. */
export function arrayElements(buf: Uint8Array, start: number, end: number): { start: number; end: number }[] | undefined {
  const b = buf[start];
  if (b === undefined) return undefined;
  let count: number;
  let pos: number;
  if (b >= 0x90 && b <= 0x9f) {
    count = b & 0x0f;
    pos = start + 1;
  } else if (b === 0xdc || b === 0xdd) {
    const h = msgpackHeader(buf, start, end);
    if (h === undefined) return undefined;
    count = h.children;
    pos = start + h.head;
  } else return undefined;
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < count; i++) {
    const e = msgpackObjectEnd(buf, pos, end, end - pos);
    if (e === INCOMPLETE) return undefined;
    out.push({ start: pos, end: e });
    pos = e;
  }
  return out;
}

/** The raw payload of a msgpack str or bin at `start` (a view, not a copy), or undefined for other types. */
export function rawBytesAt(buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
  const b = buf[start];
  if (b === undefined) return undefined;
  const isStr = (b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb;
  const isBin = b === 0xc4 || b === 0xc5 || b === 0xc6;
  if (!isStr && !isBin) return undefined;
  const h = msgpackHeader(buf, start, end);
  if (h === undefined || start + h.head + h.payload > end) return undefined;
  return buf.subarray(start + h.head, start + h.head + h.payload);
}

// RFC 6587 framing for syslog over TCP/TLS: per message, octet counting ("LEN SP MSG") when it starts with a
// digit 1-9, else non-transparent framing ending at LF, CRLF or NUL. Memory stays bounded by maxMessageBytes.

import { MeshlogError } from "@meshlog/core";
import { SyslogErrors } from "./errors.js";

/** What the framer found in a chunk: complete messages and recoverable problems (oversized messages). */
export interface FramerOutput {
  readonly messages: Buffer[];
  /** Messages discarded because they exceed maxMessageBytes (the stream continues after them). */
  readonly oversized: number;
  /** An unrecoverable framing error after `messages`; the framer must not be used again. */
  readonly error?: MeshlogError;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
const MAX_COUNT_DIGITS = 10;

/** Bytes that may begin the next frame: an octet count, a PRI, or a trailer/blank. */
const canStartFrame = (b: number): boolean => (b >= 0x31 && b <= 0x39) || b === 0x3c || b === LF || b === CR || b === NUL || b === SP;

type Mode =
  | { kind: "start" }
  | { kind: "count"; digits: number; value: number }
  | { kind: "octets"; need: number; counted: number }
  | { kind: "skip-octets"; need: number }
  | { kind: "line" }
  | { kind: "skip-line" };

/**
 * Invariants: at most maxMessageBytes (+ one chunk while scanning) are buffered; an oversized message is
 * skipped, not truncated; an unrecoverable framing error is returned (SYSLOG_FRAME_INVALID) after the
 * messages complete before it, and the framer must not be used again.
 */
export class SyslogFramer {
  readonly #max: number;
  #mode: Mode = { kind: "start" };
  #parts: Buffer[] = [];
  #partsLen = 0;
  #offset = 0;

  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  /** Bytes of an incomplete message held. */
  get buffered(): number {
    return this.#partsLen;
  }

  push(chunk: Buffer): FramerOutput {
    const messages: Buffer[] = [];
    let oversized = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const m = this.#mode;
      switch (m.kind) {
        case "start": {
          const b = chunk[i] as number;
          if (b === LF || b === CR || b === NUL || b === SP) {
            i++; // stray trailers between frames
          } else if (b >= 0x31 && b <= 0x39) {
            this.#mode = { kind: "count", digits: 0, value: 0 };
          } else {
            this.#mode = { kind: "line" };
          }
          break;
        }
        case "count": {
          const b = chunk[i] as number;
          if (b >= 0x30 && b <= 0x39) {
            m.digits++;
            m.value = m.value * 10 + (b - 0x30);
            this.#keep(chunk.subarray(i, i + 1));
            i++;
            if (m.digits > MAX_COUNT_DIGITS) {
              const error = new MeshlogError(
                SyslogErrors.SYSLOG_FRAME_INVALID,
                `octet count at stream offset ${this.#offset + i} has more than ${MAX_COUNT_DIGITS} digits`,
              );
              this.#parts = [];
              this.#partsLen = 0;
              return { messages, oversized, error };
            }
          } else if (b === SP) {
            i++;
            this.#parts = [];
            this.#partsLen = 0;
            if (m.value > this.#max) {
              oversized++;
              this.#mode = { kind: "skip-octets", need: m.value };
            } else this.#mode = { kind: "octets", need: m.value, counted: 0 };
          } else {
            // Digits not followed by SP: not octet counting after all (e.g. a PRI-less line starting with a date).
            this.#mode = { kind: "line" };
          }
          break;
        }
        case "octets": {
          const take = Math.min(m.need, n - i);
          this.#keep(chunk.subarray(i, i + take));
          i += take;
          m.need -= take;
          if (m.need === 0) {
            // Some senders count characters, not bytes: when the count ends inside text (the next byte cannot
            // start a frame) and the message holds multi-byte UTF-8, extend it by the uncounted bytes.
            if (i < n && !canStartFrame(chunk[i] as number)) {
              const extra = this.#continuationBytes() - m.counted;
              if (extra > 0 && this.#partsLen + extra <= this.#max) {
                m.counted += extra;
                m.need = extra;
                break;
              }
            }
            messages.push(this.#take());
            this.#mode = { kind: "start" };
          }
          break;
        }
        case "skip-octets": {
          const take = Math.min(m.need, n - i);
          i += take;
          m.need -= take;
          if (m.need === 0) this.#mode = { kind: "start" };
          break;
        }
        case "line":
        case "skip-line": {
          let j = i;
          while (j < n && chunk[j] !== LF && chunk[j] !== NUL) j++;
          if (m.kind === "line") {
            if (this.#partsLen + (j - i) > this.#max) {
              oversized++;
              this.#parts = [];
              this.#partsLen = 0;
              this.#mode = { kind: "skip-line" };
            } else this.#keep(chunk.subarray(i, j));
          }
          if (j < n) {
            if (this.#mode.kind === "line") {
              let msg = this.#take();
              if (msg.length > 0 && msg[msg.length - 1] === CR) msg = msg.subarray(0, msg.length - 1);
              if (msg.length > 0) messages.push(msg);
            }
            this.#mode = { kind: "start" };
            j++;
          }
          i = j;
          break;
        }
      }
    }
    this.#offset += n;
    return { messages, oversized };
  }

  /**
   * At connection end: the unterminated last message of LF framing (kept, as senders often omit the final
   * trailer); `truncated` is true when an octet-counted message was cut short (it is discarded).
   */
  end(): { last?: Buffer; truncated: boolean } {
    const m = this.#mode;
    this.#mode = { kind: "start" };
    if ((m.kind === "line" || m.kind === "count") && this.#partsLen > 0) return { last: this.#take(), truncated: false };
    const truncated = m.kind === "octets" || m.kind === "skip-octets";
    this.#parts = [];
    this.#partsLen = 0;
    return { truncated };
  }

  /** UTF-8 continuation bytes (10xxxxxx) in the message being assembled. */
  #continuationBytes(): number {
    let n = 0;
    for (const p of this.#parts) for (let i = 0; i < p.length; i++) if (((p[i] as number) & 0xc0) === 0x80) n++;
    return n;
  }

  #keep(b: Buffer): void {
    if (b.length === 0) return;
    this.#parts.push(b);
    this.#partsLen += b.length;
  }

  #take(): Buffer {
    const out = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#partsLen);
    this.#parts = [];
    this.#partsLen = 0;
    return out;
  }
}

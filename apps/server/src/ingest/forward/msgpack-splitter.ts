// Cuts a msgpack byte stream (TCP) into complete top-level objects with a bounded, growable buffer and a
// resumable scan, so a large object arriving in many small chunks is scanned once, not once per chunk.

import { MeshlogError } from "@meshlog/core";
import { ForwardErrors } from "./errors.js";
import { msgpackHeader } from "./msgpack-scan.js";

/**
 * Invariant: bytes in [#start, #end) are unconsumed; a scan of the object beginning at #start has reached
 * #scanPos with #remaining values still to skip. Views returned by next() stay valid until the next push().
 */
export class MsgpackSplitter {
  readonly #maxObjectBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #scanPos = 0;
  #remaining = 1;
  /** Stream offset of #start (for error messages). */
  #streamOffset = 0;

  constructor(maxObjectBytes: number) {
    this.#maxObjectBytes = maxObjectBytes;
  }

  /** Bytes received but not yet returned as objects. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    if (this.#buf.length - this.#end < chunk.byteLength) {
      const used = this.#end - this.#start;
      const needed = used + chunk.byteLength;
      const target =
        needed <= this.#buf.length / 2 ? this.#buf : Buffer.allocUnsafe(Math.max(needed, Math.min(this.#buf.length * 2, needed + 4 * 1024 * 1024), 64 * 1024));
      this.#buf.copy(target, 0, this.#start, this.#end);
      this.#scanPos -= this.#start;
      this.#buf = target;
      this.#start = 0;
      this.#end = used;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }

  /** The next complete object's bytes, or undefined when more data is needed. Throws on invalid or oversized input. */
  next(): Uint8Array | undefined {
    if (this.#start === this.#end) return undefined;
    const limit = this.#start + this.#maxObjectBytes;
    while (this.#remaining > 0) {
      if (this.#scanPos >= this.#end) return this.#checkWaiting(limit);
      const h = msgpackHeader(this.#buf, this.#scanPos, this.#end);
      if (h === undefined) return this.#checkWaiting(limit);
      this.#scanPos += h.head + h.payload;
      this.#remaining += h.children - 1;
      if (this.#scanPos > limit || this.#remaining > limit - this.#scanPos) {
        throw new MeshlogError(
          ForwardErrors.FORWARD_FRAME_TOO_LARGE,
          `msgpack object at stream offset ${this.#streamOffset} is larger than ${this.#maxObjectBytes} bytes`,
        );
      }
    }
    if (this.#scanPos > this.#end) return undefined;
    const obj = this.#buf.subarray(this.#start, this.#scanPos);
    this.#streamOffset += this.#scanPos - this.#start;
    this.#start = this.#scanPos;
    this.#remaining = 1;
    if (this.#start === this.#end) {
      this.#start = this.#end = this.#scanPos = 0;
    }
    return obj;
  }

  #checkWaiting(limit: number): undefined {
    if (this.#end - this.#start > this.#maxObjectBytes && this.#end > limit) {
      throw new MeshlogError(
        ForwardErrors.FORWARD_FRAME_TOO_LARGE,
        `msgpack object at stream offset ${this.#streamOffset} is larger than ${this.#maxObjectBytes} bytes`,
      );
    }
    return undefined;
  }
}

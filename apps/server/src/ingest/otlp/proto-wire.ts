// Protocol Buffers wire format: a bounds-checked reader and a small writer, shared by the OTLP, Loki and Zipkin decoders.

/** Thrown on malformed or truncated protobuf input; `offset` is where decoding failed. */
export class ProtoWireError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "ProtoWireError";
    this.offset = offset;
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Reads one message from `buf[start, end)`. Every read is bounds-checked against `end`, so a truncated
 * or hostile length prefix can never read past the message it belongs to.
 */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** True when the whole message has been read. */
  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  tag(): [number, number] {
    const key = this.varint32();
    const field = key >>> 3;
    if (field === 0) throw new ProtoWireError("invalid field number 0", this.pos);
    return [field, key & 7];
  }

  /** A varint that must fit in 32 bits (lengths, enums, bools); larger values are truncated to the low 32 bits as protobuf does. */
  varint32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoWireError("truncated varint", this.pos);
      const b = this.buf[this.pos++] as number;
      if (shift < 32) result |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new ProtoWireError("varint longer than 10 bytes", this.pos);
  }

  /** A varint as an unsigned 64-bit bigint. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoWireError("truncated varint", this.pos);
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtoWireError("varint longer than 10 bytes", this.pos);
  }

  /** A signed int64 varint (two's complement). */
  int64(): bigint {
    return BigInt.asIntN(64, this.varint64());
  }

  /** A signed int32 varint. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint64()));
  }

  fixed64(): bigint {
    this.#need(8);
    let lo = 0n;
    for (let i = 7; i >= 0; i--) lo = (lo << 8n) | BigInt(this.buf[this.pos + i] as number);
    this.pos += 8;
    return lo;
  }

  sfixed64(): bigint {
    return BigInt.asIntN(64, this.fixed64());
  }

  fixed32(): number {
    this.#need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
  }

  double(): number {
    this.#need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Length-delimited bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const len = this.varint32();
    this.#need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over an embedded message (length-delimited). */
  message(): ProtoReader {
    const len = this.varint32();
    this.#need(len);
    const sub = new ProtoReader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return sub;
  }

  /** Skips a field of the given wire type (unknown fields are ignored, as protobuf requires). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_I64:
        this.#need(8);
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const len = this.varint32();
        this.#need(len);
        this.pos += len;
        return;
      }
      case WIRE_I32:
        this.#need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtoWireError(`unsupported wire type ${wireType}`, this.pos);
    }
  }

  /** Throws unless the field has the expected wire type. */
  expect(wireType: number, actual: number, field: string): void {
    if (wireType !== actual) throw new ProtoWireError(`field ${field} has wire type ${actual}, expected ${wireType}`, this.pos);
  }

  #need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtoWireError(`truncated message (needs ${n} bytes, ${this.end - this.pos} left)`, this.pos);
  }
}

/** Builds a protobuf message (enough for the small response messages receivers send). */
export class ProtoWriter {
  readonly #parts: number[] = [];

  varintField(field: number, value: number | bigint): this {
    this.#varint((field << 3) | WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, Buffer.from(value, "utf8"));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.#varint((field << 3) | WIRE_LEN);
    this.#varint(value.length);
    for (const b of value) this.#parts.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.#parts);
  }

  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#parts.push(Number(v));
  }
}

/** Lowercase hex of raw bytes ("" when empty). */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

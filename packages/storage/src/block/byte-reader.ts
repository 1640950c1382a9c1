// Bounds-checked reader for the binary layouts written by ByteWriter; every overrun is a thrown error.

/** Thrown (as a plain error) when input ends early or a value is out of range; callers wrap it with context. */
export class ByteReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ByteReaderError";
  }
}

/** Reads little-endian values and varints from a buffer; never reads past `end`. */
export class ByteReader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = Math.min(end, buf.length);
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number): void {
    if (n < 0 || this.#pos + n > this.#end) {
      throw new ByteReaderError(`unexpected end of data at offset ${this.#pos} (need ${n} bytes, ${this.#end - this.#pos} left)`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++] as number;
  }

  u16(): number {
    this.#need(2);
    const v = this.#buf.readUInt16LE(this.#pos);
    this.#pos += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#buf.readUInt32LE(this.#pos);
    this.#pos += 4;
    return v;
  }

  i64(): bigint {
    this.#need(8);
    const v = this.#buf.readBigInt64LE(this.#pos);
    this.#pos += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      this.#need(1);
      const b = this.#buf[this.#pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      mul *= 0x80;
    }
    throw new ByteReaderError(`varint too long or out of range at offset ${this.#pos}`);
  }

  svarint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  bigSvarint(): bigint {
    if (this.#pos < this.#end) {
      const b0 = this.#buf[this.#pos] as number;
      if (b0 < 0x80) {
        this.#pos++;
        return (b0 & 1) === 0 ? BigInt(b0 >> 1) : -BigInt((b0 + 1) >> 1);
      }
    }
    let z = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.#need(1);
      const b = this.#buf[this.#pos++] as number;
      z |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
      shift += 7n;
    }
    throw new ByteReaderError(`varint too long at offset ${this.#pos}`);
  }

  /** The underlying buffer (for callers that read a span in place after `skip`). */
  get buffer(): Buffer {
    return this.#buf;
  }

  /** Skips n bytes (bounds-checked) and returns where they start in `buffer`. */
  skip(n: number): number {
    this.#need(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Buffer {
    this.#need(n);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  lenBytes(): Buffer {
    return this.bytes(this.uvarint());
  }

  str(): string {
    const n = this.uvarint();
    this.#need(n);
    const s = this.#buf.toString("utf8", this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }
}

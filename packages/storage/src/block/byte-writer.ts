// Growable little-endian byte buffer with varints, used by the WAL frame and block column encoders.

const SAFE_BIG = 2n ** 52n;

/** Bytes of the uvarint of a non-negative safe integer. */
function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Appends binary values to an internal Buffer that doubles as needed. Call `finish()` to get the bytes. */
export class ByteWriter {
  #buf: Buffer;
  #len = 0;

  constructor(initialCapacity = 4096) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#len;
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

  u16(v: number): void {
    this.#ensure(2);
    this.#buf.writeUInt16LE(v, this.#len);
    this.#len += 2;
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

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvarint(v: number): void {
    this.#ensure(10);
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  /** Zigzag LEB128 of a safe integer (may be negative). */
  svarint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Zigzag LEB128 of any signed 64-bit bigint (Number arithmetic when |v| < 2^52). */
  bigSvarint(v: bigint): void {
    if (v < SAFE_BIG && v > -SAFE_BIG) {
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

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /**
   * Bytes of the lower-case hex text s[start, end) (even length, only 0-9a-f: the caller checks), written
   * straight from the string, as `Buffer.from(s.slice(start, end), "hex")` would give them.
   */
  hexText(s: string, start: number, end: number): void {
    const n = (end - start) >>> 1;
    this.#ensure(n);
    const buf = this.#buf;
    let p = this.#len;
    for (let i = start; i < end; i += 2) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      buf[p++] = ((a <= 57 ? a - 48 : a - 87) << 4) | (b <= 57 ? b - 48 : b - 87);
    }
    this.#len = p;
  }

  /** Length-prefixed (uvarint) byte string. */
  lenBytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.bytes(b);
  }

  /**
   * Length-prefixed (uvarint) UTF-8 string. Short ASCII strings are copied by a JS loop, much cheaper than a
   * native UTF-8 write per string; others are written after a varint slot sized for ASCII, moved if it differs.
   */
  str(s: string): void {
    const n = s.length;
    this.#ensure(n * 3 + 10);
    const buf = this.#buf;
    const start = this.#len;
    if (n < 128) {
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
    const guess = uvarintSize(n);
    const written = buf.write(s, start + guess, "utf8");
    const size = uvarintSize(written);
    if (size !== guess) buf.copyWithin(start + size, start + guess, start + guess + written);
    this.uvarint(written);
    this.#len = start + size + written;
  }

  /** Overwrites 4 bytes already written at `at`. */
  patchU32(at: number, v: number): void {
    this.#buf.writeUInt32LE(v >>> 0, at);
  }

  /** Empties the writer for reuse; drops a buffer grown beyond `keepBytes`. */
  reset(keepBytes = 8 << 20): void {
    this.#len = 0;
    if (this.#buf.length > keepBytes) this.#buf = Buffer.allocUnsafe(keepBytes);
  }

  /** The written bytes (a view of the internal buffer; copy it if the writer is reused). */
  finish(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

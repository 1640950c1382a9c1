// Growable output buffer that writes decoded body variables as text bytes (digits, hex, ASCII).

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** A growable byte buffer for decoded text: numbers as decimal digits, bytes as hex, ASCII strings. */
export class TextOut {
  buf: Buffer;
  len = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  digits(v: number): void {
    this.ensure(16);
    const buf = this.buf;
    if (v <= 0x7fffffff) {
      // Small-integer arithmetic: much faster than floating-point division and modulo.
      let x = v | 0;
      let n = 1;
      for (let y = x; y >= 10; y = (y / 10) | 0) n++;
      let o = this.len + n;
      this.len = o;
      do {
        const q = (x / 10) | 0;
        buf[--o] = 48 + x - q * 10;
        x = q;
      } while (x > 0);
      return;
    }
    this.len += buf.write(String(v), this.len, "latin1");
  }
  /** Lower-case hex of src[start, start + n), with uuid dashes when asked. */
  hex(src: Uint8Array, start: number, n: number, dashes: boolean): void {
    this.ensure(n * 2 + 4);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) {
      if (dashes && (i === 4 || i === 6 || i === 8 || i === 10)) buf[o++] = 45;
      const v = src[start + i] as number;
      buf[o++] = HEX_DIGITS[v >> 4] as number;
      buf[o++] = HEX_DIGITS[v & 15] as number;
    }
    this.len = o;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, "latin1");
  }
}

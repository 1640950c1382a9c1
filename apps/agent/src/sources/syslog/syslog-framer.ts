// Splits a syslog TCP/TLS byte stream into messages: RFC 6587 octet counting or LF/NUL-terminated.

/**
 * Feeds stream chunks; returns complete messages. Octet counting (`123 <msg>`) is chosen per message when
 * it starts with a digit, otherwise the message ends at LF (or NUL). A message over `maxBytes` is cut
 * there and counted in `oversized`; a malformed length prefix falls back to line framing.
 */
export class SyslogStreamFramer {
  readonly #maxBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  oversized = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): string[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: string[] = [];
    let pos = 0;
    while (pos < this.#buf.length) {
      const c = this.#buf[pos] as number;
      if (c === 10 || c === 0 || c === 13) {
        pos++;
        continue;
      }
      if (c >= 0x31 && c <= 0x39) {
        const sp = this.#buf.indexOf(32, pos);
        if (sp < 0 && this.#buf.length - pos < 12) break;
        const digits = sp < 0 ? "" : this.#buf.toString("latin1", pos, sp);
        if (/^[1-9]\d{0,9}$/.test(digits)) {
          const len = Number(digits);
          if (len > this.#maxBytes) {
            this.oversized++;
            const end = Math.min(this.#buf.length, sp + 1 + len);
            out.push(this.#buf.toString("utf8", sp + 1, Math.min(end, sp + 1 + this.#maxBytes)));
            if (end < sp + 1 + len) {
              this.#buf = Buffer.alloc(0);
              return out;
            }
            pos = end;
            continue;
          }
          if (sp + 1 + len > this.#buf.length) break;
          out.push(this.#buf.toString("utf8", sp + 1, sp + 1 + len));
          pos = sp + 1 + len;
          continue;
        }
      }
      let end = this.#buf.indexOf(10, pos);
      const nul = this.#buf.indexOf(0, pos);
      if (nul >= 0 && (end < 0 || nul < end)) end = nul;
      if (end < 0) {
        if (this.#buf.length - pos > this.#maxBytes) {
          this.oversized++;
          out.push(this.#buf.toString("utf8", pos, pos + this.#maxBytes));
          pos = this.#buf.length;
        }
        break;
      }
      const lineEnd = end > pos && this.#buf[end - 1] === 13 ? end - 1 : end;
      out.push(this.#buf.toString("utf8", pos, lineEnd));
      pos = end + 1;
    }
    this.#buf = pos >= this.#buf.length ? Buffer.alloc(0) : Buffer.from(this.#buf.subarray(pos));
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.#buf.length;
  }
}

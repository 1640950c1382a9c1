// Writes a record's canonical JSON (record-hash.ts) straight into bytes, for hashing leaves without building strings.

import type { LogRecord } from "@meshlog/core";

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ATTRIBUTES = ascii('{"attributes":');
const BODY = ascii(',"body":');
const LABELS = ascii(',"labels":');
const OBSERVED = ascii(',"observedTimestamp":"');
const RESOURCE = ascii('","resource":');
const SEVERITY = ascii(',"severityNumber":');
const SEVERITY_TEXT = ascii(',"severityText":');
const SPAN = ascii(',"spanId":');
const TENANT = ascii(',"tenant":');
const TIMESTAMP = ascii(',"timestamp":"');
const TRACE = ascii('","traceId":');

/** Second byte of the two-character escapes JSON.stringify uses (\", \\, \b, \t, \n, \f, \r). */
const SHORT_ESCAPES = new Uint8Array(128);
for (const [c, e] of [
  [34, 34],
  [92, 92],
  [8, 98],
  [9, 116],
  [10, 110],
  [12, 102],
  [13, 114],
] as const)
  SHORT_ESCAPES[c] = e;
const HEX_DIGITS = ascii("0123456789abcdef");

/**
 * A growable byte buffer that appends the UTF-8 of canonicalRecordJson(r) without creating that string:
 * ASCII strings are copied and escaped by a loop; any other string goes through JSON.stringify, so the
 * bytes are always those of `Buffer.from(canonicalRecordJson(r), "utf8")`.
 */
export class CanonicalJsonWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  #ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  raw(b: Uint8Array): void {
    const n = b.length;
    this.#ensure(n);
    if (n > 64) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i] as number;
    this.pos = p;
  }

  /** ASCII text without escaping (numbers). */
  plain(s: string): void {
    this.#ensure(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /**
   * JSON.stringify(s), as UTF-8. ASCII (quotes, backslashes and control characters included) is escaped
   * here exactly as JSON.stringify does; any non-ASCII string goes through JSON.stringify itself.
   */
  string(s: string): void {
    const n = s.length;
    this.#ensure(n * 6 + 2);
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    buf[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c !== 34 && c !== 92) {
        if (c >= 0x80) {
          // Non-ASCII (lone surrogates are escaped): let JSON.stringify decide, from the start of this string.
          this.pos = start + buf.write(JSON.stringify(s), start, "utf8");
          return;
        }
        buf[p++] = c;
        continue;
      }
      buf[p++] = 92;
      const short = SHORT_ESCAPES[c] as number;
      if (short !== 0) buf[p++] = short;
      else {
        // \u00XX with lower-case hex digits, as JSON.stringify writes them.
        buf[p++] = 117;
        buf[p++] = 48;
        buf[p++] = 48;
        buf[p++] = HEX_DIGITS[c >>> 4] as number;
        buf[p++] = HEX_DIGITS[c & 15] as number;
      }
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** A string map with keys in code-unit order (as sortedJson in record-hash.ts). */
  map(o: Readonly<Record<string, string>>): void {
    const keys = Object.keys(o);
    if (keys.length > 1) keys.sort();
    this.#ensure(2);
    this.buf[this.pos++] = 123;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (i > 0) this.buf[this.pos++] = 44;
      this.string(k);
      this.#ensure(1);
      this.buf[this.pos++] = 58;
      this.string(o[k] as string);
      this.#ensure(1);
    }
    this.buf[this.pos++] = 125;
  }

  /** Appends canonicalRecordJson(r, labelsJson), with the labels' JSON given as UTF-8 bytes. */
  record(r: LogRecord, labelsJson: Uint8Array): void {
    this.raw(ATTRIBUTES);
    this.map(r.attributes);
    this.raw(BODY);
    this.string(r.body);
    this.raw(LABELS);
    this.raw(labelsJson);
    this.raw(OBSERVED);
    this.plain(r.observedTimestamp.toString());
    this.raw(RESOURCE);
    this.map(r.resource);
    this.raw(SEVERITY);
    this.plain(String(r.severityNumber));
    this.raw(SEVERITY_TEXT);
    this.string(r.severityText);
    this.raw(SPAN);
    this.string(r.spanId);
    this.raw(TENANT);
    this.string(r.tenant);
    this.raw(TIMESTAMP);
    this.plain(r.timestamp.toString());
    this.raw(TRACE);
    this.string(r.traceId);
    this.#ensure(1);
    this.buf[this.pos++] = 125;
  }
}

// A cursor over one text line for the space-separated access-log formats (Envoy, Istio, nginx, Linkerd).

/**
 * Reads tokens left to right. Every method is O(length of what it consumes); none backtracks, so a parser
 * built from it is linear in the line length. Methods return undefined when the expected token is absent.
 */
export class LineScanner {
  readonly #s: string;
  #pos: number;

  constructor(text: string, pos = 0) {
    this.#s = text;
    this.#pos = pos;
  }

  get pos(): number {
    return this.#pos;
  }

  atEnd(): boolean {
    return this.#pos >= this.#s.length;
  }

  /** The character at the cursor ("" at the end). */
  peek(): string {
    return this.#s.charAt(this.#pos);
  }

  /** Skips spaces; returns how many. */
  spaces(): number {
    const start = this.#pos;
    while (this.#s.charCodeAt(this.#pos) === 32) this.#pos++;
    return this.#pos - start;
  }

  /** Consumes `lit` when it is next. */
  literal(lit: string): boolean {
    if (!this.#s.startsWith(lit, this.#pos)) return false;
    this.#pos += lit.length;
    return true;
  }

  /** A run of non-space characters (after skipping spaces); undefined at the end of the line. */
  bare(): string | undefined {
    this.spaces();
    const start = this.#pos;
    const s = this.#s;
    while (this.#pos < s.length && s.charCodeAt(this.#pos) !== 32) this.#pos++;
    return this.#pos > start ? s.slice(start, this.#pos) : undefined;
  }

  /**
   * A double-quoted string (after skipping spaces), without its quotes. It ends at the first `"` that is
   * followed by a space or the end of the line, so values holding `"` (Envoy does not escape them) survive
   * unless they hold `" `. A backslash escapes the next character when `escapes` is set (nginx).
   */
  quoted(escapes = false): string | undefined {
    this.spaces();
    const s = this.#s;
    if (s.charCodeAt(this.#pos) !== 34) return undefined;
    let i = this.#pos + 1;
    let out = "";
    let segStart = i;
    for (;;) {
      if (i >= s.length) return undefined;
      const c = s.charCodeAt(i);
      if (escapes && c === 92 && i + 1 < s.length) {
        out += s.slice(segStart, i);
        const n = s.charAt(i + 1);
        out += n === "x" && i + 3 < s.length ? String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16) || 0x3f) : n;
        i += n === "x" ? 4 : 2;
        segStart = i;
        continue;
      }
      if (c === 34 && (i + 1 === s.length || s.charCodeAt(i + 1) === 32)) break;
      i++;
    }
    out += s.slice(segStart, i);
    this.#pos = i + 1;
    return out;
  }

  /** A `[...]` group (after skipping spaces), without the brackets; it ends at the first `]`. */
  bracketed(): string | undefined {
    this.spaces();
    const s = this.#s;
    if (s.charCodeAt(this.#pos) !== 91) return undefined;
    const end = s.indexOf("]", this.#pos + 1);
    if (end < 0) return undefined;
    const v = s.slice(this.#pos + 1, end);
    this.#pos = end + 1;
    return v;
  }

  /** Everything left, with leading spaces skipped. */
  rest(): string {
    this.spaces();
    const v = this.#s.slice(this.#pos);
    this.#pos = this.#s.length;
    return v;
  }
}

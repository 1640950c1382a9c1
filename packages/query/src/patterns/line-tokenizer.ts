// Splits a log line into structure (separators, keys) and values for pattern mining, masking obvious variables.

/** The placeholder that stands for a variable in a template (Loki's pattern syntax). */
export const WILDCARD = "<_>";

/**
 * A tokenized line: `values[i]` follows `seps[i]`, then `trailing` closes the line. Separators hold whitespace,
 * punctuation and keys (`status=`, `"level":"`), so `values` are only the things that can vary. A value that
 * looks like a variable (number, id, address, time) is already replaced by WILDCARD.
 * `shapeA`/`shapeB` are two independent hashes of the value count and the separators with whitespace runs
 * collapsed: lines of one template share them.
 */
export interface TokenizedLine {
  readonly hash: ShapeHash;
  readonly seps: string[];
  readonly values: string[];
  trailing: string;
  shapeA: number;
  shapeB: number;
}

export function emptyTokenized(): TokenizedLine {
  return { hash: new ShapeHash(), seps: [], values: [], trailing: "", shapeA: 0, shapeB: 0 };
}

// Character classes (ASCII; everything from 0x80 up is a word character).
const WORD = 0;
const SPACE = 1;
const PUNCT = 2;
/** `:` is punctuation only next to quotes/brackets or before whitespace; elsewhere (times, ports) it is part of a word. */
const COLON = 3;
const CLASS = new Uint8Array(128);
for (const c of " \t\n\r\v\f") CLASS[c.charCodeAt(0)] = SPACE;
for (const c of "=,;\"'{}[]()") CLASS[c.charCodeAt(0)] = PUNCT;
CLASS[0x3a] = COLON;

function classOf(line: string, i: number, n: number): number {
  const c = line.charCodeAt(i);
  if (c >= 128) return WORD;
  const k = CLASS[c] as number;
  if (k !== COLON) return k;
  const prev = i > 0 ? line.charCodeAt(i - 1) : 0x20;
  const next = i + 1 < n ? line.charCodeAt(i + 1) : 0x20;
  return prev === 0x22 || next === 0x22 || next === 0x20 || next === 0x09 || next === 0x7b || next === 0x5b || i + 1 === n ? PUNCT : WORD;
}

/** True for characters 0-9. */
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * True when a word is an obvious variable: it starts with a digit (numbers, sizes, durations, IPs, ip:port,
 * dates, times, versions) or with a sign and a digit, or it is a hex-like id of 6+ characters with a digit
 * (hashes, UUIDs, span ids, IPv6 with `:`), or a `0x` literal.
 */
export function isVariableWord(w: string): boolean {
  return isVariableRange(w, 0, w.length);
}

function isVariableRange(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n <= 0) return false;
  const c0 = s.charCodeAt(from);
  if (isDigit(c0)) return true;
  if ((c0 === 45 || c0 === 43) && n > 1 && isDigit(s.charCodeAt(from + 1))) return true;
  if (n < 6) return false;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if (!isHexLetter(c) && c !== 45 && c !== 58 && c !== 46) return false;
  }
  return digits > 0;
}

/** Identifier-like words (letters, digits, `_ . - @ $`, at most 64 characters) can be keys of `k=v` or JSON. */
function isKeyRange(s: string, from: number, to: number): boolean {
  if (to - from > 64) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const ok = isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45 || c === 64 || c === 36;
    if (!ok) return false;
  }
  return true;
}

/** True when a word contains a digit (such words never become a branch of the prefix tree). */
export function hasDigit(w: string): boolean {
  for (let i = 0; i < w.length; i++) if (isDigit(w.charCodeAt(i))) return true;
  return false;
}

export interface TokenizeLimits {
  /** Characters of the line looked at; the rest becomes one trailing WILDCARD. */
  readonly maxLineLength: number;
  /** Most values per line; the rest of the line becomes the last value, a WILDCARD. */
  readonly maxTokens: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Two 32-bit hashes (FNV-1a and a multiplicative one) of separators with whitespace runs collapsed to one space. */
export class ShapeHash {
  a = FNV_OFFSET;
  b = 7;
  #lastSpace = false;

  reset(): void {
    this.a = FNV_OFFSET;
    this.b = 7;
    this.#lastSpace = false;
  }

  mix(c: number): void {
    this.a = Math.imul(this.a ^ c, FNV_PRIME);
    this.b = (Math.imul(this.b, 31) + c) | 0;
  }

  /** Marks the end of a value: whitespace after it starts a new run. */
  endValue(): void {
    this.#lastSpace = false;
  }

  sep(s: string): void {
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) {
        if (!this.#lastSpace) this.mix(32);
        this.#lastSpace = true;
      } else {
        this.mix(c);
        this.#lastSpace = false;
      }
    }
  }
}

/**
 * Tokenizes `line` into `out` (arrays are reused: no allocation besides the value and separator strings).
 * Work is bounded by `limits.maxLineLength` characters whatever the input.
 */
export function tokenizeLine(line: string, limits: TokenizeLimits, out: TokenizedLine): TokenizedLine {
  const seps = out.seps;
  const values = out.values;
  seps.length = 0;
  values.length = 0;
  const full = line.length;
  const n = Math.min(full, limits.maxLineLength);
  const maxTokens = Math.max(1, limits.maxTokens);
  const h = out.hash;
  h.reset();
  // The pending separator is `pre` followed by line[pStart, current word); `pre` is only used once a masked key
  // broke the contiguity, so most separators are a single slice.
  let pre = "";
  let pStart = 0;
  let i = 0;
  let truncated = full > n;
  const push = (sep: string, value: string): void => {
    seps.push(sep);
    values.push(value);
    h.sep(sep);
    h.mix(0);
    h.endValue();
  };
  while (i < n) {
    while (i < n && classOf(line, i, n) !== WORD) i++;
    if (i >= n) break;
    const wordStart = i;
    if (values.length === maxTokens - 1) {
      // Fold the rest of the line into one final variable.
      push(pre + line.slice(pStart, wordStart), WILDCARD);
      pre = "";
      pStart = n;
      truncated = false;
      break;
    }
    while (i < n && classOf(line, i, n) === WORD) i++;
    const cut = i === n && truncated;
    const next = i < n ? line.charCodeAt(i) : 0;
    if (cut) truncated = false;
    const masked = cut || isVariableRange(line, wordStart, i);
    // A key (`status=`, `"level":`) is structure: it joins the separator instead of becoming a value.
    if (!cut && (next === 61 || (next === 34 && i + 1 < n && line.charCodeAt(i + 1) === 58)) && isKeyRange(line, wordStart, i)) {
      if (masked) {
        pre = pre + line.slice(pStart, wordStart) + WILDCARD;
        pStart = i;
      }
      continue;
    }
    push(pre + line.slice(pStart, wordStart), masked ? WILDCARD : line.slice(wordStart, i));
    pre = "";
    pStart = i;
  }
  if (truncated) {
    // Cut between a separator and a word: the cut-off remainder is one more variable.
    push(pre + line.slice(pStart, n), WILDCARD);
    pre = "";
    pStart = n;
  }
  const trailing = pre + line.slice(pStart, n);
  out.trailing = trailing;
  h.sep(trailing);
  h.mix(1);
  h.mix(values.length & 0xffff);
  h.mix(values.length >>> 16);
  out.shapeA = h.a >>> 0;
  out.shapeB = h.b >>> 0;
  return out;
}

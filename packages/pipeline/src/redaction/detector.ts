// The detector contract of redaction rules: a cheap pre-check, then the spans to replace.

/** A half-open range [start, end) of a value to replace. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Finds sensitive text in one value. `mightMatch` must be cheap (a keyword or character scan) and never
 * return false for a value `find` would match. `find` returns non-overlapping spans in ascending order
 * and must run in time linear in the value's length (no backtracking blow-up on hostile input).
 */
export interface Detector {
  readonly name: string;
  /**
   * Set on credential rules whose matches always contain a word of KEYWORD_HINT (`bearer`, `secret`,
   * `pass`, `AKIA`, ...): the Redactor tests that one pattern once per value and skips them all when absent.
   */
  readonly keywordGated?: boolean;
  /**
   * Shape bits (value-screen.ts): every value this detector matches has at least one of them, so the
   * Redactor skips it when one pass over the value found none. Absent = always consulted.
   */
  readonly screen?: number;
  mightMatch(text: string): boolean;
  find(text: string): Span[];
}

/** Spans of every match of a global regex; `group` selects a capture group (needs the `d` flag). */
export function regexSpans(re: RegExp, text: string, group = 0, accept?: (m: RegExpExecArray) => boolean): Span[] {
  const out: Span[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === "") {
      re.lastIndex++;
      continue;
    }
    if (accept !== undefined && !accept(m)) continue;
    if (group === 0) out.push({ start: m.index, end: m.index + m[0].length });
    else {
      const idx = m.indices?.[group];
      if (idx !== undefined) out.push({ start: idx[0], end: idx[1] });
    }
  }
  return out;
}

/** ASCII letter, digit or underscore. */
export function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** One case-insensitive scan covering the keywords of every keyword-gated detector. */
export const KEYWORD_HINT = /bearer|basic|secret|pass|pwd|token|api[_-]?key|private|A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA|SCA)/i;

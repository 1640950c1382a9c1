// Fast path for the RFC 3339 timestamps access logs and container runtimes write (`2024-01-01T00:00:00.123Z`).

import { parseRfc3339Ns } from "@meshlog/core";

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

/**
 * Parses RFC 3339 like core's parseRfc3339Ns (same results), with a fast path for UTC `Z` timestamps with
 * 0-9 fractional digits; any other shape goes to the general parser. Undefined when the text is not RFC 3339.
 */
export function parseRfc3339Fast(s: string): bigint | undefined {
  const n = s.length;
  if (
    n >= 20 &&
    n <= 30 &&
    s.charCodeAt(n - 1) === 90 &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58
  ) {
    let ok = true;
    for (let k = 0; k < DIGIT_POSITIONS.length; k++) {
      const c = s.charCodeAt(DIGIT_POSITIONS[k] as number);
      if (c < 48 || c > 57) ok = false;
    }
    let frac = 0;
    let digits = 0;
    if (ok && n > 20) {
      if (s.charCodeAt(19) !== 46 || n === 21) ok = false;
      for (let i = 20; ok && i < n - 1; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) ok = false;
        frac = frac * 10 + (c - 48);
        digits++;
      }
    }
    if (ok) {
      const year = d2(s, 0) * 100 + d2(s, 2);
      const ms = Date.UTC(year, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17));
      if (Number.isNaN(ms)) return undefined;
      return BigInt(ms) * 1_000_000n + BigInt(frac * 10 ** (9 - digits));
    }
  }
  return parseRfc3339Ns(s);
}

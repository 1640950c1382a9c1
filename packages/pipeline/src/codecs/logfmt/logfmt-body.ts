// logfmt lines (`level=info msg="hello world" duration=12ms`), parsed in one linear pass.

import type { ParsedBody } from "../body-format.js";
import { applyWellKnownFields } from "../structured-fields.js";
import { safeKey } from "../safe-key.js";

const isKeyChar = (c: number): boolean => c > 32 && c !== 61 && c !== 34 && c !== 127;

/** Counts of what parseLogfmtPairs read. */
export interface LogfmtStats {
  /** `key=value` pairs. */
  pairs: number;
  /** Bare words (keys without `=`). */
  bare: number;
}

/**
 * Splits a logfmt line into pairs. A bare key gets the value "true" (as go-logfmt reads it) when
 * `keepBare` is set; a quoted value may hold `\"`, `\\`, `\n`, `\t`. Returns undefined when the line
 * holds no `key=value` pair or a quote is not closed. Later duplicates overwrite earlier ones. At most
 * `maxFields` fields are kept.
 */
export function parseLogfmtPairs(line: string, maxFields = 128, keepBare = true, stats?: LogfmtStats): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const s = line;
  const n = s.length;
  let i = 0;
  let pairs = 0;
  let count = 0;
  while (i < n) {
    while (i < n && s.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const ks = i;
    while (i < n && isKeyChar(s.charCodeAt(i))) i++;
    if (i === ks) return undefined; // a stray `=` or `"` where a key should be
    const key = safeKey(s.slice(ks, i));
    if (s.charCodeAt(i) !== 61) {
      if (stats !== undefined) stats.bare++;
      if (keepBare && count < maxFields) {
        out[key] = "true";
        count++;
      }
      continue;
    }
    i++; // '='
    let value: string;
    if (s.charCodeAt(i) === 34) {
      i++;
      let v = "";
      let seg = i;
      for (;;) {
        if (i >= n) return undefined;
        const c = s.charCodeAt(i);
        if (c === 34) break;
        if (c === 92 && i + 1 < n) {
          v += s.slice(seg, i);
          const e = s.charAt(i + 1);
          v += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
          i += 2;
          seg = i;
          continue;
        }
        i++;
      }
      value = v + s.slice(seg, i);
      i++;
    } else {
      const vs = i;
      while (i < n && s.charCodeAt(i) > 32) i++;
      value = s.slice(vs, i);
    }
    pairs++;
    if (count < maxFields) {
      if (!Object.hasOwn(out, key)) count++;
      out[key] = value;
    }
  }
  if (stats !== undefined) stats.pairs = pairs;
  return pairs > 0 ? out : undefined;
}

/**
 * Parses a logfmt line; undefined when it has fewer than `minPairs` `key=value` pairs. A line with more
 * bare words than pairs is prose with a few pairs in it (`user logged in id=5 took=3ms`): its bare words
 * are not kept as fields.
 */
export function parseLogfmtBody(line: string, minPairs = 1): ParsedBody | undefined {
  const stats: LogfmtStats = { pairs: 0, bare: 0 };
  let fields = parseLogfmtPairs(line, 128, true, stats);
  if (fields === undefined || stats.pairs < minPairs) return undefined;
  if (stats.bare > stats.pairs) fields = parseLogfmtPairs(line, 128, false);
  if (fields === undefined) return undefined;
  return applyWellKnownFields({ format: "logfmt", fields });
}

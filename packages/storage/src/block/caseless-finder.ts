// ASCII-case-insensitive substring search over bytes with Buffer.indexOf (no lower-cased copy of the text).

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
/** Letters that are rare in log text make better anchors (fewer candidates to verify). */
const COMMON = new Set("etaoinsrhldcu");

/**
 * Finds a lower-case ASCII needle in bytes, ignoring ASCII case. A window of up to 3 needle characters
 * (the one with the fewest common letters) is searched with Buffer.indexOf in each of its case variants
 * (at most 8), and every candidate is verified against the whole needle. Same results as searching a
 * lower-cased copy of the text, at close to indexOf speed.
 */
export class CaselessFinder {
  readonly needle: Buffer;
  readonly #offset: number;
  readonly #variants: Buffer[];
  readonly #exact: boolean;

  constructor(lowerNeedle: string) {
    this.needle = Buffer.from(lowerNeedle, "latin1");
    const n = this.needle.length;
    this.#exact = !/[a-z]/.test(lowerNeedle);
    const w = Math.min(3, n);
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let o = 0; o + w <= n; o++) {
      let score = 0;
      for (let i = o; i < o + w; i++) {
        const c = this.needle[i] as number;
        if (isLetter(c)) score += COMMON.has(String.fromCharCode(c)) ? 3 : 2;
        else score += c === 32 ? 2 : 0;
      }
      if (score < bestScore) {
        bestScore = score;
        best = o;
      }
    }
    this.#offset = best;
    let variants = [this.needle.subarray(best, best + w)];
    for (let i = 0; i < w; i++) {
      const c = this.needle[best + i] as number;
      if (c < 97 || c > 122) continue;
      variants = variants.flatMap((v) => {
        const up = Buffer.from(v);
        up[i] = c - 32;
        return [v, up];
      });
    }
    this.#variants = variants;
  }

  /** True when the needle (ignoring ASCII case) starts at `at` in `hay`. */
  matchesAt(hay: Buffer, at: number): boolean {
    const nd = this.needle;
    if (at < 0 || at + nd.length > hay.length) return false;
    for (let i = 0; i < nd.length; i++) {
      let c = hay[at + i] as number;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== nd[i]) return false;
    }
    return true;
  }

  /** Position of the first occurrence at or after `from` (ignoring ASCII case), or -1. */
  indexIn(hay: Buffer, from = 0): number {
    if (this.#exact) return hay.indexOf(this.needle, from);
    const o = this.#offset;
    const vs = this.#variants;
    const next = vs.map((v) => hay.indexOf(v, from + o));
    for (;;) {
      let min = -1;
      let mi = -1;
      for (let k = 0; k < next.length; k++) {
        const p = next[k] as number;
        if (p >= 0 && (min < 0 || p < min)) {
          min = p;
          mi = k;
        }
      }
      if (min < 0) return -1;
      if (this.matchesAt(hay, min - o)) return min - o;
      next[mi] = hay.indexOf(vs[mi] as Buffer, min + 1);
    }
  }
}

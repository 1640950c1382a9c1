// Row-level needle check for scans: the same text a block bloom indexes, tested per row before records are built.

import { CaselessFinder } from "./caseless-finder.js";

/**
 * Needles every returned row must contain, prepared once per scan. A row passes when each needle occurs,
 * ignoring ASCII case, in its body, an attribute value, a resource value, its trace id or its span id: the
 * text the block bloom covers, so dropping a failing row is exactly as safe as pruning a block by its
 * bloom. Needles with non-ASCII characters never drop a row (case folding there is not positional).
 */
export class RowNeedles {
  readonly #exact: readonly string[];
  readonly #lower: readonly string[];
  readonly active: boolean;
  readonly #finders: CaselessFinder[] = [];

  constructor(needles: readonly string[]) {
    // eslint-disable-next-line no-control-regex
    const usable = needles.filter((n) => n !== "" && /^[\x00-\x7f]*$/.test(n));
    this.#exact = usable;
    this.#lower = usable.map((n) => n.toLowerCase());
    this.active = usable.length > 0;
  }

  /** True when every needle occurs in one of the texts (each needle may match a different text). */
  matches(body: string, traceId: string, spanId: string, attributes: Readonly<Record<string, string>>, resource: Readonly<Record<string, string>>): boolean {
    let lowerBody: string | undefined;
    for (let k = 0; k < this.#exact.length; k++) {
      const exact = this.#exact[k] as string;
      if (body.includes(exact)) continue;
      const lower = this.#lower[k] as string;
      lowerBody ??= lowerAsciiText(body);
      if (lowerBody.includes(lower) || inLower(traceId, lower) || inLower(spanId, lower) || inValues(attributes, lower) || inValues(resource, lower)) continue;
      return false;
    }
    return true;
  }

  /**
   * Marks, per row of concatenated UTF-8 bodies (row i is bytes [ends[i-1], ends[i])), the needles its
   * body holds ignoring ASCII case: bit k for needle k (needles past the 32nd are not used to drop
   * rows). Buffer.indexOf passes per needle over the whole buffer (CaselessFinder).
   */
  scanBodies(bytes: Buffer, ends: Uint32Array): Uint32Array {
    const n = ends.length;
    const hits = new Uint32Array(n);
    const count = Math.min(this.#lower.length, 32);
    for (let k = 0; k < count; k++) {
      const finder = (this.#finders[k] ??= new CaselessFinder(this.#lower[k] as string));
      const len = finder.needle.length;
      const bit = (1 << k) >>> 0;
      let row = 0;
      let at = finder.indexIn(bytes, 0);
      while (at >= 0 && row < n) {
        while (row < n && (ends[row] as number) <= at) row++;
        if (row >= n) break;
        if (at + len <= (ends[row] as number)) {
          hits[row] = ((hits[row] as number) | bit) >>> 0;
          at = finder.indexIn(bytes, ends[row] as number);
          row++;
        } else at = finder.indexIn(bytes, at + 1);
      }
    }
    return hits;
  }

  /** The case-insensitive finder of needle k (k < 32). */
  finder(k: number): CaselessFinder {
    return (this.#finders[k] ??= new CaselessFinder(this.#lower[k] as string));
  }

  /** For a row whose body holds the needles in `mask`: true when every other needle is in an id or value. */
  matchesRest(
    mask: number,
    traceId: string,
    spanId: string,
    attributes: Readonly<Record<string, string>>,
    resource: Readonly<Record<string, string>>,
  ): boolean {
    const count = Math.min(this.#lower.length, 32);
    for (let k = 0; k < count; k++) {
      if ((mask & (1 << k)) !== 0) continue;
      const lower = this.#lower[k] as string;
      if (inLower(traceId, lower) || inLower(spanId, lower) || inValues(attributes, lower) || inValues(resource, lower)) continue;
      return false;
    }
    return true;
  }

  /** The needles used to drop rows (at most 32), lower-cased: bit k of a mask is needle k. */
  get lowered(): readonly string[] {
    return this.#lower.slice(0, 32);
  }

  /** The mask of a row whose body holds every needle. */
  get all(): number {
    const count = Math.min(this.#lower.length, 32);
    return count === 32 ? 0xffffffff : (1 << count) - 1;
  }
}

/** `text` with A-Z lowered and every other character kept (so positions and non-ASCII letters stay). */
export function lowerAsciiText(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : text;
}

function inLower(text: string, lower: string): boolean {
  return text.length >= lower.length && lowerAsciiText(text).includes(lower);
}

function inValues(o: Readonly<Record<string, string>>, lower: string): boolean {
  for (const k in o) if (inLower(o[k] as string, lower)) return true;
  return false;
}

// Substring bloom filter over lower-cased 4-grams: lets a store skip blocks that cannot contain a `|=` needle.
// Shared by the storage engine (building) and the query layer (asking), so both hash grams identically.

/** Length of the character n-grams indexed. Needles shorter than this cannot be pruned. */
export const BLOOM_GRAM = 4;

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/**
 * A fixed-size bloom filter of 4-gram hashes (two probes per gram, double hashing). A needle with n grams
 * is rejected when any gram misses, so even a saturated filter prunes long needles (ids, trace ids) well.
 */
export class TextBloom {
  readonly #bits: Uint8Array;
  readonly #mask: number;

  /** `bits` length must be a power of two (bytes). */
  constructor(bits: Uint8Array) {
    if (bits.length === 0 || (bits.length & (bits.length - 1)) !== 0) throw new Error("BUG: TextBloom size must be a power of two");
    this.#bits = bits;
    this.#mask = bits.length * 8 - 1;
  }

  /** A filter sized for about `textChars` characters of input, between 64 bytes and `maxBytes`. */
  static forSize(textChars: number, maxBytes = 16384): TextBloom {
    let bytes = 64;
    while (bytes < maxBytes && bytes * 8 < textChars * 2) bytes *= 2;
    return new TextBloom(new Uint8Array(bytes));
  }

  /** The raw bits (stored in block headers). */
  bytes(): Uint8Array {
    return this.#bits;
  }

  /** Adds every 4-gram of `text` (case-insensitive). */
  addText(text: string): void {
    const n = text.length;
    if (n < BLOOM_GRAM) return;
    const bits = this.#bits;
    const mask = this.#mask;
    let c0 = lower(text.charCodeAt(0));
    let c1 = lower(text.charCodeAt(1));
    let c2 = lower(text.charCodeAt(2));
    for (let i = 3; i < n; i++) {
      const c3 = lower(text.charCodeAt(i));
      const h = gramHash(c0, c1, c2, c3);
      const a = h & mask;
      const b = (Math.imul(h, 0x85ebca6b) >>> 7) & mask;
      bits[a >>> 3]! |= 1 << (a & 7);
      bits[b >>> 3]! |= 1 << (b & 7);
      c0 = c1;
      c1 = c2;
      c2 = c3;
    }
  }

  /** False only when `needle` (case-insensitive) certainly does not occur in any added text. */
  mightContain(needle: string): boolean {
    const n = needle.length;
    if (n < BLOOM_GRAM) return true;
    const bits = this.#bits;
    const mask = this.#mask;
    for (let i = 3; i < n; i++) {
      const h = gramHash(lower(needle.charCodeAt(i - 3)), lower(needle.charCodeAt(i - 2)), lower(needle.charCodeAt(i - 1)), lower(needle.charCodeAt(i)));
      const a = h & mask;
      const b = (Math.imul(h, 0x85ebca6b) >>> 7) & mask;
      if ((bits[a >>> 3]! & (1 << (a & 7))) === 0 || (bits[b >>> 3]! & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }
}

/** The hash of one 4-gram (char codes, already lower-cased) in every meshlog text bloom; part of the block format. */
export function gramHash(c0: number, c1: number, c2: number, c3: number): number {
  let h = Math.imul(c0 ^ 0x9e3779b9, 0x01000193);
  h = Math.imul(h ^ c1, 0x01000193);
  h = Math.imul(h ^ c2, 0x01000193);
  h = Math.imul(h ^ c3, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

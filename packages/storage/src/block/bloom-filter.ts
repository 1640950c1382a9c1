// Token bloom filter stored in each block header (about 10 bits per distinct token, 7 hash functions).

export const BLOOM_BITS_PER_TOKEN = 10;
export const BLOOM_HASHES = 7;

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser; `seed` selects an independent hash. */
function hash32(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A classic bloom filter over strings with double hashing (h1 + i*h2). `mayContain` is false only when
 * the token was certainly never added. The bit array is the serialised form; `hashes` is stored beside it.
 */
export class BloomFilter {
  readonly bits: Uint8Array;
  readonly hashes: number;
  readonly #m: number;

  constructor(bits: Uint8Array, hashes = BLOOM_HASHES) {
    if (bits.length === 0) throw new Error("bloom filter needs at least one byte");
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > 32) throw new Error(`bloom filter hash count ${hashes} is out of range 1..32`);
    this.bits = bits;
    this.hashes = hashes;
    this.#m = bits.length * 8;
  }

  /** An empty filter sized for `expectedTokens` distinct tokens. */
  static forTokens(expectedTokens: number, bitsPerToken = BLOOM_BITS_PER_TOKEN, hashes = BLOOM_HASHES): BloomFilter {
    const bytes = Math.max(8, Math.ceil((Math.max(1, expectedTokens) * bitsPerToken) / 8));
    return new BloomFilter(new Uint8Array(bytes), hashes);
  }

  add(token: string): void {
    const h1 = hash32(token, 0);
    const h2 = hash32(token, 0x9e3779b9) | 1;
    const m = this.#m;
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const b = bit % m;
      (this.bits as Uint8Array)[b >>> 3] = ((this.bits[b >>> 3] as number) | (1 << (b & 7))) & 0xff;
    }
  }

  mayContain(token: string): boolean {
    const h1 = hash32(token, 0);
    const h2 = hash32(token, 0x9e3779b9) | 1;
    const m = this.#m;
    for (let i = 0; i < this.hashes; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      if (((this.bits[b >>> 3] as number) & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }

  /** True when every token may be present (an empty list is trivially true). */
  mayContainAll(tokens: readonly string[]): boolean {
    for (const t of tokens) if (!this.mayContain(t)) return false;
    return true;
  }
}

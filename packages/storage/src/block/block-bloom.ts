// Block substring blooms: lower-cased 4-grams, optionally without the grams made only of hex digits.

import { gramHash, type LogRecord } from "@meshlog/core";

/**
 * Bloom kinds a block header may name. `text4`: every lower-cased 4-gram (core `gramHash`, bit-compatible with core
 * TextBloom). `text4x`: grams made only of `0-9a-f` are left out, and ignored in needles; chosen when
 * random ids fill the hex grams (then they prune nothing and cost most of the bits).
 */
export type BloomKind = "text4" | "text4x";

const GRAM = 4;
const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
/** Bit 0..3 set for each char that is a lower-case hex digit, shifted along the gram window. */
const hexBit = (c: number): number => ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) ? 1 : 0);

/** A read-only block bloom: two probes per gram, double hashing, masked to a power-of-two size. */
export class GramBloom {
  readonly #bits: Uint8Array;
  readonly #mask: number;
  readonly kind: BloomKind;

  constructor(bits: Uint8Array, kind: BloomKind) {
    if (bits.length === 0 || (bits.length & (bits.length - 1)) !== 0) throw new Error("BUG: GramBloom size must be a power of two");
    this.#bits = bits;
    this.#mask = bits.length * 8 - 1;
    this.kind = kind;
  }

  bytes(): Uint8Array {
    return this.#bits;
  }

  /** False only when `needle` (case-insensitive) certainly occurs in no indexed text. */
  mightContain(needle: string): boolean {
    const bits = this.#bits;
    const mask = this.#mask;
    const skipHex = this.kind === "text4x";
    for (let i = GRAM - 1; i < needle.length; i++) {
      const c0 = lower(needle.charCodeAt(i - 3));
      const c1 = lower(needle.charCodeAt(i - 2));
      const c2 = lower(needle.charCodeAt(i - 1));
      const c3 = lower(needle.charCodeAt(i));
      if (skipHex && hexBit(c0) + hexBit(c1) + hexBit(c2) + hexBit(c3) === 4) continue;
      const h = gramHash(c0, c1, c2, c3);
      const a = h & mask;
      const b = (Math.imul(h, 0x85ebca6b) >>> 7) & mask;
      if (((bits[a >>> 3] as number) & (1 << (a & 7))) === 0 || ((bits[b >>> 3] as number) & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }
}

/** Value 0-15 of a lower-case hex digit (only meaningful when hexBit(c) is 1). */
const nibble = (c: number): number => (c <= 57 ? c - 48 : c - 87);

/** Entries of the recently-added-gram cache (direct-mapped, 16 KiB). */
const SEEN_BITS = 12;

/**
 * Adds the grams of text[from, to) to `all`, and those not made only of hex digits to `nohex` (same size); marks
 * each hex-only gram (16 bits) in `hexSeen` (8 KiB). `seen` (Int32Array of 2^SEEN_BITS, filled with -1)
 * caches grams of ASCII characters already added, packed 8 bits per char: adding a gram twice changes
 * nothing, and the static text of log lines repeats, so most grams skip the hash and the bit writes.
 */
function addText(text: string, from: number, to: number, all: Uint8Array, nohex: Uint8Array, mask: number, hexSeen: Uint8Array, seen: Int32Array): void {
  if (to - from < GRAM) return;
  let c0 = lower(text.charCodeAt(from));
  let c1 = lower(text.charCodeAt(from + 1));
  let c2 = lower(text.charCodeAt(from + 2));
  let hex = (hexBit(c0) << 2) | (hexBit(c1) << 1) | hexBit(c2);
  let hv = (nibble(c0) << 8) | (nibble(c1) << 4) | nibble(c2);
  let wide = (c0 >= 0x80 ? 4 : 0) | (c1 >= 0x80 ? 2 : 0) | (c2 >= 0x80 ? 1 : 0);
  let key = (c0 << 16) | (c1 << 8) | c2;
  for (let i = from + 3; i < to; i++) {
    const c3 = lower(text.charCodeAt(i));
    hex = ((hex << 1) | hexBit(c3)) & 15;
    hv = ((hv << 4) | (nibble(c3) & 15)) & 0xffff;
    wide = ((wide << 1) | (c3 >= 0x80 ? 1 : 0)) & 15;
    key = (key << 8) | (c3 & 0xff);
    if (wide === 0) {
      const slot = Math.imul(key, 0x9e3779b1) >>> (32 - SEEN_BITS);
      if (seen[slot] === key) {
        c0 = c1;
        c1 = c2;
        c2 = c3;
        continue;
      }
      seen[slot] = key;
    }
    const h = gramHash(c0, c1, c2, c3);
    const a = h & mask;
    const b = (Math.imul(h, 0x85ebca6b) >>> 7) & mask;
    const ma = 1 << (a & 7);
    const mb = 1 << (b & 7);
    all[a >>> 3] = (all[a >>> 3] as number) | ma;
    all[b >>> 3] = (all[b >>> 3] as number) | mb;
    if (hex !== 15) {
      nohex[a >>> 3] = (nohex[a >>> 3] as number) | ma;
      nohex[b >>> 3] = (nohex[b >>> 3] as number) | mb;
    } else hexSeen[hv >>> 3] = (hexSeen[hv >>> 3] as number) | (1 << (hv & 7));
    c0 = c1;
    c1 = c2;
    c2 = c3;
  }
}

/** Fraction of the hex-only gram space present above which a block leaves those grams out. */
export const HEX_SATURATION = 0.9;

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let v = i; v !== 0; v >>= 1) n += v & 1;
  return n;
});

/** Halves a power-of-two bloom by OR-ing its upper half onto the lower half (probes are masked). */
function fold(bits: Uint8Array): { bits: Uint8Array; fill: number } {
  const half = bits.length >>> 1;
  const out = new Uint8Array(half);
  let ones = 0;
  for (let i = 0; i < half; i++) {
    const v = (bits[i] as number) | (bits[i + half] as number);
    out[i] = v;
    ones += POPCOUNT[v] as number;
  }
  return { bits: out, fill: ones / (half * 8) };
}

/** Folds while the result stays at most `maxFill` full (never below 64 bytes). */
function foldDown(bits: Uint8Array, maxFill: number): Uint8Array {
  while (bits.length > 64) {
    const f = fold(bits);
    if (f.fill > maxFill) break;
    bits = f.bits;
  }
  return bits;
}

/**
 * Collects a block's grams, then picks and folds its bloom (see buildGramBloom). Bodies may be added
 * piecewise (addBodyRange): a caller that knows which parts of a body repeat text already added (the
 * static text of a body template) adds only the ranges around its variables.
 */
export class GramBloomBuilder {
  readonly #all: Uint8Array;
  readonly #nohex: Uint8Array;
  readonly #mask: number;
  readonly #hexSeen = new Uint8Array(8192);
  readonly #seen = new Int32Array(1 << SEEN_BITS).fill(-1);
  readonly #seenResource = new Set<string>();

  /** Sized at about 1 bit per 2 characters of the records' indexed text (64 bytes .. maxBytes). */
  constructor(records: readonly LogRecord[], maxBytes: number) {
    let chars = 0;
    for (const r of records) {
      chars += r.body.length + r.traceId.length + r.spanId.length;
      for (const k in r.attributes) chars += (r.attributes[k] as string).length;
    }
    let size = 64;
    while (size < maxBytes && size * 8 < Math.ceil(chars / 4) * 2) size *= 2;
    this.#all = new Uint8Array(size);
    this.#nohex = new Uint8Array(size);
    this.#mask = size * 8 - 1;
  }

  /** Adds the grams that lie wholly inside body[from, to). */
  addBodyRange(body: string, from: number, to: number): void {
    addText(body, from, to, this.#all, this.#nohex, this.#mask, this.#hexSeen, this.#seen);
  }

  /** Adds a record's attribute values, resource values (each distinct one once) and ids not in its body. */
  addRecordFields(r: LogRecord): void {
    const add = (v: string): void => addText(v, 0, v.length, this.#all, this.#nohex, this.#mask, this.#hexSeen, this.#seen);
    for (const k in r.attributes) add(r.attributes[k] as string);
    for (const k in r.resource) {
      const v = r.resource[k] as string;
      if (!this.#seenResource.has(v)) {
        this.#seenResource.add(v);
        add(v);
      }
    }
    if (r.traceId !== "" && !r.body.includes(r.traceId)) add(r.traceId);
    if (r.spanId !== "" && !r.body.includes(r.spanId)) add(r.spanId);
  }

  /** The bloom of every gram added (see buildGramBloom for the choice between `text4` and `text4x`). */
  finish(maxFill: number, budgetBytes = Number.POSITIVE_INFINITY): GramBloom {
    const full = foldDown(this.#all, maxFill);
    const lean = foldDown(this.#nohex, maxFill);
    let distinctHex = 0;
    for (const v of this.#hexSeen) distinctHex += POPCOUNT[v] as number;
    const saturated = distinctHex > HEX_SATURATION * 65536;
    const overBudget = full.length > budgetBytes && lean.length * 2 <= full.length;
    return (saturated || overBudget) && lean.length < full.length ? new GramBloom(lean, "text4x") : new GramBloom(full, "text4");
  }
}

/**
 * Builds a block's bloom over bodies, attribute values, resource values and trace/span ids (an id already
 * in its body is not added again). Sized at about 1 bit per 2 characters (64 bytes .. maxBytes), then
 * folded in half while at most `maxFill` of the bits stay set. When more than HEX_SATURATION of the 65536
 * hex-only grams occur (random ids), those grams would cost most of the bits while a 32-digit id needle
 * would still pass often, so the smaller `text4x` bloom is kept. It is also kept when the full bloom is
 * larger than `budgetBytes` and at least twice the lean one (hex grams dominate a small block's index).
 * Otherwise the full `text4` bloom is kept.
 */
export function buildGramBloom(records: readonly LogRecord[], maxBytes: number, maxFill: number, budgetBytes = Number.POSITIVE_INFINITY): GramBloom {
  const b = new GramBloomBuilder(records, maxBytes);
  for (const r of records) {
    b.addBodyRange(r.body, 0, r.body.length);
    b.addRecordFields(r);
  }
  return b.finish(maxFill, budgetBytes);
}

// Template encoding of a block's bodies (static text as per-block templates, variables as typed columns): format and decoder.

import type { ByteReader } from "./byte-reader.js";
import { TextOut } from "./text-out.js";

/**
 * Placeholder characters inside a template. A literal character in [ESC, TS] is written as ESC + char, so
 * any body round-trips exactly.
 */
const ESC = 0x10;
const NUM = 0x11;
const HEX = 0x12;
const UUID = 0x13;
const TS = 0x14;

type Slot = typeof NUM | typeof HEX | typeof UUID | typeof TS;
/** Slot kinds as they appear in templates and column keys. */
export const BODY_SLOTS = { NUM, HEX, UUID, TS } as const;
/** Escape character of templates: a literal character in [BODY_ESC, TS] is written as BODY_ESC + char. */
export const BODY_ESC = ESC;

let lastSec = Number.NaN;
let lastIso = "";

export function formatTs(ns: bigint, digits: number): string {
  const sec = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const frac = ns - sec * 1_000_000_000n;
  const secN = Number(sec);
  if (secN !== lastSec) {
    lastIso = new Date(secN * 1000).toISOString().slice(0, 19);
    lastSec = secN;
  }
  const iso = lastIso;
  return digits === 0 ? `${iso}Z` : `${iso}.${frac.toString().padStart(9, "0").slice(0, digits)}Z`;
}

/** The literal parts and slot kinds of a template: parts.length === slots.length + 1. */
export function parseTemplate(tpl: string): { parts: string[]; slots: Slot[] } {
  const parts: string[] = [];
  const slots: Slot[] = [];
  let cur = "";
  let lit = 0;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl.charCodeAt(i);
    if (c < ESC || c > TS) continue;
    cur += tpl.slice(lit, i);
    if (c === ESC) {
      if (i + 1 >= tpl.length) throw new Error("template ends in an escape");
      cur += tpl[i + 1];
      lit = (i += 1) + 1;
      continue;
    }
    parts.push(cur);
    slots.push(c as Slot);
    cur = "";
    lit = i + 1;
  }
  parts.push(cur + tpl.slice(lit));
  return { parts, slots };
}

/** Longest context kept in a column key. */
const MAX_KEY = 24;

/**
 * Column keys of a template's slots: the slot kind and the literal text before it (extended with the
 * previous key when that text is short), so that the same field shares one column across templates.
 */
export function slotKeys(t: { parts: string[]; slots: Slot[] }): string[] {
  const keys: string[] = [];
  let prev = "";
  for (let j = 0; j < t.slots.length; j++) {
    const lit = t.parts[j] as string;
    const ctx = lit.length >= 4 ? lit : prev + lit;
    prev = String.fromCharCode(t.slots[j] as number) + ctx.slice(-MAX_KEY);
    keys.push(prev);
  }
  return keys;
}

/** Decoded bodies as one UTF-8 buffer: row i is bytes [ends[i-1] (0 for row 0), ends[i]). */
export interface BodyBytes {
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
}

/** Row i of decoded body bytes as a string. */
export function bodyText(b: BodyBytes, i: number): string {
  return b.bytes.toString("utf8", i === 0 ? 0 : (b.ends[i - 1] as number), b.ends[i] as number);
}

/** Reads what encodeBodies wrote for `timestamps.length` rows into one buffer. Throws on any inconsistency. */
export function decodeBodyBytes(r: ByteReader, timestamps: readonly bigint[]): BodyBytes {
  const n = timestamps.length;
  const count = r.uvarint();
  if (count > r.remaining || count > n) throw new Error(`template count ${count} exceeds the data`);
  const templates: { lit: Buffer; cuts: Uint32Array; slots: Slot[]; cols: number[] }[] = [];
  const colIndex = new Map<string, number>();
  const tplKeys: string[][] = [];
  for (let i = 0; i < count; i++) {
    const t = parseTemplate(r.str());
    tplKeys.push(slotKeys(t));
    // All literal parts in one buffer; part j is lit[cuts[j], cuts[j + 1]).
    const lit = Buffer.from(t.parts.join(""), "utf8");
    const cuts = new Uint32Array(t.parts.length + 1);
    for (let j = 0; j < t.parts.length; j++) cuts[j + 1] = (cuts[j] as number) + Buffer.byteLength(t.parts[j] as string, "utf8");
    templates.push({ lit, cuts, slots: t.slots, cols: [] });
  }
  const rowTpl = new Uint32Array(n);
  const sizes: number[] = [];
  // Column order is first use walking rows then slots, as written.
  for (let i = 0; i < n; i++) {
    const id = r.uvarint();
    if (id >= count) throw new Error(`template index ${id} out of range ${count} at row ${i}`);
    rowTpl[i] = id;
    const t = templates[id] as { cols: number[] };
    const keys = tplKeys[id] as string[];
    if (t.cols.length !== keys.length) {
      for (const k of keys) {
        let c = colIndex.get(k);
        if (c === undefined) {
          c = colIndex.size;
          colIndex.set(k, c);
          sizes.push(0);
        }
        t.cols.push(c);
      }
    }
    for (const c of t.cols) sizes[c] = (sizes[c] as number) + 1;
  }
  // Timestamps need their row, so remember it per value.
  const tsRows: number[][] = Array.from({ length: sizes.length }, () => []);
  for (let i = 0; i < n; i++) {
    const t = templates[rowTpl[i] as number] as { slots: Slot[]; cols: number[] };
    for (let j = 0; j < t.slots.length; j++) if (t.slots[j] === TS) (tsRows[t.cols[j] as number] as number[]).push(i);
  }
  // Value texts, column after column, in one buffer; value g is vals[voff[g], voff[g + 1]).
  let total = 0;
  for (const m of sizes) total += m;
  const voff = new Uint32Array(total + 1);
  const colFirst = new Uint32Array(sizes.length);
  const vals = new TextOut(total * 8);
  const keyList = [...colIndex.keys()];
  let g = 0;
  for (let c = 0; c < sizes.length; c++) {
    const kind = (keyList[c] as string).charCodeAt(0);
    const m = sizes[c] as number;
    colFirst[c] = g;
    for (let k = 0; k < m; k++) {
      if (kind === NUM) vals.digits(r.uvarint());
      else if (kind === HEX) {
        const len = r.uvarint();
        vals.hex(r.buffer, r.skip(len), len, false);
      } else if (kind === UUID) vals.hex(r.buffer, r.skip(16), 16, true);
      else {
        const digits = r.u8();
        if (digits > 9) throw new Error(`timestamp precision ${digits} out of range`);
        vals.ascii(formatTs((timestamps[(tsRows[c] as number[])[k] as number] as bigint) + r.bigSvarint(), digits));
      }
      voff[++g] = vals.len;
    }
  }
  // Exact output size: every value once, plus each row's template literals.
  let size = vals.len;
  for (let i = 0; i < n; i++) size += (templates[rowTpl[i] as number] as { lit: Buffer }).lit.length;
  const cursor = colFirst.slice();
  const out = Buffer.allocUnsafe(size);
  const ends = new Uint32Array(n);
  const vb = vals.buf;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const t = templates[rowTpl[i] as number] as { lit: Buffer; cuts: Uint32Array; slots: Slot[]; cols: number[] };
    const { lit, cuts, cols } = t;
    const slots = cols.length;
    for (let j = 0; ; j++) {
      // Literal part j, then value j.
      const ps = cuts[j] as number;
      const pe = cuts[j + 1] as number;
      if (pe - ps < 24) for (let k = ps; k < pe; k++) out[o++] = lit[k] as number;
      else {
        lit.copy(out, o, ps, pe);
        o += pe - ps;
      }
      if (j === slots) break;
      const v = (cursor[cols[j] as number] as number)++;
      const vs = voff[v] as number;
      const ve = voff[v + 1] as number;
      if (ve - vs < 24) for (let k = vs; k < ve; k++) out[o++] = vb[k] as number;
      else {
        vb.copy(out, o, vs, ve);
        o += ve - vs;
      }
    }
    ends[i] = o;
  }
  if (o !== size) throw new Error(`BUG: decoded ${o} body bytes, expected ${size}`);
  return { bytes: out, ends };
}

/** Reads what encodeBodies wrote for `timestamps.length` rows. Throws on any inconsistency. */
export function decodeBodies(r: ByteReader, timestamps: readonly bigint[]): string[] {
  const b = decodeBodyBytes(r, timestamps);
  return Array.from({ length: timestamps.length }, (_, i) => bodyText(b, i));
}

/** Internals exercised directly by the tests. */
export const BODY_TEMPLATE_TESTING = { parseTemplate };

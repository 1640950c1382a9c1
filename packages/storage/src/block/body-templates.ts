// Template encoding of a block's bodies: static text as per-block templates, variables as typed columns.

import type { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";
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
/** Longest decimal run taken as one number (stays below 2^53). */
const MAX_NUM_DIGITS = 15;
/** Shortest lower-case hex run stored as raw bytes. */
const MIN_HEX = 16;

type Slot = typeof NUM | typeof HEX | typeof UUID | typeof TS;
/** Slot kinds as they appear in templates and column keys. */
export const BODY_SLOTS = { NUM, HEX, UUID, TS } as const;
/** A variable as stored: numbers as numbers, hex and uuids as bytes, timestamps as [digits, ns delta]. */
type Value = number | Buffer | readonly [number, bigint];

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHexLower = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102);
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Length of a lower-case hex run at i (0 when it is not a stand-alone run of at least MIN_HEX with a letter). */
function hexRunAt(s: string, i: number): number {
  let j = i;
  let letter = false;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (!isHexLower(c)) break;
    if (c >= 97) letter = true;
    j++;
  }
  const n = j - i;
  if (n < MIN_HEX || (n & 1) !== 0 || !letter) return 0;
  return j < s.length && isAlnum(s.charCodeAt(j)) ? 0 : n;
}

/** True when a lower-case 8-4-4-4-12 uuid stands alone at i. */
function uuidAt(s: string, i: number): boolean {
  if (i + 36 > s.length) return false;
  for (let k = 0; k < 36; k++) {
    const c = s.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23 ? c !== 45 : !isHexLower(c)) return false;
  }
  return i + 36 === s.length || !isAlnum(s.charCodeAt(i + 36));
}

const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,9}))?Z/y;

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

/** The last date-time prefix checked by tsAt and its epoch ms (NaN when it does not re-format exactly). */
let lastPrefix = "";
let lastMs = Number.NaN;

/**
 * An RFC 3339 UTC timestamp at i that re-formats to exactly the same text: [length, digits, ns]. The
 * fraction digits always re-format exactly, so only the date-time prefix is checked (once per second).
 */
function tsAt(s: string, i: number): [number, number, bigint] | undefined {
  TS_RE.lastIndex = 0;
  const m = TS_RE.exec(s.length - i > 40 ? s.slice(i, i + 40) : s.slice(i));
  if (m === null) return undefined;
  const text = m[0];
  const prefix = text.slice(0, 19);
  if (prefix !== lastPrefix) {
    const ms = Date.parse(prefix + "Z");
    lastPrefix = prefix;
    lastMs = Number.isFinite(ms) && ms % 1000 === 0 && new Date(ms).toISOString().slice(0, 19) === prefix ? ms : Number.NaN;
  }
  if (Number.isNaN(lastMs)) return undefined;
  const fracText = m[1] ?? "";
  const ns = BigInt(lastMs) * 1_000_000n + (fracText === "" ? 0n : BigInt(fracText.padEnd(9, "0")));
  return [text.length, fracText.length, ns];
}

/** Splits a body into its template and variables (`ts` is the record timestamp, the base of TS deltas). */
function split(s: string, ts: bigint, values: Value[]): string {
  let tpl = "";
  let lit = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= ESC && c <= TS) {
      tpl += s.slice(lit, i) + String.fromCharCode(ESC) + s[i];
      lit = ++i;
      continue;
    }
    if (!isAlnum(c)) {
      i++;
      continue;
    }
    const boundary = i === 0 || !isAlnum(s.charCodeAt(i - 1));
    if (boundary && isDigit(c) && i + 20 <= n && s.charCodeAt(i + 4) === 45) {
      const t = tsAt(s, i);
      if (t !== undefined) {
        tpl += s.slice(lit, i) + String.fromCharCode(TS);
        values.push([t[1], t[2] - ts]);
        lit = i += t[0];
        continue;
      }
    }
    if (boundary && isHexLower(c)) {
      if (uuidAt(s, i)) {
        tpl += s.slice(lit, i) + String.fromCharCode(UUID);
        values.push(
          Buffer.from(s.slice(i, i + 8) + s.slice(i + 9, i + 13) + s.slice(i + 14, i + 18) + s.slice(i + 19, i + 23) + s.slice(i + 24, i + 36), "hex"),
        );
        lit = i += 36;
        continue;
      }
      const h = hexRunAt(s, i);
      if (h > 0) {
        tpl += s.slice(lit, i) + String.fromCharCode(HEX);
        values.push(Buffer.from(s.slice(i, i + h), "hex"));
        lit = i += h;
        continue;
      }
    }
    if (isDigit(c)) {
      if (c === 48 && i + 1 < n && isDigit(s.charCodeAt(i + 1))) {
        i++; // a leading zero stays literal text
        continue;
      }
      let j = i + 1;
      while (j < n && j - i < MAX_NUM_DIGITS && isDigit(s.charCodeAt(j))) j++;
      tpl += s.slice(lit, i) + String.fromCharCode(NUM);
      values.push(Number(s.slice(i, j)));
      lit = i = j;
      continue;
    }
    // A word: skip it whole, so hex and timestamps are only recognised at word starts.
    while (i < n && isAlnum(s.charCodeAt(i)) && !isDigit(s.charCodeAt(i))) i++;
  }
  return lit === 0 ? s : tpl + s.slice(lit);
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

const SAFE_DELTA = 1n << 50n;
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

function putValue(w: ByteWriter, kind: Slot, v: Value): void {
  switch (kind) {
    case NUM:
      w.uvarint(v as number);
      break;
    case HEX:
      w.lenBytes(v as Buffer);
      break;
    case UUID:
      w.bytes(v as Buffer);
      break;
    case TS: {
      const [digits, delta] = v as readonly [number, bigint];
      w.u8(digits);
      // Same bytes as bigSvarint; the number path is much faster for the usual small deltas.
      if (delta > -SAFE_DELTA && delta < SAFE_DELTA) w.svarint(Number(delta));
      else w.bigSvarint(delta);
      break;
    }
  }
}

/**
 * Writes bodies as: uvarint template count, the templates (str), one uvarint template index per row, then
 * the value columns. Every slot belongs to the column of its key (slotKeys); columns are written in order
 * of first use (walking rows, then slots), each holding its values in row order: numbers uvarint; hex
 * uvarint byte length + bytes; uuid 16 bytes; timestamp u8 fraction digits + svarint ns delta from the
 * record timestamp. Values of one field sit together, which is what compresses.
 */
export function encodeBodies(w: ByteWriter, bodies: readonly string[], timestamps: readonly bigint[]): void {
  const ids = new Map<string, number>();
  const keysOf: string[][] = [];
  const colsOf: ByteWriter[][] = [];
  const columns = new Map<string, ByteWriter>();
  const rowTpl: number[] = new Array(bodies.length);
  const values: Value[] = [];
  for (let r = 0; r < bodies.length; r++) {
    values.length = 0;
    const tpl = split(bodies[r] as string, timestamps[r] as bigint, values);
    let id = ids.get(tpl);
    if (id === undefined) {
      id = ids.size;
      ids.set(tpl, id);
      const keys = slotKeys(parseTemplate(tpl));
      keysOf.push(keys);
      colsOf.push(
        keys.map((key) => {
          let col = columns.get(key);
          if (col === undefined) columns.set(key, (col = new ByteWriter(256)));
          return col;
        }),
      );
    }
    rowTpl[r] = id;
    const keys = keysOf[id] as string[];
    const cols = colsOf[id] as ByteWriter[];
    for (let j = 0; j < keys.length; j++) putValue(cols[j] as ByteWriter, (keys[j] as string).charCodeAt(0) as Slot, values[j] as Value);
  }
  w.uvarint(ids.size);
  for (const t of ids.keys()) w.str(t);
  for (const id of rowTpl) w.uvarint(id);
  for (const col of columns.values()) w.bytes(col.finish());
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
export const BODY_TEMPLATE_TESTING = { split, parseTemplate };

// Encoder side of body templates: finds a body's variables, matches its template and writes the value columns.

import { ByteWriter } from "./byte-writer.js";
import { BODY_ESC as ESC, BODY_SLOTS, parseTemplate, slotKeys } from "./body-templates.js";

const { NUM, HEX, UUID, TS } = BODY_SLOTS;
/** Longest decimal run taken as one number (stays below 2^53). */
const MAX_NUM_DIGITS = 15;
/** Shortest lower-case hex run stored as raw bytes. */
const MIN_HEX = 16;

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

/** Shape of "YYYY-MM-DDTHH:MM:SS": 0 stands for a digit, anything else for that exact character. */
const TS_SHAPE = Uint8Array.from("0000-00-00T00:00:00", (c) => (c === "0" ? 0 : c.charCodeAt(0)));
/** The last date-time prefix checked by tsAt and its epoch ms (NaN when it does not re-format exactly). */
let lastPrefix = "";
let lastMs = Number.NaN;

/**
 * Length of an RFC 3339 UTC timestamp at i (`YYYY-MM-DDTHH:MM:SS(.d{1,9})?Z`) that re-formats to exactly
 * the same text, else 0; its date-time prefix in epoch ms is then in `lastMs`. The fraction digits always
 * re-format exactly, so only the prefix is checked (once per distinct second).
 */
function tsAt(s: string, i: number): number {
  const n = s.length;
  if (i + 20 > n) return 0;
  for (let k = 0; k < 19; k++) {
    const c = s.charCodeAt(i + k);
    const want = TS_SHAPE[k] as number;
    if (want === 0 ? !isDigit(c) : c !== want) return 0;
  }
  let end: number;
  const c = s.charCodeAt(i + 19);
  if (c === 90) end = i + 20;
  else if (c === 46) {
    let k = i + 20;
    while (k < n && k - i <= 29 && isDigit(s.charCodeAt(k))) k++;
    const digits = k - i - 20;
    if (digits < 1 || digits > 9 || k >= n || s.charCodeAt(k) !== 90) return 0;
    end = k + 1;
  } else return 0;
  if (lastPrefix.length !== 19 || !s.startsWith(lastPrefix, i)) {
    const prefix = s.slice(i, i + 19);
    const ms = Date.parse(prefix + "Z");
    lastPrefix = prefix;
    lastMs = Number.isFinite(ms) && ms % 1000 === 0 && new Date(ms).toISOString().slice(0, 19) === prefix ? ms : Number.NaN;
  }
  return Number.isNaN(lastMs) ? 0 : end - i;
}

const ESC_S = String.fromCharCode(ESC);
const NUM_S = String.fromCharCode(NUM);
const HEX_S = String.fromCharCode(HEX);
const UUID_S = String.fromCharCode(UUID);
const TS_S = String.fromCharCode(TS);

/** Numbers per variable in `spans`: start, end, slot kind, and for a timestamp the epoch ms of its prefix. */
const SPAN = 4;
const mix = (h: number, v: number): number => Math.imul(h ^ v, 0x01000193);

/**
 * Finds the variables of a body, left to right: each is pushed to `spans` as SPAN numbers (start and end
 * in `s`, slot kind, and for a timestamp the epoch ms of its date-time prefix, else 0). Returns a cheap
 * hash of the body's shape (slot kinds, literal lengths and their edge characters): bodies of one template
 * have the same shape hash. The values are written from the text afterwards (writeSlots), so no value
 * object is created.
 */
function scanVariables(s: string, spans: number[]): number {
  let h = 0x811c9dc5;
  let lit = 0;
  let i = 0;
  const n = s.length;
  const found = (start: number, end: number, kind: number, aux: number): void => {
    spans.push(start, end, kind, aux);
    h = mix(mix(h, kind), start - lit);
    if (start > lit) h = mix(mix(h, s.charCodeAt(lit)), s.charCodeAt(start - 1));
    lit = end;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c)) {
      i++;
      continue;
    }
    const boundary = i === 0 || !isAlnum(s.charCodeAt(i - 1));
    if (boundary && isDigit(c) && i + 20 <= n && s.charCodeAt(i + 4) === 45) {
      const len = tsAt(s, i);
      if (len > 0) {
        found(i, (i += len), TS, lastMs);
        continue;
      }
    }
    if (boundary && isHexLower(c)) {
      if (uuidAt(s, i)) {
        found(i, (i += 36), UUID, 0);
        continue;
      }
      const hl = hexRunAt(s, i);
      if (hl > 0) {
        found(i, (i += hl), HEX, 0);
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
      found(i, (i = j), NUM, 0);
      continue;
    }
    // A word: skip it whole, so hex and timestamps are only recognised at word starts.
    while (i < n && isAlnum(s.charCodeAt(i)) && !isDigit(s.charCodeAt(i))) i++;
  }
  h = mix(h, n - lit);
  if (n > lit) h = mix(mix(h, s.charCodeAt(lit)), s.charCodeAt(n - 1));
  return h >>> 0;
}

/** Literal text s[from, to) as template text: characters in [ESC, TS] are written as ESC + char. */
function templateText(s: string, from: number, to: number): string {
  let out = "";
  let lit = from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= ESC && c <= TS) {
      out += s.slice(lit, i) + ESC_S + s[i];
      lit = i + 1;
    }
  }
  return lit === from ? s.slice(from, to) : out + s.slice(lit, to);
}

/** The template of a body whose variables are `spans` (from scanVariables). */
function templateOf(s: string, spans: readonly number[]): string {
  if (spans.length === 0) return templateText(s, 0, s.length);
  let tpl = "";
  let lit = 0;
  for (let k = 0; k < spans.length; k += SPAN) {
    tpl += templateText(s, lit, spans[k] as number) + SLOT_TEXT[spans[k + 2] as number];
    lit = spans[k + 1] as number;
  }
  return tpl + templateText(s, lit, s.length);
}

const SLOT_TEXT: Record<number, string> = { [NUM]: NUM_S, [HEX]: HEX_S, [UUID]: UUID_S, [TS]: TS_S };

/** Splits a body into its template and variables (see scanVariables for `spans`). */
function split(s: string, spans: number[]): string {
  scanVariables(s, spans);
  return templateOf(s, spans);
}

/** Powers of ten that pad a 1-9 digit fraction to nanoseconds. */
const FRAC_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];
/** Largest |timestamp - record time| in ms for which the ns delta is computed with Numbers (< 2^50 ns). */
const NUMBER_DELTA_MS = 1e9;

/**
 * Writes the variables of one body (spans from split) to their columns: numbers uvarint; hex uvarint
 * byte length + bytes; uuid 16 bytes; timestamp u8 fraction digits + svarint ns delta from `ts`.
 */
function writeSlots(s: string, spans: readonly number[], kinds: Uint8Array, cols: readonly ByteWriter[], ts: bigint): void {
  let tsMs = Number.NaN;
  let tsSub = 0;
  for (let j = 0; j < kinds.length; j++) {
    const col = cols[j] as ByteWriter;
    const a = spans[SPAN * j] as number;
    const b = spans[SPAN * j + 1] as number;
    switch (kinds[j]) {
      case NUM: {
        let v = 0;
        for (let k = a; k < b; k++) v = v * 10 + (s.charCodeAt(k) - 48);
        col.uvarint(v);
        break;
      }
      case HEX:
        col.uvarint((b - a) >>> 1);
        col.hexText(s, a, b);
        break;
      case UUID:
        col.hexText(s, a, a + 8);
        col.hexText(s, a + 9, a + 13);
        col.hexText(s, a + 14, a + 18);
        col.hexText(s, a + 19, a + 23);
        col.hexText(s, a + 24, a + 36);
        break;
      default: {
        // TS: "YYYY-MM-DDTHH:MM:SSZ" or with "." and 1-9 fraction digits before the "Z".
        const digits = b - a === 20 ? 0 : b - a - 21;
        let frac = 0;
        for (let k = a + 20; k < a + 20 + digits; k++) frac = frac * 10 + (s.charCodeAt(k) - 48);
        frac *= FRAC_SCALE[digits] as number;
        const ms = spans[SPAN * j + 3] as number;
        col.u8(digits);
        if (Number.isNaN(tsMs)) {
          tsMs = Number(ts / 1_000_000n);
          tsSub = Number(ts % 1_000_000n);
        }
        // Same bytes as bigSvarint of the exact delta; Numbers stay exact below 2^50.
        if (Math.abs(ms - tsMs) < NUMBER_DELTA_MS) col.svarint((ms - tsMs) * 1e6 + (frac - tsSub));
        else col.bigSvarint(BigInt(ms) * 1_000_000n + BigInt(frac) - ts);
      }
    }
  }
}

/** Receives the parts of bodies whose 4-grams a block bloom must hold (GramBloomBuilder). */
export interface BodyGramSink {
  addBodyRange(body: string, from: number, to: number): void;
}

/**
 * Gives `grams` the ranges of a body that hold every 4-gram touching a variable: the variable and 3
 * characters either side (merged when they meet). Every other gram of the body lies in the static text
 * of its template, which the template's first row already gave.
 */
function addVariableGrams(grams: BodyGramSink, body: string, spans: readonly number[]): void {
  const n = body.length;
  let from = -1;
  let to = -1;
  for (let k = 0; k < spans.length; k += SPAN) {
    const lo = Math.max(0, (spans[k] as number) - 3);
    const hi = Math.min(n, (spans[k + 1] as number) + 3);
    if (lo <= to) to = hi;
    else {
      if (to > from) grams.addBodyRange(body, from, to);
      from = lo;
      to = hi;
    }
  }
  if (to > from) grams.addBodyRange(body, from, to);
}

/**
 * Writes bodies as: uvarint template count, the templates (str), one uvarint template index per row, then
 * the value columns. Every slot belongs to the column of its key (slotKeys); columns are written in order
 * of first use (walking rows, then slots), each holding its values in row order: numbers uvarint; hex
 * uvarint byte length + bytes; uuid 16 bytes; timestamp u8 fraction digits + svarint ns delta from the
 * record timestamp. Values of one field sit together, which is what compresses. With `grams`, every 4-gram
 * of every body reaches it (the static text of each template once).
 */
export function encodeBodies(w: ByteWriter, bodies: readonly string[], timestamps: readonly bigint[], grams?: BodyGramSink): void {
  const ids = new Map<string, number>();
  const tpls: EncodingTemplate[] = [];
  /** Template ids by shape hash (at most MAX_SHAPE_CANDIDATES each): most bodies find theirs here. */
  const byShape = new Map<number, number[]>();
  const columns = new Map<string, ByteWriter>();
  const rowTpl = new Uint32Array(bodies.length);
  const spans: number[] = [];
  for (let r = 0; r < bodies.length; r++) {
    spans.length = 0;
    const body = bodies[r] as string;
    const shape = scanVariables(body, spans);
    let id = -1;
    const candidates = byShape.get(shape);
    if (candidates !== undefined) {
      for (const c of candidates) {
        if (matches(tpls[c] as EncodingTemplate, body, spans)) {
          id = c;
          break;
        }
      }
    }
    // The first row of a template gives `grams` its whole body, static text included.
    let first = false;
    if (id < 0) {
      const tpl = templateOf(body, spans);
      id = ids.get(tpl) ?? -1;
      if (id < 0) {
        first = true;
        id = ids.size;
        ids.set(tpl, id);
        const t = parseTemplate(tpl);
        const cols = slotKeys(t).map((key) => {
          let col = columns.get(key);
          if (col === undefined) columns.set(key, (col = new ByteWriter(256)));
          return col;
        });
        tpls.push({ parts: t.parts, kinds: Uint8Array.from(t.slots), cols });
      }
      if (candidates === undefined) byShape.set(shape, [id]);
      else if (candidates.length < MAX_SHAPE_CANDIDATES) candidates.push(id);
    }
    rowTpl[r] = id;
    const t = tpls[id] as EncodingTemplate;
    if (grams !== undefined) {
      if (first) grams.addBodyRange(body, 0, body.length);
      else addVariableGrams(grams, body, spans);
    }
    if (t.kinds.length > 0) writeSlots(body, spans, t.kinds, t.cols, timestamps[r] as bigint);
  }
  w.uvarint(ids.size);
  for (const t of ids.keys()) w.str(t);
  for (const id of rowTpl) w.uvarint(id);
  for (const col of columns.values()) w.bytes(col.finish());
}

/** A template while encoding: its literal parts (unescaped), slot kinds and the column of each slot. */
interface EncodingTemplate {
  readonly parts: readonly string[];
  readonly kinds: Uint8Array;
  readonly cols: readonly ByteWriter[];
}

const MAX_SHAPE_CANDIDATES = 8;

/**
 * True when a body with variables `spans` has exactly template `t`: the same slot kinds, and the text
 * between its variables equal to the template's literal parts (then its template string is t's).
 */
function matches(t: EncodingTemplate, body: string, spans: readonly number[]): boolean {
  const kinds = t.kinds;
  if (kinds.length * SPAN !== spans.length) return false;
  const parts = t.parts;
  let pos = 0;
  for (let j = 0; j <= kinds.length; j++) {
    const part = parts[j] as string;
    const end = j < kinds.length ? (spans[SPAN * j] as number) : body.length;
    if (end - pos !== part.length) return false;
    if (j < kinds.length) {
      if (kinds[j] !== spans[SPAN * j + 2]) return false;
    }
    for (let k = 0; k < part.length; k++) if (body.charCodeAt(pos + k) !== part.charCodeAt(k)) return false;
    if (j < kinds.length) pos = spans[SPAN * j + 1] as number;
  }
  return true;
}

/** Internals exercised directly by the tests. */
export const BODY_TEMPLATE_ENCODER_TESTING = { split };

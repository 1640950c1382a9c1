// Lazy view of a block's column plaintext (layout 2): section offsets and body templates, rows built on demand.

import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "./byte-reader.js";
import { BODY_SLOTS, formatTs, parseTemplate, slotKeys } from "./body-templates.js";
import { getIdColumnOf, getStringColumn, resolveId, SALT_BYTES } from "./block-columns.js";
import { TextOut } from "./text-out.js";

/** A body template as the view keeps it: literal parts in one buffer, slot kinds and value columns. */
export interface ViewTemplate {
  /** All literal parts, concatenated (UTF-8); part j is lit[cuts[j], cuts[j + 1]). */
  readonly lit: Buffer;
  readonly cuts: Uint32Array;
  /** Slot kinds (BODY_SLOTS values), one per slot. */
  readonly slots: Uint8Array;
  /** Value column of each slot. */
  readonly cols: Uint32Array;
}

/** A template parsed once: literal bytes, slot kinds, column keys, lower-cased literal (lazily). */
interface ParsedTemplate {
  readonly lit: Buffer;
  readonly cuts: Uint32Array;
  readonly slots: Uint8Array;
  /** Column keys (slotKeys) as ids from KEY_IDS: equal keys, equal ids. */
  readonly keyIds: Uint32Array;
  lower: Buffer | undefined;
}

/** Templates repeat across the blocks of a stream: parsed ones are kept by their bytes (latin1 text). */
const TEMPLATE_CACHE = new Map<string, ParsedTemplate>();
/** Column key strings as small integers (cleared with TEMPLATE_CACHE, so cached templates stay consistent). */
const KEY_IDS = new Map<string, number>();
const TEMPLATE_CACHE_MAX = 16384;

function parsedTemplate(key: string, buf: Buffer, at: number, len: number): ParsedTemplate {
  const hit = TEMPLATE_CACHE.get(key);
  if (hit !== undefined) return hit;
  const t = parseTemplate(buf.toString("utf8", at, at + len));
  const lit = Buffer.from(t.parts.join(""), "utf8");
  const cuts = new Uint32Array(t.parts.length + 1);
  for (let j = 0; j < t.parts.length; j++) cuts[j + 1] = (cuts[j] as number) + Buffer.byteLength(t.parts[j] as string, "utf8");
  if (TEMPLATE_CACHE.size >= TEMPLATE_CACHE_MAX) {
    TEMPLATE_CACHE.clear();
    KEY_IDS.clear();
  }
  const keyIds = Uint32Array.from(slotKeys(t), (k) => {
    let id = KEY_IDS.get(k);
    if (id === undefined) KEY_IDS.set(k, (id = KEY_IDS.size));
    return id;
  });
  const parsed: ParsedTemplate = { lit, cuts, slots: Uint8Array.from(t.slots), keyIds, lower: undefined };
  TEMPLATE_CACHE.set(key, parsed);
  return parsed;
}

/** Bytes of varint at p (bounds-checked against end). */
function varintEnd(buf: Buffer, p: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw new Error(`column data ends inside a varint at offset ${p}`);
    if ((buf[p++] as number) < 0x80) return p;
  }
  throw new Error(`varint too long at offset ${p}`);
}

function skipVarints(buf: Buffer, p: number, count: number, end: number): number {
  for (let k = 0; k < count; k++) {
    // Fast path: a one-byte varint.
    if (p < end && (buf[p] as number) < 0x80) p++;
    else p = varintEnd(buf, p, end);
  }
  return p;
}

/** Skips a string column (see putStringColumn) of `rows` rows. */
function skipStringColumn(r: ByteReader, rows: number): void {
  const mode = r.u8();
  if (mode === 0) {
    const n = r.uvarint();
    if (n > r.remaining) throw new Error(`dictionary size ${n} exceeds the data`);
    for (let i = 0; i < n; i++) r.skip(r.uvarint());
    r.skip(skipVarints(r.buffer, r.position, rows, r.position + r.remaining) - r.position);
  } else if (mode === 1) {
    for (let i = 0; i < rows; i++) {
      const len = r.uvarint();
      if (len > 0) r.skip(len - 1);
    }
  } else throw new Error(`unknown string column mode ${mode}`);
}

/**
 * A block's column plaintext (layout version 2) opened without building rows: the salt, the body
 * templates, each row's template and where every body value and every other column starts. Rows are
 * built on demand (`records`), bodies expanded on demand (`bodies`). Holds `plain` (no copy).
 */
export class ColumnView {
  readonly rows: number;
  readonly salt: Buffer;
  readonly templates: readonly ViewTemplate[];
  /** Template index of each row. */
  readonly rowTpl: Uint32Array;
  #restStart: number | undefined;
  readonly #buf: Buffer;
  readonly #tsStart: number;
  readonly #bodyValues: number;
  readonly #colKinds: Uint8Array;
  readonly #colSizes: Uint32Array;
  #valAt: Uint32Array | undefined;
  #slotStart: Uint32Array | undefined;
  #ts: bigint[] | undefined;
  #rawHex: boolean | undefined;
  #lowerLits: Buffer[] | undefined;
  readonly #parsed: readonly ParsedTemplate[];
  #secs: Float64Array | undefined;
  #nanos: Float64Array | undefined;

  constructor(plain: Buffer) {
    const r = new ByteReader(plain);
    const version = r.u8();
    if (version !== 2) throw new Error(`column view needs layout version 2, found ${version}`);
    this.#buf = plain;
    this.salt = r.bytes(SALT_BYTES);
    const n = r.uvarint();
    if (n > r.remaining) throw new Error(`row count ${n} exceeds the data`);
    this.rows = n;
    this.#tsStart = r.position;
    const end = plain.length;
    if (n > 0) r.skip(8);
    const gcd = r.bigSvarint();
    if (gcd < 0n) throw new Error(`negative timestamp step ${gcd}`);
    let p = r.position;
    if (gcd !== 0n) p = skipVarints(plain, p, n - 1, end);
    p = skipVarints(plain, p, n, end); // observed - timestamp
    r.skip(p - r.position);
    r.skip(n); // severity
    skipStringColumn(r, n);
    // Bodies: templates, a template index per row, then value columns in order of first use.
    const count = r.uvarint();
    if (count > r.remaining || count > n) throw new Error(`template count ${count} exceeds the data`);
    const templates: ViewTemplate[] = [];
    const colIndex = new Map<number, number>();
    const colKinds: number[] = [];
    const pending: ParsedTemplate[] = [];
    for (let i = 0; i < count; i++) {
      const len = r.uvarint();
      const at = r.skip(len);
      const t = parsedTemplate(plain.toString("latin1", at, at + len), plain, at, len);
      pending.push(t);
      templates.push({ lit: t.lit, cuts: t.cuts, slots: t.slots, cols: new Uint32Array(0) });
    }
    const rowTpl = new Uint32Array(n);
    const perTpl = new Uint32Array(count);
    const order: number[] = [];
    let p2 = r.position;
    for (let i = 0; i < n; i++) {
      let id: number;
      if (p2 < end && (plain[p2] as number) < 0x80) id = plain[p2++] as number;
      else {
        const rr = new ByteReader(plain, p2);
        id = rr.uvarint();
        p2 = rr.position;
      }
      if (id >= count) throw new Error(`template index ${id} out of range ${count} at row ${i}`);
      rowTpl[i] = id;
      if (perTpl[id] === 0) order.push(id);
      perTpl[id] = (perTpl[id] as number) + 1;
    }
    r.skip(p2 - r.position);
    // Columns in order of first use: templates in order of first use, then their slots.
    const sizes: number[] = [];
    let values = 0;
    for (const id of order) {
      const pend = pending[id] as ParsedTemplate;
      const cols = new Uint32Array(pend.keyIds.length);
      for (let j = 0; j < pend.keyIds.length; j++) {
        const k = pend.keyIds[j] as number;
        let c = colIndex.get(k);
        if (c === undefined) {
          c = colIndex.size;
          colIndex.set(k, c);
          sizes.push(0);
          colKinds.push(pend.slots[j] as number);
        }
        cols[j] = c;
        sizes[c] = (sizes[c] as number) + (perTpl[id] as number);
      }
      values += cols.length * (perTpl[id] as number);
      templates[id] = { ...(templates[id] as ViewTemplate), cols };
    }
    this.templates = templates;
    this.#parsed = pending;
    this.rowTpl = rowTpl;
    this.#colKinds = Uint8Array.from(colKinds);
    this.#colSizes = Uint32Array.from(sizes);
    this.#bodyValues = r.position;
    if (values === 0) this.#restStart = this.#bodyValues;
  }

  /** Walks the value columns from their start; fills `offsets` (value starts, column after column) when given. Returns the end. */
  #skipValues(offsets: Uint32Array | null): number {
    const buf = this.#buf;
    const end = buf.length;
    let p = this.#bodyValues;
    let g = 0;
    for (let c = 0; c < this.#colSizes.length; c++) {
      const kind = this.#colKinds[c] as number;
      const m = this.#colSizes[c] as number;
      if (kind === BODY_SLOTS.NUM && offsets === null) {
        // Count varint terminators.
        let k = 0;
        while (k < m) {
          if (p >= end) throw new Error(`body value column ${c} runs past the data`);
          if ((buf[p++] as number) < 0x80) k++;
        }
        continue;
      }
      for (let k = 0; k < m; k++) {
        if (offsets !== null) offsets[g++] = p;
        if (kind === BODY_SLOTS.NUM) p = p < end && (buf[p] as number) < 0x80 ? p + 1 : varintEnd(buf, p, end);
        else if (kind === BODY_SLOTS.HEX) {
          if (p < end && (buf[p] as number) < 0x80) p += 1 + (buf[p] as number);
          else p = varintEnd(buf, p, end) + new ByteReader(buf, p).uvarint();
        } else if (kind === BODY_SLOTS.UUID) p += 16;
        else {
          if (p < end && (buf[p] as number) > 9) throw new Error(`timestamp precision ${buf[p]} out of range`);
          p = p + 1 < end && (buf[p + 1] as number) < 0x80 ? p + 2 : varintEnd(buf, p + 1, end);
        }
        if (p > end) throw new Error(`body value column ${c} runs past the data`);
      }
    }
    return p;
  }

  /** Byte offset of every row's body values: value j of row i starts at valAt[slotStart[i] + j]. */
  #values(): { valAt: Uint32Array; slotStart: Uint32Array } {
    if (this.#valAt !== undefined && this.#slotStart !== undefined) return { valAt: this.#valAt, slotStart: this.#slotStart };
    const n = this.rows;
    let total = 0;
    for (const s of this.#colSizes) total += s;
    const colOff = new Uint32Array(total);
    this.#skipValues(colOff);
    const cursor = new Uint32Array(this.#colSizes.length);
    let g = 0;
    for (let c = 0; c < cursor.length; c++) {
      cursor[c] = g;
      g += this.#colSizes[c] as number;
    }
    const slotStart = new Uint32Array(n + 1);
    const valAt = new Uint32Array(total);
    let s = 0;
    for (let i = 0; i < n; i++) {
      slotStart[i] = s;
      const cols = (this.templates[this.rowTpl[i] as number] as ViewTemplate).cols;
      for (let j = 0; j < cols.length; j++) valAt[s++] = colOff[(cursor[cols[j] as number] as number)++] as number;
    }
    slotStart[n] = s;
    this.#valAt = valAt;
    this.#slotStart = slotStart;
    return { valAt, slotStart };
  }

  /** Record timestamps (ns), decoded once. */
  timestamps(): bigint[] {
    if (this.#ts !== undefined) return this.#ts;
    const r = new ByteReader(this.#buf, this.#tsStart);
    const n = this.rows;
    const ts: bigint[] = new Array(n);
    let prev = n > 0 ? r.i64() : 0n;
    const gcd = r.bigSvarint();
    for (let i = 0; i < n; i++) {
      if (i > 0 && gcd !== 0n) prev += r.bigSvarint() * gcd;
      ts[i] = prev;
    }
    this.#ts = ts;
    return ts;
  }

  /** Appends the body of row i (UTF-8) to `out`. */
  bodyInto(out: TextOut, i: number): void {
    const { valAt, slotStart } = this.#values();
    this.#bodyInto(out, i, valAt, slotStart);
  }

  #bodyInto(out: TextOut, i: number, valAt: Uint32Array, slotStart: Uint32Array): void {
    const t = this.templates[this.rowTpl[i] as number] as ViewTemplate;
    const { lit, cuts, slots } = t;
    const buf = this.#buf;
    let s = slotStart[i] as number;
    for (let j = 0; ; j++) {
      const ps = cuts[j] as number;
      const pe = cuts[j + 1] as number;
      if (pe > ps) {
        out.ensure(pe - ps);
        const ob = out.buf;
        let o = out.len;
        if (pe - ps < 32) for (let k = ps; k < pe; k++) ob[o++] = lit[k] as number;
        else o += lit.copy(ob, o, ps, pe);
        out.len = o;
      }
      if (j === slots.length) break;
      const at = valAt[s++] as number;
      const kind = slots[j] as number;
      if (kind === BODY_SLOTS.NUM) {
        const b0 = buf[at] as number;
        out.digits(b0 < 0x80 ? b0 : new ByteReader(buf, at).uvarint());
      } else if (kind === BODY_SLOTS.HEX) {
        const b0 = buf[at] as number;
        if (b0 < 0x80) out.hex(buf, at + 1, b0, false);
        else {
          const r = new ByteReader(buf, at);
          const len = r.uvarint();
          out.hex(buf, r.skip(len), len, false);
        }
      } else if (kind === BODY_SLOTS.UUID) out.hex(buf, at, 16, true);
      else {
        const digits = buf[at] as number;
        const b1 = buf[at + 1] as number;
        if (b1 < 0x80 && digits <= 9) {
          const { secs, nanos } = this.#timeParts();
          tsInto(out, secs[i] as number, (nanos[i] as number) + ((b1 & 1) === 0 ? b1 >> 1 : -((b1 + 1) >> 1)), digits);
        } else out.ascii(formatTs((this.timestamps()[i] as bigint) + new ByteReader(buf, at + 1).bigSvarint(), digits));
      }
    }
  }

  /** Each row's timestamp as whole seconds and nanoseconds (for formatting body times without bigint). */
  #timeParts(): { secs: Float64Array; nanos: Float64Array } {
    if (this.#secs !== undefined && this.#nanos !== undefined) return { secs: this.#secs, nanos: this.#nanos };
    const ts = this.timestamps();
    const secs = new Float64Array(ts.length);
    const nanos = new Float64Array(ts.length);
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as bigint;
      const sec = t >= 0n ? t / 1_000_000_000n : (t - 999_999_999n) / 1_000_000_000n;
      secs[i] = Number(sec);
      nanos[i] = Number(t - sec * 1_000_000_000n);
    }
    this.#secs = secs;
    this.#nanos = nanos;
    return { secs, nanos };
  }

  /** Bodies of the given rows (ascending) as one buffer: row k of `rows` is bytes [ends[k-1], ends[k]). */
  bodies(rows: Uint32Array): { bytes: Buffer; ends: Uint32Array } {
    const { valAt, slotStart } = this.#values();
    const out = new TextOut(rows.length * 128);
    const ends = new Uint32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      this.#bodyInto(out, rows[k] as number, valAt, slotStart);
      ends[k] = out.len;
    }
    return { bytes: out.buf.subarray(0, out.len), ends };
  }

  /** Each template's literal bytes with A-Z lowered (computed once). */
  lowerLits(): readonly Buffer[] {
    this.#lowerLits ??= this.#parsed.map((t) => (t.lower ??= lowerAscii(t.lit)));
    return this.#lowerLits;
  }

  /** Start of the trace id column: bytes [restStart, end) hold ids, resources and attributes (found by walking the body values once). */
  get restStart(): number {
    this.#restStart ??= this.#skipValues(null);
    return this.#restStart;
  }

  /** The body value columns and everything after them (a superset of restBytes, found without walking). */
  tailBytes(): Buffer {
    return this.#buf.subarray(this.#bodyValues);
  }

  /** The id, resource and attribute bytes (searched as text: string values are stored as UTF-8). */
  restBytes(): Buffer {
    return this.#buf.subarray(this.restStart);
  }

  /** True when some row's trace or span id is stored as raw hex bytes (so its text is not in restBytes). */
  hasRawHexIds(): boolean {
    if (this.#rawHex !== undefined) return this.#rawHex;
    const r = new ByteReader(this.#buf, this.restStart);
    let raw = r.bytes(this.rows).includes(1);
    if (!raw) {
      const r2 = new ByteReader(this.#buf, this.restStart);
      getIdColumnOf(r2, this.rows, 16);
      raw = r2.bytes(this.rows).includes(1);
    }
    this.#rawHex = raw;
    return raw;
  }

  /**
   * Builds the records of `rows` (ascending row numbers). Decodes the other columns once for the call;
   * bodies are expanded only for these rows.
   */
  records(rows: Uint32Array, tenant: string, labels: Labels): LogRecord[] {
    const n = this.rows;
    const r = new ByteReader(this.#buf, this.#tsStart);
    const ts = this.timestamps();
    // Re-walk the small columns before the bodies: observed offsets, severity, severity text.
    if (n > 0) r.skip(8);
    const gcd = r.bigSvarint();
    if (gcd !== 0n) r.skip(skipVarints(this.#buf, r.position, n - 1, this.#buf.length) - r.position);
    // Observed times: walk every varint, build bigints only for the wanted rows.
    const observed = new Map<number, bigint>();
    const buf = this.#buf;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (w < rows.length && rows[w] === i) {
        observed.set(i, (ts[i] as bigint) + r.bigSvarint());
        w++;
      } else r.skip(skipVarints(buf, r.position, 1, buf.length) - r.position);
    }
    const sev = r.bytes(n);
    const sevText = getStringColumn(r, n);
    const rest = new ByteReader(this.#buf, this.restStart);
    const traceIds = idsOf(rest, n, 16, rows);
    const spanIds = idsOf(rest, n, 8, rows);
    const resources = getStringColumn(rest, n);
    const attrs = decodeAttributes(rest, n, rows);
    if (rest.remaining !== 0) throw new Error(`${rest.remaining} trailing bytes after the columns`);
    const out: LogRecord[] = new Array(rows.length);
    const text = new TextOut(256);
    const resCache = new Map<string, Record<string, string>>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k] as number;
      text.len = 0;
      this.bodyInto(text, i);
      const body = text.buf.toString("utf8", 0, text.len);
      const rj = resources[i] ?? "{}";
      let res = resCache.get(rj);
      if (res === undefined) {
        const parsed = JSON.parse(rj) as unknown;
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`resource at row ${i} is not an object`);
        res = parsed as Record<string, string>;
        resCache.set(rj, res);
      }
      out[k] = {
        timestamp: ts[i] as bigint,
        observedTimestamp: observed.get(i) as bigint,
        severityNumber: sev[i] as number,
        severityText: sevText[i] ?? "",
        body,
        attributes: attrs.get(i) ?? {},
        resource: { ...res },
        traceId: resolveId(traceIds, i, 32, body),
        spanId: resolveId(spanIds, i, 16, body),
        tenant,
        labels,
      };
    }
    return out;
  }

  /** Approximate memory held (for cache accounting). */
  get byteSize(): number {
    return this.#buf.length + (this.#valAt?.byteLength ?? 0) * 2 + this.rows * 24 + this.templates.length * 128;
  }
}

let isoSec = Number.NaN;
let isoText = Buffer.alloc(19);

/** Writes an RFC 3339 UTC time (seconds + nanoseconds, nanos may be outside [0, 1e9)) with `digits` fraction digits, as formatTs does. */
function tsInto(out: TextOut, sec: number, nanos: number, digits: number): void {
  if (nanos < 0 || nanos >= 1e9) {
    const carry = Math.floor(nanos / 1e9);
    sec += carry;
    nanos -= carry * 1e9;
  }
  if (sec !== isoSec) {
    isoText = Buffer.from(new Date(sec * 1000).toISOString().slice(0, 19), "latin1");
    isoSec = sec;
  }
  out.ensure(32);
  const b = out.buf;
  let o = out.len;
  o += isoText.copy(b, o);
  if (digits > 0) {
    b[o++] = 46;
    let div = 100_000_000;
    for (let d = 0; d < digits; d++) {
      const q = Math.floor(nanos / div);
      b[o++] = 48 + q;
      nanos -= q * div;
      div /= 10;
    }
  }
  b[o++] = 90;
  out.len = o;
}

/** A copy of UTF-8 bytes with A-Z lowered (multi-byte sequences never contain ASCII bytes). */
export function lowerAscii(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(src.length);
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    out[i] = c >= 65 && c <= 90 ? c + 32 : c;
  }
  return out;
}

/**
 * Reads an id column (see putIdColumn) like getIdColumnOf, but builds id strings only for `rows`
 * (ascending); the other rows are skipped. Result indexed by row like getIdColumnOf's.
 */
function idsOf(r: ByteReader, n: number, bytes: number, rows: Uint32Array): { ids: string[]; at: Int32Array } {
  const tags = r.bytes(n);
  const ids: string[] = new Array(n);
  const at = new Int32Array(n).fill(-1);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const t = tags[i];
    const want = w < rows.length && rows[w] === i;
    if (want) w++;
    if (t === 0) ids[i] = "";
    else if (t === 1) {
      const b = r.bytes(bytes);
      ids[i] = want ? b.toString("hex") : "";
    } else if (t === 2) {
      const len = r.uvarint();
      const b = r.bytes(len);
      ids[i] = want ? b.toString("utf8") : "";
    } else if (t === 3) {
      const pos = r.uvarint();
      if (pos > 0x7fffffff) throw new Error(`id offset ${pos} at row ${i} is out of range`);
      at[i] = pos;
      ids[i] = "";
    } else throw new Error(`bad id tag ${t} at row ${i}`);
  }
  return { ids, at };
}

/** Reads the attribute columns, keeping the maps of `rows` only (ascending). */
function decodeAttributes(r: ByteReader, n: number, rows: Uint32Array): Map<number, Record<string, string>> {
  const wanted = new Map<number, Record<string, string>>();
  for (const i of rows) wanted.set(i, {});
  const nFrequent = r.uvarint();
  for (let f = 0; f < nFrequent; f++) {
    const key = r.str();
    const col = getStringColumn(r, n);
    for (const [i, a] of wanted) {
      const v = col[i];
      if (v !== undefined) a[key] = v;
    }
  }
  const nResidual = r.uvarint();
  if (nResidual > r.remaining) throw new Error(`residual key count ${nResidual} exceeds the data`);
  const keys: string[] = [];
  for (let i = 0; i < nResidual; i++) keys.push(r.str());
  for (let i = 0; i < n; i++) {
    const c = r.uvarint();
    const a = wanted.get(i);
    for (let j = 0; j < c; j++) {
      const k = keys[r.uvarint()];
      if (k === undefined) throw new Error(`residual key index out of range at row ${i}`);
      if (a === undefined) r.skip(r.uvarint());
      else a[k] = r.str();
    }
  }
  return wanted;
}

// Columnar plaintext of a block: timestamps (delta-of-delta), severity, bodies, ids, attribute columns.

import type { Labels, LogRecord } from "@meshlog/core";
import { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";
import { bodyText, decodeBodyBytes, type BodyBytes } from "./body-templates.js";
import { encodeBodies, type BodyGramSink } from "./body-template-encoder.js";
import type { RowNeedles } from "./row-match.js";

/** Layout written by encodeColumns. Version 1 (raw bodies, delta-of-delta timestamps) is still read. */
export const COLUMNS_VERSION = 2;
export const SALT_BYTES = 16;
/** An attribute key gets its own column when at least this fraction of rows carries it. */
const FREQUENT_KEY_RATIO = 0.25;
const MAX_FREQUENT_KEYS = 64;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** Writes a column of optional strings: dictionary-coded when values repeat, else raw with lengths. */
function putStringColumn(w: ByteWriter, values: readonly (string | undefined)[]): void {
  const dict = new Map<string, number>();
  for (const v of values) if (v !== undefined && !dict.has(v) && dict.size <= values.length / 2) dict.set(v, dict.size + 1);
  if (dict.size <= values.length / 2) {
    w.u8(0);
    w.uvarint(dict.size);
    for (const k of dict.keys()) w.str(k);
    for (const v of values) w.uvarint(v === undefined ? 0 : (dict.get(v) as number));
  } else {
    w.u8(1);
    for (const v of values) {
      if (v === undefined) w.uvarint(0);
      else {
        const b = Buffer.from(v, "utf8");
        w.uvarint(b.length + 1);
        w.bytes(b);
      }
    }
  }
}

export function getStringColumn(r: ByteReader, rows: number): (string | undefined)[] {
  const mode = r.u8();
  const out: (string | undefined)[] = new Array(rows);
  if (mode === 0) {
    const n = r.uvarint();
    if (n > r.remaining) throw new Error(`dictionary size ${n} exceeds the data`);
    const dict: string[] = [];
    for (let i = 0; i < n; i++) dict.push(r.str());
    for (let i = 0; i < rows; i++) {
      const idx = r.uvarint();
      if (idx > n) throw new Error(`dictionary index ${idx} out of range ${n}`);
      out[i] = idx === 0 ? undefined : dict[idx - 1];
    }
  } else if (mode === 1) {
    for (let i = 0; i < rows; i++) {
      const len = r.uvarint();
      out[i] = len === 0 ? undefined : r.bytes(len - 1).toString("utf8");
    }
  } else throw new Error(`unknown string column mode ${mode}`);
  return out;
}

/**
 * Id column (trace or span ids): per row a tag, then the values. Tags: 0 empty; 1 lower-case hex of
 * `bytes` bytes stored raw; 2 any other string; 3 hex id that also occurs in the body, stored as the
 * uvarint character offset of its first occurrence (ids are usually repeated in JSON access logs).
 */
function putIdColumn(w: ByteWriter, ids: readonly string[], bodies: readonly string[], re: RegExp): void {
  const tags = Buffer.allocUnsafe(ids.length);
  const at: number[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (id === "") tags[i] = 0;
    else if (!re.test(id)) tags[i] = 2;
    else {
      const pos = (bodies[i] as string).indexOf(id);
      tags[i] = pos >= 0 ? 3 : 1;
      at[i] = pos;
    }
  }
  w.bytes(tags);
  for (let i = 0; i < ids.length; i++) {
    const t = tags[i];
    if (t === 1) w.bytes(Buffer.from(ids[i] as string, "hex"));
    else if (t === 2) w.str(ids[i] as string);
    else if (t === 3) w.uvarint(at[i] as number);
  }
}

/**
 * Reads an id column. Ids stored as a body offset (tag 3) are returned as "" with their offset in `at`
 * (else -1), and resolved by resolveId only for the rows that are built.
 */
export function getIdColumnOf(r: ByteReader, rows: number, bytes: number): { ids: string[]; at: Int32Array } {
  const tags = r.bytes(rows);
  const out: string[] = new Array(rows);
  const at = new Int32Array(rows).fill(-1);
  for (let i = 0; i < rows; i++) {
    const t = tags[i];
    if (t === 0) out[i] = "";
    else if (t === 1) out[i] = r.bytes(bytes).toString("hex");
    else if (t === 2) out[i] = r.str();
    else if (t === 3) {
      const pos = r.uvarint();
      if (pos > 0x7fffffff) throw new Error(`id offset ${pos} at row ${i} is out of range`);
      at[i] = pos;
      out[i] = "";
    } else throw new Error(`bad id tag ${t} at row ${i}`);
  }
  return { ids: out, at };
}

export function resolveId(col: { ids: string[]; at: Int32Array }, i: number, hexChars: number, b: string): string {
  const pos = col.at[i] as number;
  if (pos < 0) return col.ids[i] as string;
  if (pos + hexChars > b.length) throw new Error(`id offset ${pos} at row ${i} is outside the body`);
  return b.slice(pos, pos + hexChars);
}

/**
 * Encodes records (already in timestamp order) of one stream into the block's plaintext column layout.
 * The salt is the first field so the Merkle leaves can be recomputed from the plaintext alone. With
 * `grams`, every 4-gram of the bodies is passed to it on the way (see encodeBodies).
 */
export function encodeColumns(records: readonly LogRecord[], salt: Uint8Array, grams?: BodyGramSink): Buffer {
  const n = records.length;
  let approx = 64;
  for (const r of records) approx += r.body.length + 48;
  const w = new ByteWriter(approx);
  w.u8(COLUMNS_VERSION);
  w.bytes(salt);
  w.uvarint(n);
  // Timestamps: first value, the GCD of the deltas, then each delta divided by it (zigzag).
  const tss = records.map((r) => r.timestamp);
  let gcd = 0n;
  for (let i = 1; i < n; i++) {
    let d = (tss[i] as bigint) - (tss[i - 1] as bigint);
    if (d < 0n) d = -d;
    while (d !== 0n) [gcd, d] = [d, gcd % d];
  }
  if (n > 0) w.i64(tss[0] as bigint);
  w.bigSvarint(gcd);
  if (gcd !== 0n) for (let i = 1; i < n; i++) w.bigSvarint(((tss[i] as bigint) - (tss[i - 1] as bigint)) / gcd);
  for (const r of records) w.bigSvarint(r.observedTimestamp - r.timestamp);
  const sev = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) sev[i] = (records[i] as LogRecord).severityNumber & 0xff;
  w.bytes(sev);
  putStringColumn(
    w,
    records.map((r) => r.severityText),
  );
  encodeBodies(
    w,
    records.map((r) => r.body),
    tss,
    grams,
  );
  const bodyText = records.map((r) => r.body);
  putIdColumn(
    w,
    records.map((r) => r.traceId),
    bodyText,
    HEX32,
  );
  putIdColumn(
    w,
    records.map((r) => r.spanId),
    bodyText,
    HEX16,
  );
  putStringColumn(
    w,
    records.map((r) => JSON.stringify(r.resource)),
  );
  // Attributes: frequent keys as columns, the rest as a residual per row.
  const counts = new Map<string, number>();
  for (const r of records) for (const k in r.attributes) counts.set(k, (counts.get(k) ?? 0) + 1);
  const frequent = [...counts]
    .filter(([, c]) => c >= n * FREQUENT_KEY_RATIO)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_FREQUENT_KEYS)
    .map(([k]) => k);
  const frequentSet = new Set(frequent);
  w.uvarint(frequent.length);
  for (const k of frequent) {
    w.str(k);
    putStringColumn(
      w,
      records.map((r) => (Object.hasOwn(r.attributes, k) ? r.attributes[k] : undefined)),
    );
  }
  const residualKeys = new Map<string, number>();
  for (const [k] of counts) if (!frequentSet.has(k)) residualKeys.set(k, residualKeys.size);
  w.uvarint(residualKeys.size);
  for (const k of residualKeys.keys()) w.str(k);
  for (const r of records) {
    let c = 0;
    for (const k in r.attributes) if (!frequentSet.has(k)) c++;
    w.uvarint(c);
    for (const k in r.attributes) {
      if (frequentSet.has(k)) continue;
      w.uvarint(residualKeys.get(k) as number);
      w.str(r.attributes[k] as string);
    }
  }
  return Buffer.from(w.finish());
}

/**
 * Decodes the column layout back into records; tenant and labels come from the block header. With
 * `needles`, only rows that pass them are built (see RowNeedles); `rows` is always the block's row count.
 */
export function decodeColumns(buf: Uint8Array, tenant: string, labels: Labels, needles?: RowNeedles): { salt: Buffer; records: LogRecord[]; rows: number } {
  const r = new ByteReader(buf);
  const version = r.u8();
  if (version !== COLUMNS_VERSION && version !== 1) throw new Error(`unsupported column layout version ${version}`);
  const salt = Buffer.from(r.bytes(SALT_BYTES));
  const n = r.uvarint();
  if (n > r.remaining) throw new Error(`row count ${n} exceeds the data`);
  const ts: bigint[] = new Array(n);
  if (version === 1) {
    let prev = 0n;
    let prevDelta = 0n;
    for (let i = 0; i < n; i++) {
      if (i === 0) prev = r.i64();
      else {
        prevDelta += r.bigSvarint();
        prev += prevDelta;
      }
      ts[i] = prev;
    }
  } else {
    let prev = n > 0 ? r.i64() : 0n;
    const gcd = r.bigSvarint();
    if (gcd < 0n) throw new Error(`negative timestamp step ${gcd}`);
    for (let i = 0; i < n; i++) {
      if (i > 0 && gcd !== 0n) prev += r.bigSvarint() * gcd;
      ts[i] = prev;
    }
  }
  const observed: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) observed[i] = (ts[i] as bigint) + r.bigSvarint();
  const sev = r.bytes(n);
  const sevText = getStringColumn(r, n);
  let bodyBytes: BodyBytes;
  if (version === 1) {
    const ends = new Uint32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) ends[i] = total += r.uvarint();
    bodyBytes = { bytes: r.bytes(total), ends };
  } else bodyBytes = decodeBodyBytes(r, ts);
  const traceIds = getIdColumnOf(r, n, 16);
  const spanIds = getIdColumnOf(r, n, 8);
  const resources = getStringColumn(r, n);
  const attrs: Record<string, string>[] = Array.from({ length: n }, () => ({}));
  const nFrequent = r.uvarint();
  for (let f = 0; f < nFrequent; f++) {
    const key = r.str();
    const col = getStringColumn(r, n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v !== undefined) (attrs[i] as Record<string, string>)[key] = v;
    }
  }
  const nResidual = r.uvarint();
  if (nResidual > r.remaining) throw new Error(`residual key count ${nResidual} exceeds the data`);
  const keys: string[] = [];
  for (let i = 0; i < nResidual; i++) keys.push(r.str());
  for (let i = 0; i < n; i++) {
    const c = r.uvarint();
    for (let j = 0; j < c; j++) {
      const k = keys[r.uvarint()];
      if (k === undefined) throw new Error(`residual key index out of range at row ${i}`);
      (attrs[i] as Record<string, string>)[k] = r.str();
    }
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} trailing bytes after the columns`);
  const records: LogRecord[] = [];
  const filter = needles?.active === true ? needles : undefined;
  const hits = filter?.scanBodies(bodyBytes.bytes, bodyBytes.ends);
  const all = filter?.all ?? 0;
  const resCache = new Map<string, Record<string, string>>();
  for (let i = 0; i < n; i++) {
    const rj = resources[i] ?? "{}";
    let res = resCache.get(rj);
    if (res === undefined) {
      const parsed = JSON.parse(rj) as unknown;
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`resource at row ${i} is not an object`);
      res = parsed as Record<string, string>;
      resCache.set(rj, res);
    }
    // An id stored as a body offset is inside the body, so the body scan already covered it.
    if (filter !== undefined && hits !== undefined) {
      const mask = hits[i] as number;
      if (mask !== all && !filter.matchesRest(mask, traceIds.ids[i] as string, spanIds.ids[i] as string, attrs[i] as Record<string, string>, res)) continue;
    }
    const body = bodyText(bodyBytes, i);
    const traceId = resolveId(traceIds, i, 32, body);
    const spanId = resolveId(spanIds, i, 16, body);
    records.push({
      timestamp: ts[i] as bigint,
      observedTimestamp: observed[i] as bigint,
      severityNumber: sev[i] as number,
      severityText: sevText[i] ?? "",
      body,
      attributes: attrs[i] as Record<string, string>,
      resource: { ...res },
      traceId,
      spanId,
      tenant,
      labels,
    });
  }
  return { salt, records, rows: n };
}

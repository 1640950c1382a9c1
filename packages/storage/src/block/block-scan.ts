// Needle scan over a column view: body templates decided per needle, bodies expanded only for undecided rows.

import type { Labels, LogRecord } from "@meshlog/core";
import type { ColumnView, ViewTemplate } from "./column-view.js";
import type { RowNeedles } from "./row-match.js";

/**
 * Characters (lower-cased) a body variable can consist of: digits and a-f (numbers, hex, uuids), `-`, `:`,
 * `.`, `t`, `z` (uuids, RFC 3339 times). Any other needle character can only come from template text.
 */
const VARIABLE = new Uint8Array(128);
for (const c of "0123456789abcdef-:.tz") VARIABLE[c.charCodeAt(0)] = 1;
const HEX_ONLY = /^[0-9a-f]+$/;
// eslint-disable-next-line no-control-regex
const JSON_ESCAPED = /["\\\x00-\x1f]/;

const NEVER = 0;
const ALWAYS = 1;
const MAYBE = 2;

/** Needle bytes and its maximal runs of characters that no body variable can hold. */
interface Needle {
  readonly bytes: Buffer;
  readonly fixedRuns: readonly Buffer[];
  /** True when every character is one a variable can hold (then no template text is required). */
  readonly allVariable: boolean;
  readonly onlyFixed: boolean;
}

function prepare(lower: string): Needle {
  const runs: Buffer[] = [];
  let start = -1;
  let vars = 0;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : -1;
    const fixed = c >= 0 && !(c < 128 && VARIABLE[c] === 1);
    if (c >= 0 && !fixed) vars++;
    if (fixed && start < 0) start = i;
    if (!fixed && start >= 0) {
      runs.push(Buffer.from(lower.slice(start, i), "latin1"));
      start = -1;
    }
  }
  return { bytes: Buffer.from(lower, "latin1"), fixedRuns: runs, allVariable: runs.length === 0, onlyFixed: vars === 0 };
}

/** True when `needle` occurs inside one literal part of the template (part j is lit[cuts[j], cuts[j+1])). */
function inOnePart(lit: Buffer, cuts: Uint32Array, needle: Buffer): boolean {
  let from = 0;
  for (;;) {
    const at = lit.indexOf(needle, from);
    if (at < 0) return false;
    let j = 0;
    while ((cuts[j + 1] as number) <= at) j++;
    if (at + needle.length <= (cuts[j + 1] as number)) return true;
    from = at + 1;
  }
}

/**
 * Decides, for every row of a template, whether its body holds the needle (ignoring ASCII case):
 * ALWAYS when the needle sits inside one literal part; NEVER when no variable can complete it (a needle of
 * template-only characters that no part holds, or a run of such characters that no part holds: variables
 * are never empty, so such a run cannot span a slot); MAYBE otherwise.
 */
function classify(t: ViewTemplate, lowerLit: Buffer, n: Needle): number {
  if (inOnePart(lowerLit, t.cuts, n.bytes)) return ALWAYS;
  if (t.slots.length === 0 || n.onlyFixed) return NEVER;
  for (const run of n.fixedRuns) if (!inOnePart(lowerLit, t.cuts, run)) return NEVER;
  return MAYBE;
}

/**
 * Rows of a view that pass `needles` (see RowNeedles: every needle in the body, an attribute value, a
 * resource value or an id, ignoring ASCII case), as records, ascending. Bodies are expanded only for rows
 * whose template cannot decide a needle; other columns are decoded only when some row may pass.
 * Gives exactly the rows RowNeedles.matches accepts.
 */
export function scanView(view: ColumnView, needles: RowNeedles, tenant: string, labels: Labels): LogRecord[] {
  const lowered = needles.lowered;
  const all = needles.all;
  const prepared = lowered.map(prepare);
  const lits = view.lowerLits();
  const tcount = view.templates.length;
  const always = new Uint32Array(tcount);
  const maybe = new Uint32Array(tcount);
  for (let t = 0; t < tcount; t++) {
    const tpl = view.templates[t] as ViewTemplate;
    for (let k = 0; k < prepared.length; k++) {
      const c = classify(tpl, lits[t] as Buffer, prepared[k] as Needle);
      if (c === ALWAYS) always[t] = ((always[t] as number) | (1 << k)) >>> 0;
      else if (c === MAYBE) maybe[t] = ((maybe[t] as number) | (1 << k)) >>> 0;
    }
  }
  // Needles that may also sit outside the body: string values are stored as UTF-8 after the bodies.
  let restMay = 0;
  for (let k = 0; k < lowered.length; k++) {
    const l = lowered[k] as string;
    const f = needles.finder(k);
    // The tail (values, then the rest) is searched first: when it lacks the needle, the rest does too.
    const may = JSON_ESCAPED.test(l) || (HEX_ONLY.test(l) && view.hasRawHexIds()) || (f.indexIn(view.tailBytes()) >= 0 && f.indexIn(view.restBytes()) >= 0);
    if (may) restMay = (restMay | (1 << k)) >>> 0;
  }
  const n = view.rows;
  const masks = new Uint32Array(n);
  const expand: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = view.rowTpl[i] as number;
    const m = always[t] as number;
    masks[i] = m;
    const mb = maybe[t] as number;
    // Expand when the template leaves a needle undecided and the row may still pass.
    if ((mb & ~m) !== 0 && (m | restMay | mb) >>> 0 === all) expand.push(i);
  }
  if (expand.length > 0) {
    const rows = Uint32Array.from(expand);
    const { bytes, ends } = view.bodies(rows);
    const hits = needles.scanBodies(bytes, ends);
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k] as number;
      masks[i] = ((masks[i] as number) | (hits[k] as number)) >>> 0;
    }
  }
  const pass: number[] = [];
  for (let i = 0; i < n; i++) if (((masks[i] as number) | restMay) >>> 0 === all) pass.push(i);
  if (pass.length === 0) return [];
  const rows = Uint32Array.from(pass);
  const records = view.records(rows, tenant, labels);
  const out: LogRecord[] = [];
  for (let k = 0; k < rows.length; k++) {
    const mask = masks[rows[k] as number] as number;
    const r = records[k] as LogRecord;
    if (mask === all || needles.matchesRest(mask, r.traceId, r.spanId, r.attributes, r.resource)) out.push(r);
  }
  return out;
}

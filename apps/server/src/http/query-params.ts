// Reading the query string of a list endpoint (audit trail, anomalies): single-valued, bounded strings, times and
// a time range given as start/end or since; every error names the parameter.

import { parseDurationNs, parseTimestampNs } from "@meshlog/core";

/** Throws the caller's error for a bad parameter (e.g. a MeshlogError with `details.field`). */
export type BadParam = (param: string, msg: string) => never;

export interface QueryParams {
  /** The parameter's value; undefined when absent; refused when repeated or longer than 256 characters. */
  str(k: string): string | undefined;
  /** The parameter as RFC 3339 or Unix nanoseconds. */
  time(k: string): bigint | undefined;
  /**
   * [start, end) from `start`/`end` or `since` (a positive duration back from end); end defaults to just after
   * now, start to `defaultSpanNs` before end. Neither is below 0; start must be before end.
   */
  range(nowNs: bigint, defaultSpanNs: bigint): { start: bigint; end: bigint };
  /** An integer limit from 1 to `max`, `def` when absent. */
  limit(def: number, max: number): number;
}

/** A reader over `q` that first refuses any parameter not in `allowed`. */
export function queryParams(q: Readonly<Record<string, unknown>>, allowed: ReadonlySet<string>, bad: BadParam): QueryParams {
  for (const k of Object.keys(q)) if (!allowed.has(k)) bad(k, `unknown parameter (use ${[...allowed].join(", ")})`);
  const str = (k: string): string | undefined => {
    const v = q[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string") return bad(k, "must be given once");
    if (v.length > 256) return bad(k, "is longer than 256 characters");
    return v;
  };
  const time = (k: string): bigint | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    try {
      return parseTimestampNs(v, k);
    } catch (err) {
      return bad(k, (err as Error).message);
    }
  };
  return {
    str,
    time,
    range(nowNs, defaultSpanNs) {
      let end = time("end") ?? nowNs + 1n;
      let start = time("start");
      const since = str("since");
      if (since !== undefined) {
        if (start !== undefined) bad("since", "use either since or start");
        let d = 0n;
        try {
          d = parseDurationNs(since, "since");
        } catch (err) {
          bad("since", (err as Error).message);
        }
        if (d <= 0n) bad("since", "must be a positive duration like 15m, 1h or 7d");
        start = end - d;
      }
      start ??= end - defaultSpanNs;
      if (start < 0n) start = 0n;
      if (end < 0n) end = 0n;
      if (start >= end) bad("start", "must be before end");
      return { start, end };
    },
    limit(def, max) {
      const text = str("limit");
      const n = text === undefined ? def : Number(text);
      if (!Number.isInteger(n) || n < 1 || n > max) bad("limit", `must be an integer from 1 to ${max}`);
      return n;
    },
  };
}

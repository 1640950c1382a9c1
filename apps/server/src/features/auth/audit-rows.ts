// Infers the rows a query answer returned (for the audit event) when the route did not report them itself.

/** Largest answer body parsed to count rows; bigger answers are audited without a row count. */
export const MAX_ROWS_SCAN_BYTES = 8 * 1024 * 1024;

/**
 * Counts rows in a JSON answer of the Loki API shape: log lines of `streams` results, series of
 * `matrix`/`vector` results, entries of `data` arrays (labels, series), `volumes`/`fields`/`events` lists.
 * Returns undefined when the body is not one of these shapes.
 */
export function inferRows(body: string): number | undefined {
  if (body.length === 0 || body.length > MAX_ROWS_SCAN_BYTES || (body[0] !== "{" && body[0] !== "[")) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(v)) return v.length;
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const data = o.data;
  if (Array.isArray(data)) return data.length;
  if (data !== null && typeof data === "object") {
    const d = data as Record<string, unknown>;
    const result = d.result;
    if (Array.isArray(result)) {
      if (d.resultType === "streams")
        return result.reduce<number>((n, s) => n + (Array.isArray((s as { values?: unknown }).values) ? (s as { values: unknown[] }).values.length : 0), 0);
      return result.length;
    }
  }
  for (const k of ["streams", "volumes", "fields", "detectedLabels", "events", "tokens", "principals", "sources", "keys", "tenants"]) {
    const x = o[k];
    if (Array.isArray(x)) return x.length;
  }
  return undefined;
}

// Splits a native NDJSON body into records and per-line rejections (1-based line numbers).

import { MeshlogError, nowNs, type LogRecord } from "@meshlog/core";
import { NativeLineContext, nativeLineToRecord } from "./native-record.js";

/** Records parsed from one body and the lines rejected, with the reason. */
export interface NativeBatch {
  records: LogRecord[];
  rejected: { line: number; error: string }[];
}

/**
 * Parses every non-blank line of `text` as one native record of `tenant`. A bad line is reported and
 * skipped; it never rejects the others. `lineCtx` keeps the label cache across batches (one per receiver).
 */
export function parseNativeNdjson(text: string, tenant: string, source: string, maxLineBytes: number, lineCtx = new NativeLineContext()): NativeBatch {
  const records: LogRecord[] = [];
  const rejected: { line: number; error: string }[] = [];
  lineCtx.now = nowNs();
  let lineNo = 0;
  let start = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    lineNo++;
    const from = start;
    start = end + 1;
    if (end === from) continue;
    const line = text.slice(from, end).trim();
    if (line === "") continue;
    try {
      records.push(nativeLineToRecord(JSON.parse(line), tenant, source, maxLineBytes, lineCtx));
    } catch (err) {
      const msg = err instanceof SyntaxError ? `invalid JSON: ${err.message}` : err instanceof MeshlogError ? err.message : String(err);
      rejected.push({ line: lineNo, error: msg });
    }
  }
  lineCtx.now = 0n;
  return { records, rejected };
}

// The native ingest wire form of a record (one NDJSON line of POST /api/v1/ingest), used by several sinks.

import type { LogRecord } from "@meshlog/core";

export interface WireRecord {
  timestamp: string;
  body: string;
  labels: Record<string, string>;
  attributes: Record<string, string>;
  severity?: string;
  traceId?: string;
  spanId?: string;
  resource?: Record<string, string>;
  tenant?: string;
}

/** Timestamp as a decimal nanosecond string; empty optional fields are left out. */
export function toWire(r: LogRecord): WireRecord {
  const w: WireRecord = { timestamp: r.timestamp.toString(), body: r.body, labels: { ...r.labels }, attributes: r.attributes };
  if (r.severityText !== "") w.severity = r.severityText;
  if (r.traceId !== "") w.traceId = r.traceId;
  if (r.spanId !== "") w.spanId = r.spanId;
  if (Object.keys(r.resource).length > 0) w.resource = r.resource;
  return w;
}

export function toNdjson(records: readonly LogRecord[]): string {
  let s = "";
  for (const r of records) s += JSON.stringify(toWire(r)) + "\n";
  return s;
}

// Validates one native NDJSON ingest line into a record; errors name the offending field.

import { normalizeSpanId, normalizeTraceId, nowNs, parseTimestampNs, severityFromText, severityTextOf, validateLabels, MeshlogError, type LogRecord } from "@meshlog/core";
import { ServerErrors } from "../../errors.js";

const ALLOWED = new Set(["timestamp", "body", "labels", "attributes", "severity", "severityNumber", "traceId", "spanId", "resource", "observedTimestamp"]);

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, `${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else if (v === null) continue;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

/** Converts a parsed native line into a record of `tenant`. `source` fills labels.source when absent. */
export function nativeLineToRecord(obj: unknown, tenant: string, source: string, maxLineBytes: number): LogRecord {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "line must be a JSON object");
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ALLOWED.has(k)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, `unknown field "${k}" (allowed: ${[...ALLOWED].join(", ")})`);
  let body: string;
  if (typeof o.body === "string") body = o.body;
  else if (o.body === undefined || o.body === null) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "body is required");
  else body = JSON.stringify(o.body);
  if (Buffer.byteLength(body) > maxLineBytes) throw new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `body is longer than the limit of ${maxLineBytes} bytes`);
  const now = nowNs();
  const timestamp = o.timestamp === undefined || o.timestamp === null || o.timestamp === "" ? now : parseTimestampNs(o.timestamp, "timestamp");
  const labelsIn = stringMap(o.labels, "labels");
  if (labelsIn.source === undefined) labelsIn.source = source;
  let severityNumber = 0;
  let severityText = "";
  if (o.severityNumber !== undefined) {
    if (typeof o.severityNumber !== "number" || !Number.isInteger(o.severityNumber) || o.severityNumber < 0 || o.severityNumber > 24) {
      throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "severityNumber must be an integer from 0 to 24");
    }
    severityNumber = o.severityNumber;
  }
  if (o.severity !== undefined) {
    if (typeof o.severity !== "string") throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "severity must be a string such as info or error");
    severityText = o.severity;
    if (severityNumber === 0) severityNumber = severityFromText(o.severity);
  }
  if (severityText === "" && severityNumber > 0) severityText = severityTextOf(severityNumber);
  const traceIdRaw = o.traceId;
  if (traceIdRaw !== undefined && typeof traceIdRaw !== "string") throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "traceId must be a hex string");
  const spanIdRaw = o.spanId;
  if (spanIdRaw !== undefined && typeof spanIdRaw !== "string") throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "spanId must be a hex string");
  const traceId = normalizeTraceId(traceIdRaw);
  if (traceIdRaw !== undefined && traceIdRaw !== "" && traceId === "") throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "traceId must be 16 or 32 hex characters");
  const spanId = normalizeSpanId(spanIdRaw);
  if (spanIdRaw !== undefined && spanIdRaw !== "" && spanId === "") throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "spanId must be 16 hex characters");
  return {
    timestamp,
    observedTimestamp: now,
    severityNumber,
    severityText,
    body,
    attributes: stringMap(o.attributes, "attributes"),
    resource: stringMap(o.resource, "resource"),
    traceId,
    spanId,
    tenant,
    labels: validateLabels(labelsIn),
  };
}

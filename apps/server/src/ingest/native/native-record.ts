// Validates one native NDJSON ingest line into a record; errors name the offending field.

import {
  normalizeSpanId,
  normalizeTraceId,
  nowNs,
  parseTimestampNs,
  severityFromText,
  severityTextOf,
  validateLabels,
  MeshlogError,
  type Labels,
  type LogRecord,
} from "@meshlog/core";
import { ServerErrors } from "../../errors.js";

const ALLOWED = new Set(["timestamp", "body", "labels", "attributes", "severity", "severityNumber", "traceId", "spanId", "resource", "observedTimestamp"]);

const LABEL_CACHE_MAX = 4096;

/**
 * State shared by the lines of one receiver: the receive time of the current batch and validated label
 * sets keyed by their raw text (streams repeat, so validation runs once per distinct label set). Cached
 * Labels objects are shared between records; Labels is read-only by contract.
 */
export class NativeLineContext {
  /** Receive time stamped as observedTimestamp (and timestamp when absent); set once per batch. */
  now: bigint = 0n;
  readonly #labels = new Map<string, Labels>();

  /** Validated labels of `raw` (a parsed `labels` value) with `source` filled in when absent. */
  labels(raw: unknown, source: string): Labels {
    if (raw === undefined || raw === null) return this.#cached(`\u0000${source}`, () => validateLabels({ source }));
    if (typeof raw !== "object" || Array.isArray(raw)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "labels must be an object of strings");
    const o = raw as Record<string, unknown>;
    let key = "";
    let hasSource = false;
    for (const k in o) {
      const v = o[k];
      if (typeof v !== "string") return this.#fill(stringMap(raw, "labels"), source);
      if (k === "source") hasSource = true;
      key += `${k.length}:${k}${v.length}:${v}`; // length-prefixed: distinct label sets never share a key
    }
    if (!hasSource) key += `\u0000${source}`;
    return this.#cached(key, () => this.#fill({ ...(o as Record<string, string>) }, source));
  }

  #fill(labels: Record<string, string>, source: string): Labels {
    if (labels.source === undefined) labels.source = source;
    return validateLabels(labels);
  }

  #cached(key: string, make: () => Labels): Labels {
    let l = this.#labels.get(key);
    if (l === undefined) {
      l = make();
      if (this.#labels.size >= LABEL_CACHE_MAX) this.#labels.clear();
      this.#labels.set(key, l);
    }
    return l;
  }
}

/** A string map from a parsed JSON value; numbers and booleans become text, nested values JSON, nulls are dropped. */
function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, `${field} must be an object of strings`);
  const o = value as Record<string, unknown>;
  let allStrings = true;
  for (const k in o) {
    if (typeof o[k] !== "string") {
      allStrings = false;
      break;
    }
  }
  // The parsed object is ours alone: reuse it when it already has the right shape.
  if (allStrings) return o as Record<string, string>;
  const out: Record<string, string> = {};
  for (const k in o) {
    const v = o[k];
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else if (v === null) continue;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

/**
 * Converts a parsed native line into a record of `tenant`. `source` fills labels.source when absent.
 * `lineCtx` (optional) carries the batch's receive time and the label cache; without it each call validates
 * its labels and reads the clock.
 */
export function nativeLineToRecord(obj: unknown, tenant: string, source: string, maxLineBytes: number, lineCtx?: NativeLineContext): LogRecord {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "line must be a JSON object");
  const o = obj as Record<string, unknown>;
  for (const k in o) if (!ALLOWED.has(k)) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, `unknown field "${k}" (allowed: ${[...ALLOWED].join(", ")})`);
  let body: string;
  if (typeof o.body === "string") body = o.body;
  else if (o.body === undefined || o.body === null) throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "body is required");
  else body = JSON.stringify(o.body);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when the limit could be exceeded.
  if (body.length * 3 > maxLineBytes && Buffer.byteLength(body) > maxLineBytes) {
    throw new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `body is longer than the limit of ${maxLineBytes} bytes`);
  }
  const now = lineCtx !== undefined && lineCtx.now !== 0n ? lineCtx.now : nowNs();
  const timestamp = o.timestamp === undefined || o.timestamp === null || o.timestamp === "" ? now : parseTimestampNs(o.timestamp, "timestamp");
  const labels = lineCtx !== undefined ? lineCtx.labels(o.labels, source) : new NativeLineContext().labels(o.labels, source);
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
  if (traceIdRaw !== undefined && traceIdRaw !== "" && traceId === "")
    throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, "traceId must be 16 or 32 hex characters");
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
    labels,
  };
}

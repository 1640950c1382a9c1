// Decoded OTLP export requests (logs and traces), independent of the wire encoding (protobuf or JSON).

/** An OTLP AnyValue: ints are bigint, bytes are Uint8Array, kvlists are ordered key/value arrays. */
export type OtlpValue = null | string | boolean | number | bigint | Uint8Array | OtlpValue[] | OtlpKvList;
export interface OtlpKvList {
  readonly kv: OtlpKeyValue[];
}
export type OtlpKeyValue = readonly [string, OtlpValue];

export interface OtlpScope {
  name: string;
  version: string;
}

export interface OtlpLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: OtlpValue;
  attributes: OtlpKeyValue[];
  flags: number;
  /** Lowercase hex as sent ("" when absent); validated when converted to a record. */
  traceId: string;
  spanId: string;
  eventName: string;
}

export interface OtlpScopeLogs {
  scope: OtlpScope;
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  resource: OtlpKeyValue[];
  scopeLogs: OtlpScopeLogs[];
}

export interface OtlpSpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: OtlpKeyValue[];
}

export interface OtlpSpanLink {
  traceId: string;
  spanId: string;
  attributes: OtlpKeyValue[];
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState: string;
  parentSpanId: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpKeyValue[];
  events: OtlpSpanEvent[];
  links: OtlpSpanLink[];
  statusCode: number;
  statusMessage: string;
}

export interface OtlpScopeSpans {
  scope: OtlpScope;
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource: OtlpKeyValue[];
  scopeSpans: OtlpScopeSpans[];
}

/** A JSON-compatible rendering of a value (bigint as number when safe, else string; bytes as base64). */
export function otlpValueToJson(v: OtlpValue): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (Array.isArray(v)) return v.map(otlpValueToJson);
  const o: Record<string, unknown> = {};
  for (const [k, x] of (v as OtlpKvList).kv) o[k] = otlpValueToJson(x);
  return o;
}

/** The text stored for a value: strings as-is, scalars printed, arrays and kvlists as compact JSON, bytes base64. */
export function otlpValueText(v: OtlpValue): string {
  if (typeof v === "string") return v;
  if (v === null) return "";
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "number") return String(v);
  const j = otlpValueToJson(v);
  return typeof j === "string" ? j : JSON.stringify(j);
}

/** Flattens attributes into a string map (later keys win). */
export function otlpAttributes(kv: readonly OtlpKeyValue[], into: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of kv) into[k] = otlpValueText(v);
  return into;
}

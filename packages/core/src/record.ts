// The log record: OpenTelemetry log data model, flattened, plus tenant and stream labels (DESIGN §2).

import type { Labels } from "./labels.js";

/** One log record as stored and queried. Empty string means absent for the optional text fields. */
export interface LogRecord {
  /** Event time from the source, nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /** Time meshlog received it, nanoseconds. */
  observedTimestamp: bigint;
  /** OTel severity number 1-24; 0 when unknown. */
  severityNumber: number;
  severityText: string;
  /** Body text; structured bodies are kept as JSON text. */
  body: string;
  /** High-cardinality fields (Loki's structured metadata). */
  attributes: Record<string, string>;
  /** Resource attributes (service.name, k8s.*, host.name, mesh.*). */
  resource: Record<string, string>;
  /** 32 lowercase hex chars, or "". */
  traceId: string;
  /** 16 lowercase hex chars, or "". */
  spanId: string;
  tenant: string;
  /** Low-cardinality stream labels; always includes `source`. */
  labels: Labels;
}

/** The receivers (and the agent) that may set the `source` label. */
export const SOURCES = ["loki", "elasticsearch", "otlp", "forward", "syslog", "datadog", "zipkin", "native", "agent", "audit"] as const;
export type SourceName = (typeof SOURCES)[number];

/** Tenant used when none is given. */
export const DEFAULT_TENANT = "default";
/** Reserved tenant holding the audit trail; readable by admin and auditor only. */
export const AUDIT_TENANT = "_audit";

const TENANT_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,63}$/;

/** True when a tenant id is well-formed (safe in file names too). */
export function isValidTenant(tenant: string): boolean {
  return TENANT_NAME.test(tenant) && tenant !== "." && tenant !== "..";
}

/** Normalizes a trace id to 32 lowercase hex chars (64-bit ids are left-padded), or "" when not hex. */
export function normalizeTraceId(id: string | undefined): string {
  if (id === undefined || id === "") return "";
  const hex = id.toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(hex) || /^0+$/.test(hex)) return "";
  return hex.padStart(hex.length <= 16 ? 16 : 32, "0").padStart(32, "0");
}

/** Normalizes a span id to 16 lowercase hex chars, or "". */
export function normalizeSpanId(id: string | undefined): string {
  if (id === undefined || id === "") return "";
  const hex = id.toLowerCase();
  if (!/^[0-9a-f]{1,16}$/.test(hex) || /^0+$/.test(hex)) return "";
  return hex.padStart(16, "0");
}

/** Approximate in-memory/bytes size of a record, used for limits and metrics. */
export function recordSize(r: LogRecord): number {
  let n = r.body.length + 64;
  for (const k in r.attributes) n += k.length + (r.attributes[k]?.length ?? 0);
  for (const k in r.resource) n += k.length + (r.resource[k]?.length ?? 0);
  return n;
}

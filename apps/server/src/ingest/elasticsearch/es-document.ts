// Maps one Elasticsearch document (ECS or free-form JSON) to a record: @timestamp, message, flattened fields.

import { levelOf, normalizeSpanId, normalizeTraceId, parseTimestampNs, severityFromText, type LogRecord } from "@meshlog/core";
import { LabelInterner } from "../otlp/receiver-support.js";

/** Why a document could not be stored, in Elasticsearch's error-object shape (status 400 per item). */
export class DocumentError extends Error {
  readonly type: string;
  constructor(type: string, reason: string) {
    super(reason);
    this.type = type;
  }
}

/** Flattened keys moved from attributes into the record's resource (ECS name -> OTel resource name). */
const RESOURCE_KEYS: Readonly<Record<string, string>> = {
  "service.name": "service.name",
  "service.version": "service.version",
  "service.environment": "deployment.environment.name",
  "host.name": "host.name",
  "host.hostname": "host.name",
  "kubernetes.namespace": "k8s.namespace.name",
  "kubernetes.pod.name": "k8s.pod.name",
  "kubernetes.pod.uid": "k8s.pod.uid",
  "kubernetes.container.name": "k8s.container.name",
  "kubernetes.node.name": "k8s.node.name",
  "container.id": "container.id",
};

const MAX_DEPTH = 20;
const labelSets = new LabelInterner();

/** Flattens nested objects into dotted keys; arrays and over-deep objects become JSON text; nulls are dropped. */
export function flattenDocument(doc: Record<string, unknown>, into: Record<string, string> = {}, prefix = "", depth = 0): Record<string, string> {
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix === "" ? k : `${prefix}.${k}`;
    if (v === null || v === undefined) continue;
    if (typeof v === "string") into[key] = v;
    else if (typeof v === "number" || typeof v === "boolean") into[key] = String(v);
    else if (Array.isArray(v) || depth >= MAX_DEPTH) into[key] = JSON.stringify(v);
    else flattenDocument(v as Record<string, unknown>, into, key, depth + 1);
  }
  return into;
}

function timestampOf(value: unknown, nowNs: bigint): bigint {
  if (value === undefined || value === null || value === "") return nowNs;
  try {
    return parseTimestampNs(value, "@timestamp");
  } catch {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const ms = Date.parse(`${value}T00:00:00Z`);
      if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n;
    }
    throw new DocumentError(
      "document_parsing_exception",
      `failed to parse field [@timestamp] of type [date]: ${JSON.stringify(value).slice(0, 80)} is not an RFC 3339 date or epoch milliseconds`,
    );
  }
}

/**
 * Converts a document of `index` to a record. Labels: source (`elasticsearch` unless another receiver reuses this
 * mapping, e.g. beats), index (when not empty), and service/namespace/level when the document carries them (ECS
 * service.name, kubernetes.namespace, log.level).
 */
export function documentToRecord(
  doc: Record<string, unknown>,
  index: string,
  id: string | undefined,
  tenant: string,
  nowNs: bigint,
  maxLineBytes: number,
  source = "elasticsearch",
): LogRecord {
  const { "@timestamp": ts, message, ...rest } = doc;
  const timestamp = timestampOf(ts, nowNs);
  let body: string;
  if (typeof message === "string") body = message;
  else if (message !== undefined && message !== null) body = JSON.stringify(message);
  else body = JSON.stringify(doc);
  if (Buffer.byteLength(body) > maxLineBytes)
    throw new DocumentError(
      "illegal_argument_exception",
      `the message is ${Buffer.byteLength(body)} bytes, the limit is ${maxLineBytes} (ingest.maxLineBytes)`,
    );
  const attributes = flattenDocument(rest);
  const resource: Record<string, string> = {};
  for (const [from, to] of Object.entries(RESOURCE_KEYS)) {
    const v = attributes[from];
    if (v !== undefined) {
      resource[to] = v;
      delete attributes[from];
    }
  }
  if (id !== undefined) attributes._id = id;
  let traceId = "";
  let spanId = "";
  for (const k of ["trace.id", "trace_id", "traceId"]) {
    const v = attributes[k];
    if (v !== undefined && (traceId = normalizeTraceId(v)) !== "") {
      delete attributes[k];
      break;
    }
  }
  for (const k of ["span.id", "span_id", "spanId"]) {
    const v = attributes[k];
    if (v !== undefined && (spanId = normalizeSpanId(v)) !== "") {
      delete attributes[k];
      break;
    }
  }
  const levelText = attributes["log.level"] ?? attributes.level ?? attributes.severity ?? "";
  const severityNumber = severityFromText(levelText);
  const labels: Record<string, string> = { source };
  if (index !== "") labels.index = index;
  if (resource["service.name"] !== undefined) labels.service = resource["service.name"];
  if (resource["k8s.namespace.name"] !== undefined) labels.namespace = resource["k8s.namespace.name"];
  if (severityNumber > 0) labels.level = levelOf(severityNumber);
  let valid;
  try {
    valid = labelSets.intern(labels);
  } catch (err) {
    throw new DocumentError("illegal_argument_exception", (err as Error).message);
  }
  return {
    timestamp,
    observedTimestamp: nowNs,
    severityNumber,
    severityText: levelText,
    body,
    attributes,
    resource,
    traceId,
    spanId,
    tenant,
    labels: valid,
  };
}

/** Elasticsearch index name rules (lowercase, no \ / * ? " < > | space , #, not starting with - _ +, at most 255 bytes). */
export function indexNameProblem(index: string): string | undefined {
  if (index === "") return "index is missing";
  if (Buffer.byteLength(index) > 255) return "index name is longer than 255 bytes";
  if (index !== index.toLowerCase()) return `Invalid index name [${index}], must be lowercase`;
  if (/[\\/*?"<>| ,#:]/.test(index)) return `Invalid index name [${index}], must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]`;
  if (/^[-_+]/.test(index)) return `Invalid index name [${index}], must not start with '_', '-', or '+'`;
  if (index === "." || index === "..") return `Invalid index name [${index}], must not be '.' or '..'`;
  return undefined;
}

// Maps one Elasticsearch document (ECS or free-form JSON) to a record: @timestamp, message, flattened fields.

import { levelOf, normalizeSpanId, normalizeTraceId, parseRfc3339Ns, parseTimestampNs, severityFromText, type Labels, type LogRecord } from "@meshlog/core";
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

/** RESOURCE_KEYS as parallel arrays, in declaration order (later keys win for the same resource name). */
const RESOURCE_FROM = Object.keys(RESOURCE_KEYS);
const RESOURCE_TO = RESOURCE_FROM.map((k) => RESOURCE_KEYS[k] ?? k);
const RESOURCE_SLOT = new Map(RESOURCE_FROM.map((k, i) => [k, i]));
/**
 * A flattened key and its children, cached: shippers send the same field names in every document, and building
 * (and hashing) "kubernetes.pod.name" once instead of per document is most of the flattening cost. `slot` is the
 * key's RESOURCE_KEYS position, or -1. The cache holds keys of at most MAX_CACHED_KEY_LENGTH characters and is
 * dropped when it holds MAX_KEY_NODES of them (hostile key churn), so it stays a few MiB at most.
 */
interface KeyNode {
  readonly key: string;
  readonly slot: number;
  children: Map<string, KeyNode> | undefined;
}

const MAX_KEY_NODES = 20_000;
const MAX_CACHED_KEY_LENGTH = 256;
let keyNodes = 0;
let rootNode: KeyNode = { key: "", slot: -1, children: undefined };

function childOf(node: KeyNode, k: string): KeyNode {
  let children = node.children;
  if (children === undefined) node.children = children = new Map();
  let c = children.get(k);
  if (c === undefined) {
    const key = node.key === "" ? k : node.key + "." + k;
    c = { key, slot: RESOURCE_SLOT.get(key) ?? -1, children: undefined };
    // Long keys are not field names worth keeping (and would make the cache large): not cached.
    if (key.length > MAX_CACHED_KEY_LENGTH) return c;
    if (++keyNodes > MAX_KEY_NODES) {
      keyNodes = 0;
      rootNode = { key: "", slot: -1, children: undefined };
    } else children.set(k, c);
  }
  return c;
}

/**
 * The flattening walk shared by flattenDocument and documentToRecord, under `node` (the prefix). With `slots`,
 * values of RESOURCE_KEYS go to their slot instead of `into` (the last value of a key wins, as in `into`). Objects
 * are walked with Object.keys (own enumerable keys, the order of Object.entries), so keys such as `__proto__` are
 * plain property assignments, exactly as before.
 */
function flattenInto(
  obj: object,
  into: Record<string, string>,
  node: KeyNode,
  depth: number,
  slots: (string | undefined)[] | undefined,
  skipTop: boolean,
  omitKey?: string,
): void {
  const o = obj as Record<string, unknown>;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (skipTop && (k === "@timestamp" || k === "message" || k === omitKey)) continue;
    const v = o[k];
    if (v === null || v === undefined) continue;
    const child = childOf(node, k);
    let text: string;
    const t = typeof v;
    if (t === "string") text = v as string;
    else if (t === "number" || t === "boolean") text = String(v);
    else if (Array.isArray(v) || depth >= MAX_DEPTH) text = JSON.stringify(v);
    else {
      flattenInto(v as object, into, child, depth + 1, slots, false);
      continue;
    }
    if (slots !== undefined && child.slot >= 0) slots[child.slot] = text;
    else into[child.key] = text;
  }
}

/** Flattens nested objects into dotted keys; arrays and over-deep objects become JSON text; nulls are dropped. */
export function flattenDocument(doc: Record<string, unknown>, into: Record<string, string> = {}, prefix = "", depth = 0): Record<string, string> {
  flattenInto(doc, into, prefix === "" ? rootNode : { key: prefix, slot: -1, children: undefined }, depth, undefined, false);
  return into;
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
/** Start of a UTC second ("2026-01-02T03:04:05") -> ns; shippers send many documents per second. */
const secondStarts = new Map<string, bigint>();

function timestampOf(value: unknown, nowNs: bigint): bigint {
  if (value === undefined || value === null || value === "") return nowNs;
  // Fast path for the common UTC form: the same value parseTimestampNs gives (start of the second + fraction).
  if (typeof value === "string" && value.length <= 30 && RFC3339_UTC.test(value)) {
    const second = value.slice(0, 19);
    let base = secondStarts.get(second);
    if (base === undefined) {
      base = parseRfc3339Ns(`${second}Z`);
      if (base !== undefined) {
        if (secondStarts.size >= 4096) secondStarts.clear();
        secondStarts.set(second, base);
      }
    }
    if (base !== undefined) return value.length === 20 ? base : base + BigInt(value.slice(20, -1).padEnd(9, "0"));
  }
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

/** severityFromText of recent level texts (a handful of distinct values in practice). */
const severities = new Map<string, number>();
function severityOf(text: string): number {
  let n = severities.get(text);
  if (n === undefined) {
    n = severityFromText(text);
    if (severities.size >= 1024) severities.clear();
    severities.set(text, n);
  }
  return n;
}

/** The label set of the previous document: consecutive documents of a request nearly always share it. */
let lastLabels:
  { source: string; index: string; service: string | undefined; namespace: string | undefined; level: string | undefined; labels: Labels } | undefined;

function labelsOf(source: string, index: string, service: string | undefined, namespace: string | undefined, level: string | undefined): Labels {
  const last = lastLabels;
  if (last !== undefined && last.source === source && last.index === index && last.service === service && last.namespace === namespace && last.level === level)
    return last.labels;
  const labels: Record<string, string> = { source };
  if (index !== "") labels.index = index;
  if (service !== undefined) labels.service = service;
  if (namespace !== undefined) labels.namespace = namespace;
  if (level !== undefined) labels.level = level;
  let valid;
  try {
    valid = labelSets.intern(labels);
  } catch (err) {
    throw new DocumentError("illegal_argument_exception", (err as Error).message);
  }
  lastLabels = { source, index, service, namespace, level, labels: valid };
  return valid;
}

/**
 * Converts a document of `index` to a record. Labels: source (`elasticsearch` unless another receiver reuses this
 * mapping, e.g. beats), index (when not empty), and service/namespace/level when the document carries them (ECS
 * service.name, kubernetes.namespace, log.level). `omitKey` names a top-level field that is not part of the document
 * (e.g. Beats' `@metadata`): the record is the one of the document without it, without copying the document.
 */
export function documentToRecord(
  doc: Record<string, unknown>,
  index: string,
  id: string | undefined,
  tenant: string,
  nowNs: bigint,
  maxLineBytes: number,
  source = "elasticsearch",
  omitKey?: string,
): LogRecord {
  const timestamp = timestampOf(doc["@timestamp"], nowNs);
  const message = doc.message;
  let body: string;
  if (typeof message === "string") body = message;
  else if (message !== undefined && message !== null) body = JSON.stringify(message);
  else if (omitKey !== undefined && Object.hasOwn(doc, omitKey)) {
    const { [omitKey]: _omitted, ...rest } = doc;
    body = JSON.stringify(rest);
  } else body = JSON.stringify(doc);
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short bodies need no exact count.
  if (body.length * 3 > maxLineBytes && Buffer.byteLength(body) > maxLineBytes)
    throw new DocumentError(
      "illegal_argument_exception",
      `the message is ${Buffer.byteLength(body)} bytes, the limit is ${maxLineBytes} (ingest.maxLineBytes)`,
    );
  const attributes: Record<string, string> = {};
  const slots: (string | undefined)[] = new Array<string | undefined>(RESOURCE_FROM.length).fill(undefined);
  flattenInto(doc, attributes, rootNode, 0, slots, true, omitKey);
  const resource: Record<string, string> = {};
  for (let i = 0; i < slots.length; i++) {
    const v = slots[i];
    if (v !== undefined) resource[RESOURCE_TO[i] as string] = v;
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
  const severityNumber = severityOf(levelText);
  const labels = labelsOf(source, index, resource["service.name"], resource["k8s.namespace.name"], severityNumber > 0 ? levelOf(severityNumber) : undefined);
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
    labels,
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

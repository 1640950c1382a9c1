// Maps one forward event (tag, time, record map) to a meshlog record.
//
// Field rules (documented for users):
// - body: the first string among `log`, `message`, `msg`; without one, the remaining record as JSON text.
// - severity: `level`, `severity` or `log_level` (text or number) -> severityText/severityNumber.
// - `trace_id`/`traceId` and `span_id`/`spanId` (hex) -> traceId/spanId.
// - `kubernetes` (Fluent Bit / fluentd kubernetes filter shape) -> resource k8s.*, container.*; pod labels
//   -> resource `k8s.pod.label.NAME`.
// - Docker fluentd driver `container_id`/`container_name` -> resource container.id/container.name.
// - everything else -> attributes (strings as is, numbers/booleans as text, maps/arrays as JSON); the tag is
//   attribute `fluent.tag`; Fluent Bit v2 metadata keys become `fluent.metadata.KEY`.
// Labels stay low-cardinality: `source="forward"`, `service` (pod label app.kubernetes.io/name or app, else the
// container name, else the tag's first dot-separated component) and `namespace` (Kubernetes namespace).

import { normalizeSpanId, normalizeTraceId, severityFromText, severityTextOf, validateLabels, MeshlogError, type LogRecord } from "@meshlog/core";
import { ForwardErrors } from "./errors.js";
import type { ForwardEntry } from "./forward-decoder.js";

const BODY_KEYS = ["log", "message", "msg"] as const;
const LEVEL_KEYS = ["level", "severity", "log_level"] as const;
const MAX_LABEL_VALUE = 128;

const jsonReplacer = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "bigint" ? v.toString() : v);

/** Text form of a record value: strings as is, scalars as text, bin as UTF-8, structures as JSON. */
export function valueText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  return JSON.stringify(v, jsonReplacer);
}

function kubernetesResource(k: Record<string, unknown>, resource: Record<string, string>): { app?: string; container?: string; namespace?: string } {
  const map: [string, string][] = [
    ["namespace_name", "k8s.namespace.name"],
    ["pod_name", "k8s.pod.name"],
    ["pod_id", "k8s.pod.uid"],
    ["container_name", "k8s.container.name"],
    ["host", "k8s.node.name"],
    ["container_image", "container.image.name"],
    ["container_image_id", "container.image.id"],
    ["docker_id", "container.id"],
    ["container_hash", "container.image.hash"],
  ];
  for (const [from, to] of map) {
    const t = valueText(k[from]);
    if (t !== undefined && t !== "") resource[to] = t;
  }
  const labels = k.labels;
  let app: string | undefined;
  if (labels !== null && typeof labels === "object" && !Array.isArray(labels)) {
    for (const [name, value] of Object.entries(labels as Record<string, unknown>)) {
      const t = valueText(value);
      if (t !== undefined) resource[`k8s.pod.label.${name}`] = t;
    }
    const l = labels as Record<string, unknown>;
    app = valueText(l["app.kubernetes.io/name"]) ?? valueText(l.app) ?? valueText(l["k8s-app"]);
  }
  const out: { app?: string; container?: string; namespace?: string } = {};
  if (app !== undefined) out.app = app;
  const container = valueText(k.container_name);
  if (container !== undefined) out.container = container;
  const ns = valueText(k.namespace_name);
  if (ns !== undefined) out.namespace = ns;
  return out;
}

/** Converts one entry; throws MeshlogError (FORWARD_ENTRY_INVALID) when the body exceeds maxLineBytes. */
export function forwardEntryToRecord(tag: string, entry: ForwardEntry, tenant: string, observedNs: bigint, maxLineBytes: number): LogRecord {
  const rest: Record<string, unknown> = { ...entry.record };
  let body: string | undefined;
  for (const k of BODY_KEYS) {
    const v = rest[k];
    if (typeof v === "string" || v instanceof Uint8Array) {
      body = valueText(v);
      delete rest[k];
      break;
    }
  }
  let severityText = "";
  let severityNumber = 0;
  for (const k of LEVEL_KEYS) {
    const v = rest[k];
    if (typeof v === "string" || typeof v === "number") {
      severityText = String(v);
      severityNumber = severityFromText(severityText);
      if (severityNumber > 0 && typeof v === "number") severityText = severityTextOf(severityNumber);
      delete rest[k];
      break;
    }
  }
  let traceId = "";
  let spanId = "";
  for (const k of ["trace_id", "traceId"]) {
    const t = normalizeTraceId(typeof rest[k] === "string" ? (rest[k] as string) : undefined);
    if (t !== "") {
      traceId = t;
      delete rest[k];
    }
  }
  for (const k of ["span_id", "spanId"]) {
    const s = normalizeSpanId(typeof rest[k] === "string" ? (rest[k] as string) : undefined);
    if (s !== "") {
      spanId = s;
      delete rest[k];
    }
  }
  const resource: Record<string, string> = {};
  let k8s: { app?: string; container?: string; namespace?: string } = {};
  const kube = rest.kubernetes;
  if (kube !== null && typeof kube === "object" && !Array.isArray(kube) && !(kube instanceof Uint8Array)) {
    k8s = kubernetesResource(kube as Record<string, unknown>, resource);
    delete rest.kubernetes;
  }
  const containerId = valueText(rest.container_id);
  const containerName = valueText(rest.container_name);
  if (typeof rest.container_id === "string" && containerId !== undefined) {
    resource["container.id"] = containerId;
    delete rest.container_id;
  }
  if (typeof rest.container_name === "string" && containerName !== undefined) {
    resource["container.name"] = containerName.replace(/^\//, "");
    delete rest.container_name;
  }
  const attributes: Record<string, string> = {};
  if (body === undefined) {
    body = JSON.stringify(rest, jsonReplacer);
  } else {
    for (const [k, v] of Object.entries(rest)) {
      const t = valueText(v);
      if (t !== undefined) attributes[k] = t;
    }
  }
  if (Buffer.byteLength(body) > maxLineBytes) {
    throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, `event of tag ${JSON.stringify(tag.slice(0, 64))}: body is longer than ingest.maxLineBytes (${maxLineBytes})`);
  }
  attributes["fluent.tag"] = tag;
  if (entry.metadata !== undefined) {
    for (const [k, v] of Object.entries(entry.metadata)) {
      const t = valueText(v);
      if (t !== undefined) attributes[`fluent.metadata.${k}`] = t;
    }
  }
  const service = (k8s.app ?? k8s.container ?? resource["container.name"] ?? tag.split(".")[0] ?? "").slice(0, MAX_LABEL_VALUE);
  if (service !== "") resource["service.name"] ??= service;
  const labels: Record<string, string> = { source: "forward", service };
  if (k8s.namespace !== undefined) labels.namespace = k8s.namespace.slice(0, MAX_LABEL_VALUE);
  return {
    timestamp: entry.time,
    observedTimestamp: observedNs,
    severityNumber,
    severityText,
    body,
    attributes,
    resource,
    traceId,
    spanId,
    tenant,
    labels: validateLabels(labels),
  };
}

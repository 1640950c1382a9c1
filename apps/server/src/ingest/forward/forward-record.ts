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

const MAX_LABEL_VALUE = 128;

const jsonReplacer = (_k: string, v: unknown): unknown =>
  v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "bigint" ? v.toString() : v;

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

const isStringLike = (v: unknown): v is string | Uint8Array => typeof v === "string" || v instanceof Uint8Array;

/** Converts one entry; throws MeshlogError (FORWARD_ENTRY_INVALID) when the body exceeds maxLineBytes. */
export function forwardEntryToRecord(tag: string, entry: ForwardEntry, tenant: string, observedNs: bigint, maxLineBytes: number): LogRecord {
  const record = entry.record;
  // One pass over the record: pick out the well-known fields, keep the rest in order.
  let logV: unknown, messageV: unknown, msgV: unknown, levelV: unknown, severityV: unknown, logLevelV: unknown;
  let traceV: unknown, spanV: unknown, kube: unknown, containerId: unknown, containerName: unknown;
  const rest: [string, unknown][] = [];
  for (const k in record) {
    const v = record[k];
    switch (k) {
      case "log":
        logV = v;
        break;
      case "message":
        messageV = v;
        break;
      case "msg":
        msgV = v;
        break;
      case "level":
        levelV = v;
        break;
      case "severity":
        severityV = v;
        break;
      case "log_level":
        logLevelV = v;
        break;
      case "trace_id":
      case "traceId":
        if (traceV === undefined) traceV = v;
        else rest.push([k, v]);
        break;
      case "span_id":
      case "spanId":
        if (spanV === undefined) spanV = v;
        else rest.push([k, v]);
        break;
      case "kubernetes":
        kube = v;
        break;
      case "container_id":
        containerId = v;
        break;
      case "container_name":
        containerName = v;
        break;
      default:
        rest.push([k, v]);
    }
  }
  let body: string | undefined;
  const bodyCandidates: [string, unknown][] = [
    ["log", logV],
    ["message", messageV],
    ["msg", msgV],
  ];
  for (const [k, v] of bodyCandidates) {
    if (v === undefined) continue;
    if (body === undefined && isStringLike(v)) body = valueText(v);
    else rest.push([k, v]);
  }
  let severityText = "";
  let severityNumber = 0;
  let levelTaken = false;
  for (const [k, v] of [
    ["level", levelV],
    ["severity", severityV],
    ["log_level", logLevelV],
  ] as [string, unknown][]) {
    if (v === undefined) continue;
    if (!levelTaken && (typeof v === "string" || typeof v === "number")) {
      levelTaken = true;
      severityText = String(v);
      severityNumber = severityFromText(severityText);
      if (severityNumber > 0 && typeof v === "number") severityText = severityTextOf(severityNumber);
    } else rest.push([k, v]);
  }
  const traceId = typeof traceV === "string" ? normalizeTraceId(traceV) : "";
  if (traceV !== undefined && traceId === "") rest.push([record.trace_id !== undefined ? "trace_id" : "traceId", traceV]);
  const spanId = typeof spanV === "string" ? normalizeSpanId(spanV) : "";
  if (spanV !== undefined && spanId === "") rest.push([record.span_id !== undefined ? "span_id" : "spanId", spanV]);
  const resource: Record<string, string> = {};
  let k8s: { app?: string; container?: string; namespace?: string } = {};
  if (kube !== null && typeof kube === "object" && !Array.isArray(kube) && !(kube instanceof Uint8Array)) {
    k8s = kubernetesResource(kube as Record<string, unknown>, resource);
  } else if (kube !== undefined) rest.push(["kubernetes", kube]);
  if (typeof containerId === "string") resource["container.id"] = containerId;
  else if (containerId !== undefined) rest.push(["container_id", containerId]);
  if (typeof containerName === "string") resource["container.name"] = containerName.replace(/^\//, "");
  else if (containerName !== undefined) rest.push(["container_name", containerName]);
  const attributes: Record<string, string> = {};
  if (body === undefined) {
    body = JSON.stringify(Object.fromEntries(rest), jsonReplacer);
  } else {
    for (const [k, v] of rest) {
      const t = valueText(v);
      if (t !== undefined) attributes[k] = t;
    }
  }
  if (body.length > maxLineBytes || (body.length * 3 > maxLineBytes && Buffer.byteLength(body) > maxLineBytes)) {
    throw new MeshlogError(
      ForwardErrors.FORWARD_ENTRY_INVALID,
      `event of tag ${JSON.stringify(tag.slice(0, 64))}: body is longer than ingest.maxLineBytes (${maxLineBytes})`,
    );
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

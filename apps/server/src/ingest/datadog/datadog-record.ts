// Maps Datadog intake log objects (Agent, Fluent Bit datadog output, API client) to records.

import { levelOf, MeshlogError, parseTimestampNs, severityFromText, type LogRecord } from "@meshlog/core";
import { LabelInterner } from "../otlp/receiver-support.js";
import { flattenDocument } from "../elasticsearch/es-document.js";
import { DatadogErrors } from "./errors.js";

const labelSets = new LabelInterner();

const invalid = (msg: string): MeshlogError => new MeshlogError(DatadogErrors.DATADOG_PAYLOAD_INVALID, msg);

/** Parses ddtags "env:prod,kube_namespace:x,flag" into name -> value ("" for bare tags); the first colon splits. */
export function parseDdtags(tags: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of tags.split(",")) {
    const t = raw.trim();
    if (t === "") continue;
    const c = t.indexOf(":");
    if (c < 0) out[t] = "";
    else out[t.slice(0, c)] = t.slice(c + 1);
  }
  return out;
}

const TAG_RESOURCE: Readonly<Record<string, string>> = {
  kube_namespace: "k8s.namespace.name",
  pod_name: "k8s.pod.name",
  kube_container_name: "k8s.container.name",
  kube_cluster_name: "k8s.cluster.name",
  kube_node: "k8s.node.name",
  env: "deployment.environment.name",
  version: "service.version",
  container_id: "container.id",
};

/**
 * Converts one log object. Known fields: message, status, service, ddsource, ddtags, hostname, timestamp (epoch ms);
 * every other field is flattened into attributes. Labels: source=datadog, service, namespace (kube_namespace tag), level.
 */
export function datadogToRecord(item: unknown, where: string, tenant: string, nowNs: bigint, maxLineBytes: number): LogRecord {
  if (item === null || typeof item !== "object" || Array.isArray(item)) throw invalid(`${where} must be a JSON object`);
  const { message, status, service, ddsource, ddtags, hostname, timestamp, ...rest } = item as Record<string, unknown>;
  const str = (v: unknown, field: string): string => {
    if (v === undefined || v === null) return "";
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw invalid(`${where}.${field} must be a string`);
  };
  const body = typeof message === "string" ? message : message === undefined || message === null ? "" : JSON.stringify(message);
  if (Buffer.byteLength(body) > maxLineBytes)
    throw invalid(`${where}.message is ${Buffer.byteLength(body)} bytes, the limit is ${maxLineBytes} (ingest.maxLineBytes)`);
  let ts = nowNs;
  if (timestamp !== undefined && timestamp !== null && timestamp !== "") {
    try {
      ts = parseTimestampNs(timestamp, `${where}.timestamp`);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  const statusText = str(status, "status");
  const serviceName = str(service, "service");
  const host = str(hostname, "hostname");
  const source = str(ddsource, "ddsource");
  const tags = parseDdtags(str(ddtags, "ddtags"));
  const attributes = flattenDocument(rest);
  const resource: Record<string, string> = {};
  if (serviceName !== "") resource["service.name"] = serviceName;
  if (host !== "") resource["host.name"] = host;
  for (const [tag, value] of Object.entries(tags)) {
    const r = TAG_RESOURCE[tag];
    if (r !== undefined && value !== "") resource[r] = value;
    else attributes[tag] = value;
  }
  if (source !== "") attributes.ddsource = source;
  const severityNumber = severityFromText(statusText);
  const labels: Record<string, string> = { source: "datadog" };
  if (serviceName !== "") labels.service = serviceName;
  const ns = resource["k8s.namespace.name"];
  if (ns !== undefined) labels.namespace = ns;
  if (severityNumber > 0) labels.level = levelOf(severityNumber);
  let valid;
  try {
    valid = labelSets.intern(labels);
  } catch (err) {
    throw invalid(`${where}: ${(err as Error).message}`);
  }
  return {
    timestamp: ts,
    observedTimestamp: nowNs,
    severityNumber,
    severityText: statusText,
    body,
    attributes,
    resource,
    traceId: "",
    spanId: "",
    tenant,
    labels: valid,
  };
}

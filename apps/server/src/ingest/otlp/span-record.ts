// Turns a trace span (from OTLP or Zipkin) into a log record linked by trace id and span id.

import type { LogRecord } from "@meshlog/core";
import { LabelInterner } from "./receiver-support.js";

const labelSets = new LabelInterner();

/** A span, already decoded and validated, in receiver-neutral form. */
export interface SpanInput {
  readonly source: "otlp" | "zipkin";
  readonly tenant: string;
  /** 32 lowercase hex chars. */
  readonly traceId: string;
  /** 16 lowercase hex chars. */
  readonly spanId: string;
  /** 16 lowercase hex chars or "". */
  readonly parentSpanId: string;
  readonly name: string;
  /** Lowercase span kind: internal, server, client, producer, consumer or unspecified. */
  readonly kind: string;
  readonly startNs: bigint;
  readonly durationNs: bigint;
  readonly statusCode: "unset" | "ok" | "error";
  readonly statusMessage: string;
  /** Span attributes/tags plus receiver-specific extras (scope, endpoints, events as JSON). */
  readonly attributes: Record<string, string>;
  readonly resource: Record<string, string>;
  readonly observedNs: bigint;
}

/**
 * The record for a span: body = span name, timestamp = start time, attributes carry `span.kind`,
 * `span.status_code`, `span.duration_ns`, `span.parent_id`; labels are {source, service?, namespace?, kind="span"}.
 * Error spans get severity ERROR, others INFO, so `{kind="span"} | span_status_code="error"` and level filters both work.
 */
export function spanToRecord(s: SpanInput): LogRecord {
  const attributes: Record<string, string> = {
    ...s.attributes,
    "span.kind": s.kind,
    "span.status_code": s.statusCode,
    "span.duration_ns": s.durationNs.toString(),
  };
  if (s.parentSpanId !== "") attributes["span.parent_id"] = s.parentSpanId;
  if (s.statusMessage !== "") attributes["span.status_message"] = s.statusMessage;
  const labels: Record<string, string> = { source: s.source, kind: "span" };
  const service = s.resource["service.name"];
  if (service !== undefined && service !== "") labels.service = service;
  const ns = s.resource["k8s.namespace.name"];
  if (ns !== undefined && ns !== "") labels.namespace = ns;
  const isError = s.statusCode === "error";
  return {
    timestamp: s.startNs,
    observedTimestamp: s.observedNs,
    severityNumber: isError ? 17 : 9,
    severityText: isError ? "ERROR" : "INFO",
    body: s.name,
    attributes,
    resource: s.resource,
    traceId: s.traceId,
    spanId: s.spanId,
    tenant: s.tenant,
    labels: labelSets.intern(labels),
  };
}

// Anomalies as log records: what the detector job writes into the affected tenant and what the API reads back.

import type { AnomalyView } from "@meshlog/api";
import { formatLabels, formatRfc3339Ns, type Labels, type LogRecord } from "@meshlog/core";
import { DETECTOR_OF, type Finding } from "./detectors.js";
import { ANOMALY_LABELS } from "./window-scan.js";

/** A detected anomaly with what it is about. */
export interface Anomaly extends Finding {
  readonly tenant: string;
  /** Labels of the affected stream, or the namespace/service/upstream of a mesh group ({} when none). */
  readonly labels: Labels;
  /** The interval judged, ns. */
  readonly windowStartNs: bigint;
  readonly windowEndNs: bigint;
}

export type { AnomalyView };

/**
 * The record of an anomaly: stream labels {source="meshlog", kind="anomaly", detector}, severity WARN (13) or
 * ERROR (17), the affected stream's service and namespace as attributes, and a JSON body with every detail.
 */
export function anomalyRecord(a: Anomaly, nowNs: bigint): LogRecord {
  const detector = DETECTOR_OF[a.kind];
  const attributes: Record<string, string> = { "anomaly.kind": a.kind, "anomaly.score": String(a.score), "anomaly.stream": formatLabels(a.labels) };
  if (a.labels.service !== undefined) attributes.service = a.labels.service;
  if (a.labels.namespace !== undefined) attributes.namespace = a.labels.namespace;
  if (a.labels.upstream !== undefined) attributes.upstream = a.labels.upstream;
  const body = {
    kind: a.kind,
    detector,
    labels: a.labels,
    score: a.score,
    baseline: a.baseline,
    observed: a.observed,
    message: a.message,
    windowStart: formatRfc3339Ns(a.windowStartNs),
    windowEnd: formatRfc3339Ns(a.windowEndNs),
    ...(a.details !== undefined ? { details: a.details } : {}),
  };
  return {
    timestamp: nowNs,
    observedTimestamp: nowNs,
    severityNumber: a.severity === "error" ? 17 : 13,
    severityText: a.severity === "error" ? "ERROR" : "WARN",
    body: JSON.stringify(body),
    attributes,
    resource: { "service.name": "meshlog" },
    traceId: "",
    spanId: "",
    tenant: a.tenant,
    labels: { ...ANOMALY_LABELS, detector },
  };
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === "string");

/** Reads an anomaly record back; undefined when the record is not one (a line someone else sent with those labels). */
export function anomalyViewOf(r: LogRecord): AnomalyView | undefined {
  let b: unknown;
  try {
    b = JSON.parse(r.body);
  } catch {
    return undefined;
  }
  if (b === null || typeof b !== "object") return undefined;
  const o = b as Record<string, unknown>;
  const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  const text = (x: unknown): string => (typeof x === "string" ? x : "");
  if (typeof o.kind !== "string" || typeof o.detector !== "string" || !isStringMap(o.labels)) return undefined;
  const view: AnomalyView = {
    time: formatRfc3339Ns(r.timestamp),
    timeNs: r.timestamp.toString(),
    kind: o.kind,
    detector: o.detector,
    severity: r.severityNumber >= 17 ? "error" : "warn",
    labels: o.labels,
    score: num(o.score),
    baseline: num(o.baseline),
    observed: num(o.observed),
    message: text(o.message),
    windowStart: text(o.windowStart),
    windowEnd: text(o.windowEnd),
  };
  if (o.details !== null && typeof o.details === "object" && !Array.isArray(o.details)) {
    const d: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(o.details as Record<string, unknown>)) if (typeof v === "string" || typeof v === "number") d[k] = v;
    view.details = d;
  }
  return view;
}

// Field references: names for the parts of a record that label rules, drop and sample conditions read.

import { levelOf, MeshlogError, type LogRecord } from "@meshlog/core";
import { PipelineErrors } from "./errors.js";

/** Reads one value of a record; undefined when absent (empty strings count as absent). */
export type FieldGetter = (r: LogRecord) => string | undefined;

// Own string values only: a key like `constructor` must not read what Object.prototype inherits.
const nonEmpty = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Compiles a field reference. Accepted forms:
 * `body`, `severity` (severity text), `severityNumber`, `level` (trace|debug|info|warn|error|fatal),
 * `traceId`, `spanId`, `tenant`, `source` (the source label), `labels.NAME`, `attributes.KEY`,
 * `resource.KEY` (KEY may contain dots: `resource.service.name` reads resource["service.name"]).
 */
export function compileFieldRef(ref: string): FieldGetter {
  switch (ref) {
    case "body":
      return (r) => nonEmpty(r.body);
    case "severity":
    case "severityText":
      return (r) => nonEmpty(r.severityText);
    case "severityNumber":
      return (r) => (r.severityNumber > 0 ? String(r.severityNumber) : undefined);
    case "level":
      return (r) => {
        const l = levelOf(r.severityNumber);
        return l === "unknown" ? undefined : l;
      };
    case "traceId":
      return (r) => nonEmpty(r.traceId);
    case "spanId":
      return (r) => nonEmpty(r.spanId);
    case "tenant":
      return (r) => nonEmpty(r.tenant);
    case "source":
      return (r) => nonEmpty(r.labels.source);
  }
  const dot = ref.indexOf(".");
  const head = dot < 0 ? ref : ref.slice(0, dot);
  const key = dot < 0 ? "" : ref.slice(dot + 1);
  if (key !== "") {
    if (head === "labels") return (r) => (Object.hasOwn(r.labels, key) ? nonEmpty(r.labels[key]) : undefined);
    if (head === "attributes") return (r) => (Object.hasOwn(r.attributes, key) ? nonEmpty(r.attributes[key]) : undefined);
    if (head === "resource") return (r) => (Object.hasOwn(r.resource, key) ? nonEmpty(r.resource[key]) : undefined);
  }
  throw new MeshlogError(
    PipelineErrors.PIPELINE_FIELD_INVALID,
    `field "${ref}" is not a record field: use body, severity, severityNumber, level, traceId, spanId, tenant, source, labels.NAME, attributes.KEY or resource.KEY`,
  );
}

// Turns what a receiver or the agent knows about one line into a LogRecord: parse, severity, ids, labels.

import { normalizeSpanId, normalizeTraceId, nowNs, severityFromText, severityTextOf, type Clock, type LogRecord } from "@meshlog/core";
import type { BodyFormat, ParsedBody } from "./codecs/body-format.js";
import { parseBody, type ParseBodyOptions } from "./codecs/parse-body.js";
import { LabelRules } from "./labels/label-rules.js";

/** What a receiver knows about one record before normalization. */
export interface RawRecord {
  tenant: string;
  /** The receiver (`loki`, `syslog`, `agent`, ...): the `source` label unless `labels.source` is set. */
  source: string;
  body: string;
  /** Event time in ns; when absent, the parsed body's time, else the observed time. */
  timestamp?: bigint;
  /** Ingest time in ns; defaults to the clock's now. */
  observedTimestamp?: bigint;
  labels?: Record<string, string>;
  attributes?: Record<string, string>;
  resource?: Record<string, string>;
  /** Severity as the sender gave it: a level name (`warn`), a number string, or an OTel number 1-24. */
  severity?: string | number;
  traceId?: string;
  spanId?: string;
}

/** How to normalize. */
export interface NormalizeOptions {
  /** Body parsing: `none` (default), `auto` (detect), or a fixed format. */
  parse?: "none" | "auto" | BodyFormat;
  parseOptions?: ParseBodyOptions;
  /**
   * A body the caller already parsed (e.g. `syslogToParsedBody(parseSyslog(text))`, to reject malformed
   * input with parseSyslog's precise error); used instead of `parse`. Its `fields` object becomes the
   * record's attributes (it is not copied).
   */
  parsed?: ParsedBody;
  /** When an envelope (CRI, Docker, syslog) was unwrapped, store its message as the body; default true. */
  unwrapBody?: boolean;
  /** Label rules; default: the default rules (service, namespace, source, level). */
  labelRules?: LabelRules;
  clock?: Clock;
}

let defaultRules: LabelRules | undefined;

/** The shared LabelRules instance with the default configuration. */
export function defaultLabelRules(): LabelRules {
  defaultRules ??= new LabelRules();
  return defaultRules;
}

/**
 * Builds a record. Precedence: values the sender gave explicitly win over values parsed from the body;
 * parsed fields never overwrite sender attributes. Trace/span ids are normalized (invalid ones are kept as
 * the `trace_id`/`span_id` attributes instead). `syslog.hostname` fills resource `host.name` when unset.
 * Labels come from the label rules and are validated; throws the core label errors (MeshlogError) when the
 * resulting labels break the limits.
 */
export function normalizeRecord(input: RawRecord, opts: NormalizeOptions = {}): LogRecord {
  const observed = input.observedTimestamp ?? (opts.clock === undefined ? nowNs() : opts.clock.nowNs());
  const mode = opts.parse ?? "none";
  const parsed: ParsedBody | undefined = opts.parsed ?? (mode === "none" ? undefined : parseBody(input.body, mode, opts.parseOptions));
  // Parsed fields are fresh: they become the attributes (no copy); sender attributes are laid over them.
  let attributes: Record<string, string>;
  if (parsed === undefined) attributes = { ...input.attributes };
  else {
    attributes = parsed.fields;
    if (input.attributes !== undefined) for (const k in input.attributes) attributes[k] = input.attributes[k] as string;
  }
  const resource: Record<string, string> = { ...input.resource };
  let body = input.body;
  if (parsed?.message !== undefined && opts.unwrapBody !== false) body = parsed.message;
  if (parsed !== undefined && resource["host.name"] === undefined && parsed.fields["syslog.hostname"] !== undefined) {
    resource["host.name"] = parsed.fields["syslog.hostname"];
  }

  let severityNumber = 0;
  let severityText = "";
  const sev = input.severity;
  if (typeof sev === "number") {
    if (Number.isInteger(sev) && sev >= 1 && sev <= 24) severityNumber = sev;
  } else if (sev !== undefined && sev !== "") {
    severityText = sev;
    severityNumber = severityFromText(sev);
  }
  if (severityNumber === 0 && severityText === "" && parsed?.severityNumber !== undefined) {
    severityNumber = parsed.severityNumber;
    severityText = parsed.severityText ?? "";
  }
  if (severityText === "" && severityNumber > 0) severityText = severityTextOf(severityNumber);

  const traceId = idOrAttribute(input.traceId, parsed?.traceId, normalizeTraceId, "trace_id", attributes);
  const spanId = idOrAttribute(input.spanId, parsed?.spanId, normalizeSpanId, "span_id", attributes);
  const labels: Record<string, string> = { ...input.labels };
  if (labels.source === undefined || labels.source === "") labels.source = input.source;

  const record: LogRecord = {
    timestamp: input.timestamp ?? parsed?.timestamp ?? observed,
    observedTimestamp: observed,
    severityNumber,
    severityText,
    body,
    attributes,
    resource,
    traceId,
    spanId,
    tenant: input.tenant,
    labels,
  };
  record.labels = (opts.labelRules ?? defaultLabelRules()).labelsFor(record);
  return record;
}

function idOrAttribute(
  given: string | undefined,
  parsed: string | undefined,
  norm: (s: string) => string,
  attr: string,
  attributes: Record<string, string>,
): string {
  if (given !== undefined && given !== "") {
    const id = norm(given);
    if (id === "") attributes[attr] ??= given;
    return id;
  }
  return parsed ?? "";
}

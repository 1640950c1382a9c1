// Well-known keys of structured (JSON, logfmt) lines: level, time, trace and span ids.

import { normalizeSpanId, normalizeTraceId, parseTimestampNs, severityFromText, severityTextOf } from "@meshlog/core";
import type { ParsedBody } from "./body-format.js";
import { withHttpSeverity } from "./access-log-fields.js";
import { parseRfc3339Fast } from "./fast-time.js";

const LEVEL_KEYS = ["level", "lvl", "severity", "loglevel", "log.level", "levelname", "severity_text", "level_name", "@l"];
const TIME_KEYS = ["time", "ts", "timestamp", "@timestamp", "datetime", "@t", "date"];
const TRACE_KEYS = ["trace_id", "traceId", "traceid", "trace.id", "TraceId", "traceID"];
const SPAN_KEYS = ["span_id", "spanId", "spanid", "span.id", "SpanId", "spanID"];
// Spellings some loggers use that the core table lacks (go-kit/logrus four-letter forms, Python, Java).
const EXTRA_LEVELS: Record<string, string> = {
  eror: "error",
  fatl: "fatal",
  dbug: "debug",
  trce: "trace",
  warng: "warn",
  severe: "error",
  config: "debug",
  fine: "debug",
};
const STATUS_KEYS = ["status", "status_code", "http.status_code", "response_code", "statusCode"];

function first(fields: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = fields[k];
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

/**
 * Fills severity, timestamp, trace and span ids of `p` from its fields. Severity comes from a level key;
 * failing that, from an HTTP status key (5xx error, 4xx warn, else info). A timestamp that does not parse
 * is ignored (the field stays as an attribute).
 */
export function applyWellKnownFields(p: ParsedBody): ParsedBody {
  const f = p.fields;
  const level = first(f, LEVEL_KEYS);
  if (level !== undefined) {
    const sev = severityFromText(EXTRA_LEVELS[level.toLowerCase()] ?? level);
    if (sev > 0) {
      p.severityNumber = sev;
      p.severityText = level.length <= 16 ? level : severityTextOf(sev);
    }
  }
  const time = first(f, TIME_KEYS);
  if (time !== undefined) {
    try {
      p.timestamp = parseRfc3339Fast(time) ?? parseTimestampNs(time, "time");
    } catch {
      // not a timestamp we understand: keep it as a field only
    }
  }
  const traceId = normalizeTraceId(first(f, TRACE_KEYS));
  if (traceId !== "") p.traceId = traceId;
  const spanId = normalizeSpanId(first(f, SPAN_KEYS));
  if (spanId !== "") p.spanId = spanId;
  if (p.severityNumber === undefined) {
    const status = first(f, STATUS_KEYS);
    if (status !== undefined && /^[1-5]\d\d$/.test(status)) {
      f["http.status_code"] ??= status;
      withHttpSeverity(p);
    }
  }
  return p;
}

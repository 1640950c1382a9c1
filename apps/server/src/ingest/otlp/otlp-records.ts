// Maps decoded OTLP logs and spans to records; invalid items are counted for partial_success, never stored.

import { levelOf, severityFromText, severityTextOf, type LogRecord } from "@meshlog/core";
import { LabelInterner } from "./receiver-support.js";
import { otlpAttributes, otlpValueText, type OtlpResourceLogs, type OtlpResourceSpans, type OtlpScope } from "./otlp-model.js";
import { spanToRecord } from "./span-record.js";

/** Records built from one export request, plus how many items were rejected and why (first reason). */
export interface OtlpConversion {
  readonly records: LogRecord[];
  readonly rejected: number;
  readonly firstError: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = "0".repeat(32);
const ZERO16 = "0".repeat(16);
const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const STATUS = ["unset", "ok", "error"] as const;
const labelSets = new LabelInterner();

function scopeAttributes(scope: OtlpScope, into: Record<string, string>): void {
  if (scope.name !== "") into["otel.scope.name"] = scope.name;
  if (scope.version !== "") into["otel.scope.version"] = scope.version;
}

function streamLabels(resource: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = { source: "otlp", ...extra };
  const service = resource["service.name"];
  if (service !== undefined && service !== "") labels.service = service;
  const ns = resource["k8s.namespace.name"];
  if (ns !== undefined && ns !== "") labels.namespace = ns;
  return labels;
}

/** An id is valid when absent ("" or all zeros) or exactly the right number of hex chars. Returns the stored form or undefined. */
function checkId(id: string, re: RegExp, zero: string): string | undefined {
  if (id === "" || id === zero) return "";
  return re.test(id) ? id : undefined;
}

export function logsToRecords(req: readonly OtlpResourceLogs[], tenant: string, nowNs: bigint, maxLineBytes: number): OtlpConversion {
  const records: LogRecord[] = [];
  let rejected = 0;
  let firstError = "";
  const reject = (where: string, why: string) => {
    rejected++;
    if (firstError === "") firstError = `${where}: ${why}`;
  };
  req.forEach((rl, i) => {
    const resource = otlpAttributes(rl.resource);
    rl.scopeLogs.forEach((sl, j) => {
      sl.logRecords.forEach((lr, k) => {
        const where = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`;
        const traceId = checkId(lr.traceId, HEX32, ZERO32);
        if (traceId === undefined) return reject(where, `traceId ${JSON.stringify(lr.traceId.slice(0, 40))} is not 32 hex characters`);
        const spanId = checkId(lr.spanId, HEX16, ZERO16);
        if (spanId === undefined) return reject(where, `spanId ${JSON.stringify(lr.spanId.slice(0, 40))} is not 16 hex characters`);
        if (lr.severityNumber < 0 || lr.severityNumber > 24) return reject(where, `severityNumber ${lr.severityNumber} is outside 0..24`);
        const body = otlpValueText(lr.body);
        if (Buffer.byteLength(body) > maxLineBytes) return reject(where, `body is longer than ${maxLineBytes} bytes (ingest.maxLineBytes)`);
        const attributes = otlpAttributes(lr.attributes);
        scopeAttributes(sl.scope, attributes);
        if (lr.eventName !== "") attributes["event.name"] = lr.eventName;
        const severityNumber = lr.severityNumber !== 0 ? lr.severityNumber : severityFromText(lr.severityText);
        const timestamp = lr.timeUnixNano !== 0n ? lr.timeUnixNano : lr.observedTimeUnixNano !== 0n ? lr.observedTimeUnixNano : nowNs;
        const extra: Record<string, string> = {};
        if (severityNumber > 0) extra.level = levelOf(severityNumber);
        let labels;
        try {
          labels = labelSets.intern(streamLabels(resource, extra));
        } catch (err) {
          return reject(where, (err as Error).message);
        }
        records.push({
          timestamp,
          observedTimestamp: lr.observedTimeUnixNano !== 0n ? lr.observedTimeUnixNano : nowNs,
          severityNumber,
          severityText: lr.severityText !== "" ? lr.severityText : severityTextOf(severityNumber),
          body,
          attributes,
          resource,
          traceId,
          spanId,
          tenant,
          labels,
        });
      });
    });
  });
  return { records, rejected, firstError };
}

export function spansToRecords(req: readonly OtlpResourceSpans[], tenant: string, nowNs: bigint): OtlpConversion {
  const records: LogRecord[] = [];
  let rejected = 0;
  let firstError = "";
  const reject = (where: string, why: string) => {
    rejected++;
    if (firstError === "") firstError = `${where}: ${why}`;
  };
  req.forEach((rs, i) => {
    const resource = otlpAttributes(rs.resource);
    rs.scopeSpans.forEach((ss, j) => {
      ss.spans.forEach((s, k) => {
        const where = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        if (!HEX32.test(s.traceId) || s.traceId === ZERO32)
          return reject(where, `traceId ${JSON.stringify(s.traceId.slice(0, 40))} must be 32 hex characters, not all zero`);
        if (!HEX16.test(s.spanId) || s.spanId === ZERO16)
          return reject(where, `spanId ${JSON.stringify(s.spanId.slice(0, 40))} must be 16 hex characters, not all zero`);
        const parent = checkId(s.parentSpanId, HEX16, ZERO16);
        if (parent === undefined) return reject(where, `parentSpanId ${JSON.stringify(s.parentSpanId.slice(0, 40))} is not 16 hex characters`);
        if (s.endTimeUnixNano !== 0n && s.endTimeUnixNano < s.startTimeUnixNano) return reject(where, "endTimeUnixNano is before startTimeUnixNano");
        const attributes = otlpAttributes(s.attributes);
        scopeAttributes(ss.scope, attributes);
        if (s.traceState !== "") attributes["span.trace_state"] = s.traceState;
        if (s.events.length > 0) {
          attributes["span.events"] = JSON.stringify(
            s.events.map((e) => ({ timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: otlpAttributes(e.attributes) })),
          );
        }
        if (s.links.length > 0)
          attributes["span.links"] = JSON.stringify(s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: otlpAttributes(l.attributes) })));
        try {
          records.push(
            spanToRecord({
              source: "otlp",
              tenant,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: parent,
              name: s.name,
              kind: SPAN_KINDS[s.kind] ?? "unspecified",
              startNs: s.startTimeUnixNano !== 0n ? s.startTimeUnixNano : nowNs,
              durationNs: s.endTimeUnixNano !== 0n ? s.endTimeUnixNano - s.startTimeUnixNano : 0n,
              statusCode: STATUS[s.statusCode] ?? "unset",
              statusMessage: s.statusMessage,
              attributes,
              resource,
              observedNs: nowNs,
            }),
          );
        } catch (err) {
          reject(where, (err as Error).message);
        }
      });
    });
  });
  return { records, rejected, firstError };
}

// Decodes an OTLP/HTTP JSON logs request (ExportLogsServiceRequest) into LogRecords.

import { normalizeSpanId, normalizeTraceId, severityTextOf, type LogRecord } from "@meshlog/core";

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** AnyValue to text: strings as they are, everything else as JSON of its plain value. */
export function anyValueText(v: unknown): string {
  if (!isObj(v)) return "";
  if (typeof v.stringValue === "string") return v.stringValue;
  const plain = anyValuePlain(v);
  return typeof plain === "string" ? plain : JSON.stringify(plain);
}

function anyValuePlain(v: unknown, depth = 0): unknown {
  if (!isObj(v) || depth > 32) return null;
  if ("stringValue" in v) return String(v.stringValue);
  if ("boolValue" in v) return Boolean(v.boolValue);
  if ("intValue" in v) return String(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("bytesValue" in v) return String(v.bytesValue);
  if (isObj(v.arrayValue)) return Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map((x) => anyValuePlain(x, depth + 1)) : [];
  if (isObj(v.kvlistValue)) {
    const o: Json = {};
    if (Array.isArray(v.kvlistValue.values))
      for (const kv of v.kvlistValue.values) if (isObj(kv) && typeof kv.key === "string") o[kv.key] = anyValuePlain(kv.value, depth + 1);
    return o;
  }
  return null;
}

/** KeyValue list to a flat string map. */
export function attributesOf(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) if (isObj(kv) && typeof kv.key === "string") out[kv.key] = anyValueText(kv.value);
  return out;
}

function nanos(v: unknown): bigint | undefined {
  if (typeof v === "string" && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return undefined;
}

/** Throws an Error naming the JSON path when the shape is wrong; unknown fields are ignored (OTLP rule). */
export function decodeOtlpLogsJson(body: unknown, nowNs: bigint): LogRecord[] {
  if (!isObj(body)) throw new Error("body is not a JSON object");
  const out: LogRecord[] = [];
  const rls = body.resourceLogs ?? [];
  if (!Array.isArray(rls)) throw new Error("resourceLogs is not an array");
  rls.forEach((rl, i) => {
    if (!isObj(rl)) throw new Error(`resourceLogs[${i}] is not an object`);
    const resource = attributesOf(isObj(rl.resource) ? rl.resource.attributes : undefined);
    const sls = rl.scopeLogs ?? [];
    if (!Array.isArray(sls)) throw new Error(`resourceLogs[${i}].scopeLogs is not an array`);
    sls.forEach((sl, j) => {
      if (!isObj(sl)) throw new Error(`resourceLogs[${i}].scopeLogs[${j}] is not an object`);
      const lrs = sl.logRecords ?? [];
      if (!Array.isArray(lrs)) throw new Error(`resourceLogs[${i}].scopeLogs[${j}].logRecords is not an array`);
      const scope = isObj(sl.scope) && typeof sl.scope.name === "string" && sl.scope.name !== "" ? { "otel.scope.name": sl.scope.name } : {};
      for (const lr of lrs) {
        if (!isObj(lr)) continue;
        const observed = nanos(lr.observedTimeUnixNano) ?? nowNs;
        const t = nanos(lr.timeUnixNano);
        const sev =
          typeof lr.severityNumber === "number" && Number.isInteger(lr.severityNumber) && lr.severityNumber >= 1 && lr.severityNumber <= 24
            ? lr.severityNumber
            : 0;
        const sevText = typeof lr.severityText === "string" && lr.severityText !== "" ? lr.severityText : sev > 0 ? severityTextOf(sev) : "";
        out.push({
          timestamp: t !== undefined && t > 0n ? t : observed,
          observedTimestamp: nowNs,
          severityNumber: sev,
          severityText: sevText,
          body: anyValueText(lr.body),
          attributes: { ...scope, ...attributesOf(lr.attributes) },
          resource: { ...resource },
          traceId: normalizeTraceId(typeof lr.traceId === "string" ? lr.traceId : undefined),
          spanId: normalizeSpanId(typeof lr.spanId === "string" ? lr.spanId : undefined),
          tenant: "",
          labels: {},
        });
      }
    });
  });
  return out;
}

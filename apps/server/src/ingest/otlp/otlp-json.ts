// Decoders for the OTLP/HTTP JSON encoding (hex trace/span ids, integer enums, int64 as string or number).

import { MeshlogError } from "@meshlog/core";
import { OtlpErrors } from "./errors.js";
import type { OtlpKeyValue, OtlpLogRecord, OtlpResourceLogs, OtlpResourceSpans, OtlpScope, OtlpSpan, OtlpValue } from "./otlp-model.js";

const MAX_VALUE_DEPTH = 32;

type Obj = Record<string, unknown>;

const bad = (path: string, msg: string): MeshlogError => new MeshlogError(OtlpErrors.OTLP_PAYLOAD_INVALID, `${path}: ${msg}`);
/** Joins a path and a field only when an error message needs it (paths are not built on the hot path). */
const at = (path: string, field: string): string => (field === "" ? path : `${path}.${field}`);

function obj(v: unknown, path: string, field = ""): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw bad(at(path, field), "must be an object");
  return v as Obj;
}

function arr(v: unknown, path: string, field = ""): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(at(path, field), "must be an array");
  return v;
}

function str(v: unknown, path: string, field = ""): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw bad(at(path, field), "must be a string");
  return v;
}

function int(v: unknown, path: string, field = ""): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d{1,10}$/.test(v)) return Number(v);
  throw bad(at(path, field), "must be an integer (enums are integers in OTLP JSON)");
}

/** int64/uint64 given as a decimal string or a JSON number. */
function int64(v: unknown, path: string, field = ""): bigint {
  if (v === undefined || v === null || v === "") return 0n;
  if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isFinite(v) && Number.isInteger(v)) return BigInt(v);
  throw bad(at(path, field), `${JSON.stringify(v)?.slice(0, 40)} is not an integer`);
}

function unixNano(v: unknown, path: string, field = ""): bigint {
  const n = int64(v, path, field);
  if (n < 0n || n > 0xffffffffffffffffn) throw bad(at(path, field), "is outside the uint64 range");
  return n;
}

/** Hex ids are case-insensitive; returns lowercase hex, or the raw text when it is not hex (validated later). */
function hexId(v: unknown, path: string, field = ""): string {
  return str(v, path, field).toLowerCase();
}

function keyValues(v: unknown, path: string, field: string, depth: number): OtlpKeyValue[] {
  const a = arr(v, path, field);
  const out: OtlpKeyValue[] = new Array<OtlpKeyValue>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === null || typeof x !== "object" || Array.isArray(x)) throw bad(`${at(path, field)}[${i}]`, "must be an object");
    const o = x as Obj;
    const key = typeof o.key === "string" ? o.key : str(o.key, `${at(path, field)}[${i}]`, "key");
    const value = o.value as Obj | undefined;
    // Fast path for the common string attribute.
    out[i] =
      value !== undefined && value !== null && typeof value.stringValue === "string"
        ? [key, value.stringValue]
        : [key, anyValue(o.value, `${at(path, field)}[${i}].value`, depth + 1)];
  }
  return out;
}

function anyValue(v: unknown, path: string, depth: number): OtlpValue {
  if (depth > MAX_VALUE_DEPTH) throw bad(path, `AnyValue nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const o = obj(v, path);
  if ("stringValue" in o) return str(o.stringValue, path, "stringValue");
  if ("boolValue" in o) {
    if (typeof o.boolValue !== "boolean") throw bad(`${path}.boolValue`, "must be true or false");
    return o.boolValue;
  }
  if ("intValue" in o) return int64(o.intValue, `${path}.intValue`);
  if ("doubleValue" in o) {
    const d = o.doubleValue;
    if (typeof d === "number") return d;
    if (typeof d === "string" && (d === "NaN" || d === "Infinity" || d === "-Infinity" || !Number.isNaN(Number(d)))) return Number(d);
    throw bad(`${path}.doubleValue`, "must be a number");
  }
  if ("arrayValue" in o)
    return arr(obj(o.arrayValue, path, "arrayValue").values, `${path}.arrayValue.values`).map((x, i) =>
      anyValue(x, `${path}.arrayValue.values[${i}]`, depth + 1),
    );
  if ("kvlistValue" in o) return { kv: keyValues(obj(o.kvlistValue, path, "kvlistValue").values, path, "kvlistValue.values", depth) };
  if ("bytesValue" in o) {
    const b = str(o.bytesValue, path, "bytesValue");
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) throw bad(`${path}.bytesValue`, "must be base64");
    return new Uint8Array(Buffer.from(b, "base64"));
  }
  return null;
}

function scope(v: unknown, path: string): OtlpScope {
  const o = obj(v, path);
  return { name: str(o.name, path, "name"), version: str(o.version, path, "version") };
}

function logRecord(v: unknown, parent: string, index: number): OtlpLogRecord {
  const path = `${parent}.logRecords[${index}]`;
  const o = obj(v, path);
  return {
    timeUnixNano: unixNano(o.timeUnixNano, path, "timeUnixNano"),
    observedTimeUnixNano: unixNano(o.observedTimeUnixNano, path, "observedTimeUnixNano"),
    severityNumber: int(o.severityNumber, path, "severityNumber"),
    severityText: str(o.severityText, path, "severityText"),
    body: o.body === undefined || o.body === null ? null : anyValue(o.body, `${path}.body`, 0),
    attributes: keyValues(o.attributes, path, "attributes", 0),
    flags: int(o.flags, path, "flags"),
    traceId: hexId(o.traceId, path, "traceId"),
    spanId: hexId(o.spanId, path, "spanId"),
    eventName: str(o.eventName, path, "eventName"),
  };
}

function span(v: unknown, parent: string, index: number): OtlpSpan {
  const path = `${parent}.spans[${index}]`;
  const o = obj(v, path);
  const status = obj(o.status, path, "status");
  return {
    traceId: hexId(o.traceId, path, "traceId"),
    spanId: hexId(o.spanId, path, "spanId"),
    traceState: str(o.traceState, path, "traceState"),
    parentSpanId: hexId(o.parentSpanId, path, "parentSpanId"),
    flags: int(o.flags, path, "flags"),
    name: str(o.name, path, "name"),
    kind: int(o.kind, path, "kind"),
    startTimeUnixNano: unixNano(o.startTimeUnixNano, path, "startTimeUnixNano"),
    endTimeUnixNano: unixNano(o.endTimeUnixNano, path, "endTimeUnixNano"),
    attributes: keyValues(o.attributes, path, "attributes", 0),
    events: arr(o.events, path, "events").map((e, i) => {
      const eo = obj(e, `${path}.events[${i}]`);
      return {
        timeUnixNano: unixNano(eo.timeUnixNano, `${path}.events[${i}].timeUnixNano`),
        name: str(eo.name, `${path}.events[${i}].name`),
        attributes: keyValues(eo.attributes, `${path}.events[${i}]`, "attributes", 0),
      };
    }),
    links: arr(o.links, path, "links").map((l, i) => {
      const lo = obj(l, `${path}.links[${i}]`);
      return {
        traceId: hexId(lo.traceId, `${path}.links[${i}].traceId`),
        spanId: hexId(lo.spanId, `${path}.links[${i}].spanId`),
        attributes: keyValues(lo.attributes, `${path}.links[${i}]`, "attributes", 0),
      };
    }),
    statusCode: int(status.code, `${path}.status.code`),
    statusMessage: str(status.message, `${path}.status.message`),
  };
}

export function decodeLogsRequestJson(value: unknown): OtlpResourceLogs[] {
  const root = obj(value, "ExportLogsServiceRequest");
  return arr(root.resourceLogs, "resourceLogs").map((rl, i) => {
    const p = `resourceLogs[${i}]`;
    const o = obj(rl, p);
    return {
      resource: keyValues(obj(o.resource, p, "resource").attributes, p, "resource.attributes", 0),
      scopeLogs: arr(o.scopeLogs, p, "scopeLogs").map((sl, j) => {
        const sp = `${p}.scopeLogs[${j}]`;
        const so = obj(sl, sp);
        return { scope: scope(so.scope, `${sp}.scope`), logRecords: arr(so.logRecords, sp, "logRecords").map((lr, k) => logRecord(lr, sp, k)) };
      }),
    };
  });
}

export function decodeTracesRequestJson(value: unknown): OtlpResourceSpans[] {
  const root = obj(value, "ExportTraceServiceRequest");
  return arr(root.resourceSpans, "resourceSpans").map((rs, i) => {
    const p = `resourceSpans[${i}]`;
    const o = obj(rs, p);
    return {
      resource: keyValues(obj(o.resource, p, "resource").attributes, p, "resource.attributes", 0),
      scopeSpans: arr(o.scopeSpans, p, "scopeSpans").map((ss, j) => {
        const sp = `${p}.scopeSpans[${j}]`;
        const so = obj(ss, sp);
        return { scope: scope(so.scope, `${sp}.scope`), spans: arr(so.spans, sp, "spans").map((s, k) => span(s, sp, k)) };
      }),
    };
  });
}

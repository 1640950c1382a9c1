// Zipkin v2 spans: decoding JSON and proto3 (ListOfSpans) into one shape, and mapping spans to records.

import { MeshlogError, type LogRecord } from "@meshlog/core";
import { hexOf, ProtoReader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "../otlp/proto-wire.js";
import { spanToRecord } from "../otlp/span-record.js";
import { ZipkinErrors } from "./errors.js";

export interface ZipkinEndpoint {
  serviceName: string;
  ipv4: string;
  ipv6: string;
  port: number;
}

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId: string;
  kind: string;
  name: string;
  /** Epoch microseconds, undefined when absent. */
  timestampUs: bigint | undefined;
  durationUs: bigint | undefined;
  localEndpoint: ZipkinEndpoint | undefined;
  remoteEndpoint: ZipkinEndpoint | undefined;
  annotations: { timestampUs: bigint; value: string }[];
  tags: Record<string, string>;
  debug: boolean;
  shared: boolean;
}

const invalid = (msg: string): MeshlogError => new MeshlogError(ZipkinErrors.ZIPKIN_SPANS_INVALID, msg);
const KINDS = ["", "CLIENT", "SERVER", "PRODUCER", "CONSUMER"];

type Obj = Record<string, unknown>;

function jsonEndpoint(v: unknown, where: string): ZipkinEndpoint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(`${where} must be an object`);
  const o = v as Obj;
  const s = (x: unknown, f: string) => {
    if (x === undefined || x === null) return "";
    if (typeof x !== "string") throw invalid(`${where}.${f} must be a string`);
    return x;
  };
  const port = o.port === undefined || o.port === null ? 0 : o.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`${where}.port must be an integer from 0 to 65535`);
  return { serviceName: s(o.serviceName, "serviceName"), ipv4: s(o.ipv4, "ipv4"), ipv6: s(o.ipv6, "ipv6"), port };
}

function micros(v: unknown, where: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^\d{1,19}$/.test(v)) return BigInt(v);
  throw invalid(`${where} must be a non-negative integer of epoch microseconds`);
}

/** True when a span list is Zipkin v1 JSON (v1 has binaryAnnotations and endpoints inside annotations). */
export function looksLikeZipkinV1(spans: readonly unknown[]): boolean {
  return spans.some((s) => {
    if (s === null || typeof s !== "object") return false;
    const o = s as Obj;
    if ("binaryAnnotations" in o) return true;
    return Array.isArray(o.annotations) && o.annotations.some((a) => a !== null && typeof a === "object" && "endpoint" in (a as Obj));
  });
}

export function decodeZipkinJson(value: unknown): ZipkinSpan[] {
  if (!Array.isArray(value)) throw invalid("body must be a JSON array of Zipkin v2 spans");
  if (looksLikeZipkinV1(value)) {
    throw new MeshlogError(
      ZipkinErrors.ZIPKIN_V1_UNSUPPORTED,
      "Zipkin v1 spans (binaryAnnotations, annotation endpoints) are not accepted: send Zipkin v2 JSON (e.g. jsonEncoder: JSON_V2) to /api/v2/spans",
    );
  }
  return value.map((s: unknown, i) => {
    const where = `spans[${i}]`;
    if (s === null || typeof s !== "object" || Array.isArray(s)) throw invalid(`${where} must be an object`);
    const o = s as Obj;
    const str = (x: unknown, f: string) => {
      if (x === undefined || x === null) return "";
      if (typeof x !== "string") throw invalid(`${where}.${f} must be a string`);
      return x;
    };
    const tags: Record<string, string> = {};
    if (o.tags !== undefined && o.tags !== null) {
      if (typeof o.tags !== "object" || Array.isArray(o.tags)) throw invalid(`${where}.tags must be an object of strings`);
      for (const [k, v] of Object.entries(o.tags as Obj)) {
        if (typeof v === "string") tags[k] = v;
        else if (typeof v === "number" || typeof v === "boolean") tags[k] = String(v);
        else throw invalid(`${where}.tags.${k} must be a string`);
      }
    }
    const annotations = (o.annotations === undefined || o.annotations === null ? [] : o.annotations) as unknown;
    if (!Array.isArray(annotations)) throw invalid(`${where}.annotations must be an array`);
    return {
      traceId: str(o.traceId, "traceId").toLowerCase(),
      id: str(o.id, "id").toLowerCase(),
      parentId: str(o.parentId, "parentId").toLowerCase(),
      kind: str(o.kind, "kind").toUpperCase(),
      name: str(o.name, "name"),
      timestampUs: micros(o.timestamp, `${where}.timestamp`),
      durationUs: micros(o.duration, `${where}.duration`),
      localEndpoint: jsonEndpoint(o.localEndpoint, `${where}.localEndpoint`),
      remoteEndpoint: jsonEndpoint(o.remoteEndpoint, `${where}.remoteEndpoint`),
      annotations: annotations.map((a: unknown, j) => {
        if (a === null || typeof a !== "object" || Array.isArray(a)) throw invalid(`${where}.annotations[${j}] must be an object`);
        const ao = a as Obj;
        return { timestampUs: micros(ao.timestamp, `${where}.annotations[${j}].timestamp`) ?? 0n, value: str(ao.value, `annotations[${j}].value`) };
      }),
      tags,
      debug: o.debug === true,
      shared: o.shared === true,
    };
  });
}

function protoEndpoint(r: ProtoReader): ZipkinEndpoint {
  const e: ZipkinEndpoint = { serviceName: "", ipv4: "", ipv6: "", port: 0 };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) e.serviceName = r.string();
    else if (f === 2 && w === WIRE_LEN) e.ipv4 = [...r.bytes()].join(".");
    else if (f === 3 && w === WIRE_LEN) e.ipv6 = hexOf(r.bytes()).replace(/(.{4})(?!$)/g, "$1:");
    else if (f === 4 && w === WIRE_VARINT) e.port = r.int32();
    else r.skip(w);
  }
  return e;
}

/** Decodes proto3 zipkin2.ListOfSpans. */
export function decodeZipkinProto(buf: Uint8Array): ZipkinSpan[] {
  const out: ZipkinSpan[] = [];
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f !== 1 || w !== WIRE_LEN) {
      r.skip(w);
      continue;
    }
    const s = r.message();
    const span: ZipkinSpan = {
      traceId: "",
      id: "",
      parentId: "",
      kind: "",
      name: "",
      timestampUs: undefined,
      durationUs: undefined,
      localEndpoint: undefined,
      remoteEndpoint: undefined,
      annotations: [],
      tags: {},
      debug: false,
      shared: false,
    };
    while (!s.done()) {
      const [sf, sw] = s.tag();
      if (sf === 1 && sw === WIRE_LEN) span.traceId = hexOf(s.bytes());
      else if (sf === 2 && sw === WIRE_LEN) span.parentId = hexOf(s.bytes());
      else if (sf === 3 && sw === WIRE_LEN) span.id = hexOf(s.bytes());
      else if (sf === 4 && sw === WIRE_VARINT) span.kind = KINDS[s.int32()] ?? "";
      else if (sf === 5 && sw === WIRE_LEN) span.name = s.string();
      else if (sf === 6 && sw === WIRE_I64) span.timestampUs = s.fixed64();
      else if (sf === 7 && sw === WIRE_VARINT) span.durationUs = s.varint64();
      else if (sf === 8 && sw === WIRE_LEN) span.localEndpoint = protoEndpoint(s.message());
      else if (sf === 9 && sw === WIRE_LEN) span.remoteEndpoint = protoEndpoint(s.message());
      else if (sf === 10 && sw === WIRE_LEN) {
        const a = s.message();
        const ann = { timestampUs: 0n, value: "" };
        while (!a.done()) {
          const [af, aw] = a.tag();
          if (af === 1 && aw === WIRE_I64) ann.timestampUs = a.fixed64();
          else if (af === 2 && aw === WIRE_LEN) ann.value = a.string();
          else a.skip(aw);
        }
        span.annotations.push(ann);
      } else if (sf === 11 && sw === WIRE_LEN) {
        const t = s.message();
        let k = "";
        let v = "";
        while (!t.done()) {
          const [tf, tw] = t.tag();
          if (tf === 1 && tw === WIRE_LEN) k = t.string();
          else if (tf === 2 && tw === WIRE_LEN) v = t.string();
          else t.skip(tw);
        }
        span.tags[k] = v;
      } else if (sf === 12 && sw === WIRE_VARINT) span.debug = s.varint32() !== 0;
      else if (sf === 13 && sw === WIRE_VARINT) span.shared = s.varint32() !== 0;
      else s.skip(sw);
    }
    out.push(span);
  }
  return out;
}

function endpointAttributes(prefix: string, e: ZipkinEndpoint | undefined, into: Record<string, string>): void {
  if (e === undefined) return;
  if (e.serviceName !== "") into[`${prefix}.service_name`] = e.serviceName;
  if (e.ipv4 !== "") into[`${prefix}.ipv4`] = e.ipv4;
  if (e.ipv6 !== "") into[`${prefix}.ipv6`] = e.ipv6;
  if (e.port !== 0) into[`${prefix}.port`] = String(e.port);
}

/** Validates a span and maps it to a record (service = localEndpoint.serviceName). */
export function zipkinSpanToRecord(s: ZipkinSpan, index: number, tenant: string, nowNs: bigint): LogRecord {
  const where = `spans[${index}]`;
  if (!/^[0-9a-f]{16}$|^[0-9a-f]{32}$/.test(s.traceId) || /^0+$/.test(s.traceId))
    throw invalid(`${where}.traceId ${JSON.stringify(s.traceId.slice(0, 40))} must be 16 or 32 lowercase hex characters`);
  if (!/^[0-9a-f]{16}$/.test(s.id) || /^0+$/.test(s.id)) throw invalid(`${where}.id ${JSON.stringify(s.id.slice(0, 40))} must be 16 hex characters`);
  if (s.parentId !== "" && !/^[0-9a-f]{16}$/.test(s.parentId))
    throw invalid(`${where}.parentId ${JSON.stringify(s.parentId.slice(0, 40))} must be 16 hex characters`);
  if (s.kind !== "" && !KINDS.includes(s.kind))
    throw invalid(`${where}.kind ${JSON.stringify(s.kind.slice(0, 20))} must be CLIENT, SERVER, PRODUCER or CONSUMER`);
  const attributes: Record<string, string> = { ...s.tags };
  endpointAttributes("zipkin.local_endpoint", s.localEndpoint, attributes);
  endpointAttributes("zipkin.remote_endpoint", s.remoteEndpoint, attributes);
  delete attributes["zipkin.local_endpoint.service_name"];
  if (s.debug) attributes["zipkin.debug"] = "true";
  if (s.shared) attributes["zipkin.shared"] = "true";
  if (s.annotations.length > 0)
    attributes["span.events"] = JSON.stringify(s.annotations.map((a) => ({ timeUnixNano: (a.timestampUs * 1000n).toString(), name: a.value })));
  const resource: Record<string, string> = {};
  const service = s.localEndpoint?.serviceName ?? "";
  if (service !== "") resource["service.name"] = service;
  const errorTag = s.tags.error;
  const otelStatus = (s.tags["otel.status_code"] ?? "").toUpperCase();
  const isError = errorTag !== undefined || otelStatus === "ERROR";
  const parent = s.parentId === "" || /^0+$/.test(s.parentId) ? "" : s.parentId;
  return spanToRecord({
    source: "zipkin",
    tenant,
    traceId: s.traceId.padStart(32, "0"),
    spanId: s.id,
    parentSpanId: parent,
    name: s.name,
    kind: s.kind === "" ? "unspecified" : s.kind.toLowerCase(),
    startNs: s.timestampUs !== undefined ? s.timestampUs * 1000n : nowNs,
    durationNs: (s.durationUs ?? 0n) * 1000n,
    statusCode: isError ? "error" : otelStatus === "OK" ? "ok" : "unset",
    statusMessage: isError ? (errorTag ?? s.tags["otel.status_description"] ?? "") : "",
    attributes,
    resource,
    observedNs: nowNs,
  });
}

// Hand-written protobuf decoders for ExportLogsServiceRequest and ExportTraceServiceRequest (field numbers from opentelemetry-proto).

import { hexOf, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "./proto-wire.js";
import type {
  OtlpKeyValue,
  OtlpLogRecord,
  OtlpResourceLogs,
  OtlpResourceSpans,
  OtlpScope,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
  OtlpValue,
} from "./otlp-model.js";

/** Nesting bound for AnyValue arrays/kvlists, so hostile input cannot exhaust the stack. */
const MAX_VALUE_DEPTH = 32;

export function decodeLogsRequestProto(buf: Uint8Array): OtlpResourceLogs[] {
  const r = new ProtoReader(buf);
  const out: OtlpResourceLogs[] = [];
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) out.push(resourceLogs(r.message()));
    else r.skip(w);
  }
  return out;
}

export function decodeTracesRequestProto(buf: Uint8Array): OtlpResourceSpans[] {
  const r = new ProtoReader(buf);
  const out: OtlpResourceSpans[] = [];
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) out.push(resourceSpans(r.message()));
    else r.skip(w);
  }
  return out;
}

/** Reads a ScopeLogs/ScopeSpans message: field 1 is the scope, field 2 the repeated items. */
function scoped<T>(s: ProtoReader, item: (r: ProtoReader) => T): { scope: OtlpScope; items: T[] } {
  let scope: OtlpScope = { name: "", version: "" };
  const items: T[] = [];
  while (!s.done()) {
    const [f, w] = s.tag();
    if (f === 1 && w === WIRE_LEN) scope = instrumentationScope(s.message());
    else if (f === 2 && w === WIRE_LEN) items.push(item(s.message()));
    else s.skip(w);
  }
  return { scope, items };
}

/** Reads a ResourceLogs/ResourceSpans message: field 1 is the resource, field 2 the repeated scoped messages. */
function resourceScoped<T>(r: ProtoReader, item: (r: ProtoReader) => T): { resource: OtlpKeyValue[]; scoped: { scope: OtlpScope; items: T[] }[] } {
  let res: OtlpKeyValue[] = [];
  const out: { scope: OtlpScope; items: T[] }[] = [];
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) res = resource(r.message());
    else if (f === 2 && w === WIRE_LEN) out.push(scoped(r.message(), item));
    else r.skip(w);
  }
  return { resource: res, scoped: out };
}

function resourceLogs(r: ProtoReader): OtlpResourceLogs {
  const { resource: res, scoped: list } = resourceScoped(r, logRecord);
  return { resource: res, scopeLogs: list.map(({ scope, items }) => ({ scope, logRecords: items })) };
}

function resourceSpans(r: ProtoReader): OtlpResourceSpans {
  const { resource: res, scoped: list } = resourceScoped(r, span);
  return { resource: res, scopeSpans: list.map(({ scope, items }) => ({ scope, spans: items })) };
}

function resource(r: ProtoReader): OtlpKeyValue[] {
  const attrs: OtlpKeyValue[] = [];
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) attrs.push(keyValue(r.message(), 0));
    else r.skip(w);
  }
  return attrs;
}

function instrumentationScope(r: ProtoReader): OtlpScope {
  const s: OtlpScope = { name: "", version: "" };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) s.name = r.string();
    else if (f === 2 && w === WIRE_LEN) s.version = r.string();
    else r.skip(w);
  }
  return s;
}

function logRecord(r: ProtoReader): OtlpLogRecord {
  const l: OtlpLogRecord = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: "",
    body: null,
    attributes: [],
    flags: 0,
    traceId: "",
    spanId: "",
    eventName: "",
  };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_I64) l.timeUnixNano = r.fixed64();
    else if (f === 11 && w === WIRE_I64) l.observedTimeUnixNano = r.fixed64();
    else if (f === 2 && w === WIRE_VARINT) l.severityNumber = r.int32();
    else if (f === 3 && w === WIRE_LEN) l.severityText = r.string();
    else if (f === 5 && w === WIRE_LEN) l.body = anyValue(r.message(), 0);
    else if (f === 6 && w === WIRE_LEN) l.attributes.push(keyValue(r.message(), 0));
    else if (f === 8 && w === WIRE_I32) l.flags = r.fixed32();
    else if (f === 9 && w === WIRE_LEN) l.traceId = hexOf(r.bytes());
    else if (f === 10 && w === WIRE_LEN) l.spanId = hexOf(r.bytes());
    else if (f === 12 && w === WIRE_LEN) l.eventName = r.string();
    else r.skip(w);
  }
  return l;
}

function span(r: ProtoReader): OtlpSpan {
  const s: OtlpSpan = {
    traceId: "",
    spanId: "",
    traceState: "",
    parentSpanId: "",
    flags: 0,
    name: "",
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: "",
  };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) s.traceId = hexOf(r.bytes());
    else if (f === 2 && w === WIRE_LEN) s.spanId = hexOf(r.bytes());
    else if (f === 3 && w === WIRE_LEN) s.traceState = r.string();
    else if (f === 4 && w === WIRE_LEN) s.parentSpanId = hexOf(r.bytes());
    else if (f === 5 && w === WIRE_LEN) s.name = r.string();
    else if (f === 6 && w === WIRE_VARINT) s.kind = r.int32();
    else if (f === 7 && w === WIRE_I64) s.startTimeUnixNano = r.fixed64();
    else if (f === 8 && w === WIRE_I64) s.endTimeUnixNano = r.fixed64();
    else if (f === 9 && w === WIRE_LEN) s.attributes.push(keyValue(r.message(), 0));
    else if (f === 11 && w === WIRE_LEN) s.events.push(spanEvent(r.message()));
    else if (f === 13 && w === WIRE_LEN) s.links.push(spanLink(r.message()));
    else if (f === 15 && w === WIRE_LEN) {
      const st = r.message();
      while (!st.done()) {
        const [f2, w2] = st.tag();
        if (f2 === 2 && w2 === WIRE_LEN) s.statusMessage = st.string();
        else if (f2 === 3 && w2 === WIRE_VARINT) s.statusCode = st.int32();
        else st.skip(w2);
      }
    } else if (f === 16 && w === WIRE_I32) s.flags = r.fixed32();
    else r.skip(w);
  }
  return s;
}

function spanEvent(r: ProtoReader): OtlpSpanEvent {
  const e: OtlpSpanEvent = { timeUnixNano: 0n, name: "", attributes: [] };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_I64) e.timeUnixNano = r.fixed64();
    else if (f === 2 && w === WIRE_LEN) e.name = r.string();
    else if (f === 3 && w === WIRE_LEN) e.attributes.push(keyValue(r.message(), 0));
    else r.skip(w);
  }
  return e;
}

function spanLink(r: ProtoReader): OtlpSpanLink {
  const l: OtlpSpanLink = { traceId: "", spanId: "", attributes: [] };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) l.traceId = hexOf(r.bytes());
    else if (f === 2 && w === WIRE_LEN) l.spanId = hexOf(r.bytes());
    else if (f === 4 && w === WIRE_LEN) l.attributes.push(keyValue(r.message(), 0));
    else r.skip(w);
  }
  return l;
}

function keyValue(r: ProtoReader, depth: number): OtlpKeyValue {
  let key = "";
  let value: OtlpValue = null;
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) key = r.string();
    else if (f === 2 && w === WIRE_LEN) value = anyValue(r.message(), depth + 1);
    else r.skip(w);
  }
  return [key, value];
}

function anyValue(r: ProtoReader, depth: number): OtlpValue {
  if (depth > MAX_VALUE_DEPTH) throw new RangeError(`AnyValue nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let v: OtlpValue = null;
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE_LEN) v = r.string();
    else if (f === 2 && w === WIRE_VARINT) v = r.varint32() !== 0;
    else if (f === 3 && w === WIRE_VARINT) v = r.int64();
    else if (f === 4 && w === WIRE_I64) v = r.double();
    else if (f === 5 && w === WIRE_LEN) {
      const a = r.message();
      const arr: OtlpValue[] = [];
      while (!a.done()) {
        const [f2, w2] = a.tag();
        if (f2 === 1 && w2 === WIRE_LEN) arr.push(anyValue(a.message(), depth + 1));
        else a.skip(w2);
      }
      v = arr;
    } else if (f === 6 && w === WIRE_LEN) {
      const a = r.message();
      const kv: OtlpKeyValue[] = [];
      while (!a.done()) {
        const [f2, w2] = a.tag();
        if (f2 === 1 && w2 === WIRE_LEN) kv.push(keyValue(a.message(), depth + 1));
        else a.skip(w2);
      }
      v = { kv };
    } else if (f === 7 && w === WIRE_LEN) v = r.bytes().slice();
    else r.skip(w);
  }
  return v;
}

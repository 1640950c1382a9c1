// Compact JSON form of a LogRecord for the disk buffer (bigint timestamps as decimal strings).

import type { LogRecord } from "@meshlog/core";

/** The stored shape; short keys keep buffer segments small. */
export interface StoredRecord {
  t: string;
  o: string;
  n: number;
  s: string;
  b: string;
  a: Record<string, string>;
  r: Record<string, string>;
  tr: string;
  sp: string;
  tn: string;
  l: Record<string, string>;
}

export function encodeRecord(r: LogRecord): StoredRecord {
  return {
    t: r.timestamp.toString(),
    o: r.observedTimestamp.toString(),
    n: r.severityNumber,
    s: r.severityText,
    b: r.body,
    a: r.attributes,
    r: r.resource,
    tr: r.traceId,
    sp: r.spanId,
    tn: r.tenant,
    l: { ...r.labels },
  };
}

/** Decodes a stored record; fields missing from a hand-edited or older entry get neutral values. */
export function decodeRecord(s: StoredRecord): LogRecord {
  return {
    timestamp: BigInt(s.t ?? "0"),
    observedTimestamp: BigInt(s.o ?? "0"),
    severityNumber: s.n ?? 0,
    severityText: s.s ?? "",
    body: s.b ?? "",
    attributes: s.a ?? {},
    resource: s.r ?? {},
    traceId: s.tr ?? "",
    spanId: s.sp ?? "",
    tenant: s.tn ?? "",
    labels: s.l ?? {},
  };
}

// Linkerd proxy access logs, `apache` (CLF-like with ip:port, mesh identity, RFC 3339 time) and `json`.

import { normalizeTraceId } from "@meshlog/core";
import type { ParsedBody } from "../body-format.js";
import { F, numberText, put, putTarget, splitRequestLine, withHttpSeverity } from "../access-log-fields.js";
import { LineScanner } from "../line-scanner.js";
import { parseRfc3339Fast } from "../fast-time.js";

/** Parses `CLIENT_ADDR IDENTITY USER [RFC3339] "REQUEST" STATUS`; undefined when it is not one. */
export function parseLinkerdApache(line: string): ParsedBody | undefined {
  const sc = new LineScanner(line);
  const client = sc.bare();
  const identity = sc.bare();
  const user = sc.bare();
  const time = sc.bracketed();
  if (client === undefined || identity === undefined || user === undefined || time === undefined) return undefined;
  const timestamp = parseRfc3339Fast(time);
  if (timestamp === undefined) return undefined;
  const request = sc.quoted();
  const status = sc.bare();
  if (request === undefined || status === undefined || !/^\d{1,3}$/.test(status)) return undefined;
  if (!sc.atEnd() && sc.rest() !== "") return undefined;
  const f: Record<string, string> = {};
  put(f, F.clientAddress, client);
  put(f, F.clientIdentity, identity);
  put(f, F.clientUser, user);
  const { method, target, protocol } = splitRequestLine(request);
  put(f, F.method, method);
  putTarget(f, target);
  put(f, F.protocol, protocol);
  f[F.status] = status;
  return withHttpSeverity({ format: "linkerd-apache", fields: f, timestamp });
}

type Obj = Record<string, unknown>;

/** True when a parsed JSON object is a Linkerd proxy access log entry. */
export function isLinkerdJson(o: Obj): boolean {
  return "client.addr" in o && ("total_ns" in o || "processing_ns" in o);
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

function nsToMs(v: unknown): string | undefined {
  const n = numberText(v);
  return n === undefined ? undefined : String(Number(n) / 1e6);
}

/** Maps a Linkerd JSON access-log object to fields. */
export function parseLinkerdJsonObject(o: Obj): ParsedBody {
  const f: Record<string, string> = {};
  put(f, F.clientAddress, str(o["client.addr"]));
  put(f, F.clientIdentity, str(o["client.id"]));
  put(f, F.authority, str(o.host));
  put(f, F.method, str(o.method));
  putTarget(f, str(o.uri));
  put(f, F.protocol, str(o.version));
  put(f, F.status, numberText(o.status));
  put(f, F.durationMs, nsToMs(o.total_ns));
  put(f, "linkerd.processing_ms", nsToMs(o.processing_ns));
  put(f, F.bytesReceived, numberText(o.request_bytes));
  put(f, F.bytesSent, numberText(o.response_bytes));
  put(f, F.userAgent, str(o.user_agent));
  const out: ParsedBody = { format: "linkerd-json", fields: f };
  const ts = typeof o.timestamp === "string" ? parseRfc3339Fast(o.timestamp) : undefined;
  if (ts !== undefined) out.timestamp = ts;
  const traceId = normalizeTraceId(str(o.trace_id));
  if (traceId !== "") out.traceId = traceId;
  return withHttpSeverity(out);
}

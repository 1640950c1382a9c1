// Stable attribute names for access-log fields (documented in docs/specs/fields.md) and shared helpers.

import { severityFromHttpStatus, severityTextOf } from "@meshlog/core";
import type { ParsedBody } from "./body-format.js";

/** Attribute names every access-log parser uses for the same meaning. */
export const F = {
  method: "http.method",
  path: "url.path",
  url: "url.full",
  query: "url.query",
  status: "http.status_code",
  durationMs: "http.duration_ms",
  upstreamHost: "upstream.host",
  upstreamCluster: "upstream.cluster",
  upstreamServiceTimeMs: "upstream.service_time_ms",
  upstreamStatus: "upstream.status_code",
  upstreamLocalAddress: "upstream.local_address",
  upstreamFailure: "upstream.transport_failure_reason",
  upstreamBytes: "upstream.bytes",
  upstreamName: "upstream.name",
  responseFlags: "response.flags",
  responseCodeDetails: "response.code_details",
  terminationDetails: "connection.termination_details",
  userAgent: "user_agent.original",
  clientAddress: "client.address",
  clientUser: "client.user",
  clientIdentity: "client.identity",
  forwardedFor: "http.x_forwarded_for",
  referer: "http.referer",
  bytesSent: "bytes.sent",
  bytesReceived: "bytes.received",
  requestId: "request.id",
  authority: "authority",
  protocol: "protocol",
  routeName: "route.name",
  downstreamLocalAddress: "downstream.local_address",
  serverName: "tls.server_name",
  requestLength: "http.request_length",
} as const;

/** Sets a field unless the value is absent (`undefined`, `null`, "" or Envoy's/nginx's `-`). */
export function put(fields: Record<string, string>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const s = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
  if (s === undefined || s === "" || s === "-") return;
  fields[name] = s;
}

/** Numeric text, or undefined (accepts decimals; rejects `-`, empty and non-numbers). */
export function numberText(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== "string" || value === "" || value === "-") return undefined;
  return /^-?\d+(?:\.\d+)?$/.test(value) ? value : undefined;
}

/** Seconds (nginx `$request_time`, "0.032") to milliseconds text ("32"). */
export function secondsToMs(value: string | undefined): string | undefined {
  const n = numberText(value);
  if (n === undefined) return undefined;
  return String(Math.round(Number(n) * 1e6) / 1e3);
}

/** Fills severity from `http.status_code` when the parser found no level (5xx error, 4xx warn, else info). */
export function withHttpSeverity(p: ParsedBody): ParsedBody {
  if (p.severityNumber !== undefined) return p;
  const status = Number(p.fields[F.status]);
  if (!Number.isInteger(status) || status <= 0) return p;
  const sev = severityFromHttpStatus(status);
  p.severityNumber = sev;
  p.severityText = severityTextOf(sev);
  return p;
}

/** Splits `GET /path HTTP/1.1` into method, target and protocol; a bad request line gives what it can. */
export function splitRequestLine(request: string): { method?: string; target?: string; protocol?: string } {
  const parts = request.split(" ");
  if (parts.length === 3) return { method: parts[0] as string, target: parts[1] as string, protocol: parts[2] as string };
  if (parts.length === 2) return { method: parts[0] as string, target: parts[1] as string };
  return {};
}

/** Puts a request target: `url.path` (without the query), `url.query` (without `?`), and `url.full` for absolute URLs. */
export function putTarget(fields: Record<string, string>, target: string | undefined): void {
  if (target === undefined || target === "" || target === "-") return;
  let pathAndQuery = target;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target)) {
    fields[F.url] = target;
    const slash = target.indexOf("/", target.indexOf("://") + 3);
    pathAndQuery = slash < 0 ? "/" : target.slice(slash);
  }
  const q = pathAndQuery.indexOf("?");
  if (q < 0) {
    fields[F.path] = pathAndQuery;
  } else {
    fields[F.path] = pathAndQuery.slice(0, q);
    if (q + 1 < pathAndQuery.length) fields[F.query] = pathAndQuery.slice(q + 1);
  }
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Month index (0-11) of an English three-letter month abbreviation, or undefined. */
export function monthIndex(abbrev: string): number | undefined {
  return MONTHS[abbrev];
}

const CLF_TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-])(\d{2})(\d{2})$/;

/** Parses the Common Log Format time `10/Oct/2000:13:55:36 -0700` to nanoseconds, or undefined. */
export function parseClfTime(text: string): bigint | undefined {
  const m = CLF_TIME.exec(text);
  if (m === null) return undefined;
  const month = MONTHS[m[2] as string];
  if (month === undefined) return undefined;
  const ms = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return undefined;
  const offsetMin = (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, "0"));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + frac;
}

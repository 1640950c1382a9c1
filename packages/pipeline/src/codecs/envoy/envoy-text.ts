// Envoy's default text access log: `[START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS RX TX DURATION ...`.

import type { ParsedBody } from "../body-format.js";
import { F, numberText, put, putTarget, splitRequestLine, withHttpSeverity } from "../access-log-fields.js";
import { LineScanner } from "../line-scanner.js";
import { parseRfc3339Fast } from "../fast-time.js";

/** The common head of Envoy-style text lines: start time, request line, response code, response flags. */
export interface EnvoyHead {
  timestamp: bigint;
  fields: Record<string, string>;
}

/** Reads `[START_TIME] "REQUEST" CODE FLAGS`; undefined when the line does not start that way. */
export function readEnvoyHead(sc: LineScanner): EnvoyHead | undefined {
  const time = sc.bracketed();
  if (time === undefined) return undefined;
  const timestamp = parseRfc3339Fast(time);
  if (timestamp === undefined) return undefined;
  const request = sc.quoted();
  if (request === undefined) return undefined;
  const code = sc.bare();
  if (code === undefined || !/^\d{1,3}$/.test(code)) return undefined;
  const flags = sc.bare();
  if (flags === undefined) return undefined;
  const fields: Record<string, string> = {};
  const { method, target, protocol } = splitRequestLine(request);
  put(fields, F.method, method);
  putTarget(fields, target);
  put(fields, F.protocol, protocol);
  if (code !== "0") fields[F.status] = code;
  put(fields, F.responseFlags, flags);
  return { timestamp, fields };
}

/**
 * Reads the quoted section shared by Envoy and Istio: `"XFF" "UA" "REQUEST_ID" "AUTHORITY" "UPSTREAM_HOST"`.
 * Envoy does not escape quotes in headers, so the section is split at `" "` and any surplus parts (a
 * User-Agent holding `" "`) are given back to the User-Agent.
 */
export function readEnvoyQuotedSection(section: string, fields: Record<string, string>): boolean {
  if (section.length < 2 || !section.startsWith('"') || !section.endsWith('"')) return false;
  const parts = section.slice(1, -1).split('" "');
  if (parts.length < 5) return false;
  const extra = parts.length - 5;
  const ua = parts.slice(1, 2 + extra).join('" "');
  put(fields, F.forwardedFor, parts[0]);
  put(fields, F.userAgent, ua);
  put(fields, F.requestId, parts[2 + extra]);
  put(fields, F.authority, parts[3 + extra]);
  put(fields, F.upstreamHost, parts[4 + extra]);
  return true;
}

/** Reads `RX TX DURATION UPSTREAM_SERVICE_TIME` (numbers or `-`). */
export function readEnvoyNumbers(sc: LineScanner, fields: Record<string, string>): boolean {
  const rx = sc.bare();
  const tx = sc.bare();
  const duration = sc.bare();
  const upstreamTime = sc.bare();
  if (upstreamTime === undefined) return false;
  if (rx !== "-" && numberText(rx) === undefined) return false;
  put(fields, F.bytesReceived, numberText(rx));
  put(fields, F.bytesSent, numberText(tx));
  put(fields, F.durationMs, numberText(duration));
  put(fields, F.upstreamServiceTimeMs, numberText(upstreamTime));
  return true;
}

/** Parses one line of Envoy's DEFAULT_FORMAT; undefined when it is not one. */
export function parseEnvoyText(line: string): ParsedBody | undefined {
  const sc = new LineScanner(line);
  const head = readEnvoyHead(sc);
  if (head === undefined) return undefined;
  if (!readEnvoyNumbers(sc, head.fields)) return undefined;
  if (!readEnvoyQuotedSection(sc.rest().trimEnd(), head.fields)) return undefined;
  const xff = head.fields[F.forwardedFor];
  if (xff !== undefined) put(head.fields, F.clientAddress, (xff.split(",")[0] ?? "").trim());
  return withHttpSeverity({ format: "envoy", fields: head.fields, timestamp: head.timestamp });
}

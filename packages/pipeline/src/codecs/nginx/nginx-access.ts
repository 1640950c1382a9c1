// nginx access logs: Common Log Format, Combined (nginx's default) and ingress-nginx's log-format-upstream.

import type { ParsedBody } from "../body-format.js";
import { F, numberText, parseClfTime, put, putTarget, secondsToMs, splitRequestLine, withHttpSeverity } from "../access-log-fields.js";
import { LineScanner } from "../line-scanner.js";

/**
 * Parses `ADDR IDENT USER [TIME] "REQUEST" STATUS BYTES` (common), optionally followed by
 * `"REFERER" "UA"` (combined) and by ingress-nginx's `REQ_LEN REQ_TIME [UPSTREAM_NAME] [ALT] ADDR LEN TIME
 * STATUS REQ_ID`. Undefined when the line is none of them. ingress-nginx upstream fields may be lists
 * (`10.0.0.1:80, 10.0.0.2:80`) on retries; they are kept as written.
 */
export function parseNginxAccess(line: string): ParsedBody | undefined {
  const sc = new LineScanner(line);
  const addr = sc.bare();
  const ident = sc.bare();
  const user = sc.bare();
  const time = sc.bracketed();
  if (addr === undefined || ident === undefined || user === undefined || time === undefined) return undefined;
  const timestamp = parseClfTime(time);
  if (timestamp === undefined) return undefined;
  const request = sc.quoted(true);
  const status = sc.bare();
  const bytes = sc.bare();
  if (request === undefined || status === undefined || bytes === undefined || !/^\d{1,3}$/.test(status)) return undefined;
  const f: Record<string, string> = {};
  put(f, F.clientAddress, addr);
  put(f, F.clientUser, user);
  const { method, target, protocol } = splitRequestLine(request);
  put(f, F.method, method);
  putTarget(f, target);
  put(f, F.protocol, protocol);
  f[F.status] = status;
  put(f, F.bytesSent, numberText(bytes));
  sc.spaces();
  if (sc.atEnd()) return withHttpSeverity({ format: "common", fields: f, timestamp });
  const referer = sc.quoted(true);
  const ua = sc.quoted(true);
  if (referer === undefined || ua === undefined) return undefined;
  put(f, F.referer, referer);
  put(f, F.userAgent, ua);
  sc.spaces();
  if (sc.atEnd()) return withHttpSeverity({ format: "combined", fields: f, timestamp });
  const reqLen = sc.bare();
  const reqTime = sc.bare();
  const upstreamName = sc.bracketed();
  const alternative = sc.bracketed();
  if (upstreamName === undefined || alternative === undefined) return undefined;
  put(f, F.requestLength, numberText(reqLen));
  put(f, F.durationMs, secondsToMs(reqTime));
  put(f, F.upstreamName, upstreamName);
  put(f, "upstream.alternative_name", alternative);
  // Upstream values are lists on retries (`10.0.0.1:80, 10.0.0.2:80`): keep each list as one value.
  const groups = groupLists(sc.rest());
  put(f, F.upstreamHost, groups[0]);
  put(f, F.upstreamBytes, groups[1]);
  put(f, "upstream.response_time_ms", listSecondsToMs(groups[2]));
  put(f, F.upstreamStatus, groups[3]);
  put(f, F.requestId, groups[4]);
  return withHttpSeverity({ format: "ingress-nginx", fields: f, timestamp });
}

/** Splits at spaces, keeping `a, b` lists together as one value. */
function groupLists(text: string): string[] {
  const out: string[] = [];
  for (const t of text.split(" ")) {
    const last = out.length - 1;
    if (last >= 0 && (out[last] as string).endsWith(",")) out[last] = `${out[last] as string} ${t}`;
    else if (t !== "") out.push(t);
  }
  return out;
}

/** `0.004, 0.027` (seconds) to `4, 27` (milliseconds); `-` entries stay `-`. */
function listSecondsToMs(value: string | undefined): string | undefined {
  if (value === undefined || value === "-") return undefined;
  return value
    .split(", ")
    .map((v) => secondsToMs(v) ?? v)
    .join(", ");
}

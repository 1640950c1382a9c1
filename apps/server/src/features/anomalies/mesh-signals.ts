// Classifies one stored line for the mesh and auth detectors: HTTP status, upstream connect failure (Envoy
// response flags), TLS/mTLS handshake failure (Envoy, Istio, Linkerd and Go texts), sshd authentication failure.

import type { LogRecord } from "@meshlog/core";

/**
 * Envoy response flags that mean the request never reached a healthy upstream connection: UF upstream connection
 * failure, URX retry limit / connect attempts exhausted, UH no healthy upstream, NR no route, NC no cluster,
 * DF DNS resolution failed, UO upstream overflow (circuit breaking).
 */
export const CONNECT_FAILURE_FLAGS: ReadonlySet<string> = new Set(["UF", "URX", "UH", "NR", "NC", "DF", "UO"]);

/** Envoy's long flag names for the same conditions (access logs with `%RESPONSE_FLAGS_LONG%`). */
const CONNECT_FAILURE_LONG_FLAGS: ReadonlySet<string> = new Set([
  "UpstreamConnectionFailure",
  "UpstreamRetryLimitExceeded",
  "NoHealthyUpstream",
  "NoRouteFound",
  "NoClusterFound",
  "DnsResolutionFailed",
  "UpstreamOverflow",
]);

/**
 * Connect failures outside the flags, as the proxies write them: Envoy's local reply "upstream connect error or
 * disconnect/reset before headers", its code details "…{connection_failure}", linkerd-proxy's "Failed to connect".
 */
const CONNECT_FAILURE_TEXTS: readonly string[] = ["upstream connect error", "connection_failure", "ailed to connect"];

/**
 * TLS handshake failures as istio-proxy/Envoy ("TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
 * "handshake error: 1", "TLS_error" details), linkerd-proxy ("TLS detection timed out", "no server certificate chain
 * resolved", rustls "Sending fatal alert") and Go servers ("http: TLS handshake error from", "tls: bad certificate",
 * "x509: certificate …") write them. Exact substrings: a plain search per text is much cheaper than a
 * case-insensitive regex over every line.
 */
export const TLS_FAILURE_TEXTS: readonly string[] = [
  "TLS error:",
  "TLS_error",
  "handshake error",
  "TLS handshake",
  "SSL routines:",
  "CERTIFICATE_VERIFY_FAILED",
  "TLS detection timed out",
  "no server certificate chain resolved",
  "ending fatal alert",
  "tls: bad certificate",
  "tls: unknown certificate",
  "x509: certificate",
];

/** Characters of a body looked at by the text checks (bounded work per line). */
const TEXT_LIMIT = 2048;

/** The HTTP status of an access-log line (attribute `http.status_code`), or 0. */
export function httpStatusOf(r: LogRecord): number {
  const v = r.attributes["http.status_code"];
  if (v === undefined || v.length > 3) return 0;
  const n = Number(v);
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : 0;
}

/** True when the line is a request that failed to connect upstream (flags, code details or known texts in `head`). */
export function isConnectFailure(r: LogRecord, head: string): boolean {
  const flags = r.attributes["response.flags"];
  if (flags !== undefined && flags !== "-" && flags.length <= 256) {
    for (const f of flags.split(",")) {
      const t = f.trim();
      if (CONNECT_FAILURE_FLAGS.has(t) || CONNECT_FAILURE_LONG_FLAGS.has(t)) return true;
    }
  }
  const details = r.attributes["response.code_details"];
  if (details !== undefined && details.includes("connection_failure")) return true;
  for (const t of CONNECT_FAILURE_TEXTS) if (head.includes(t)) return true;
  return false;
}

/** True when the line reports a TLS/mTLS handshake failure (attribute, or known texts in `head`). */
export function isTlsFailure(r: LogRecord, head: string): boolean {
  const reason = r.attributes["upstream.transport_failure_reason"];
  if (reason !== undefined && reason !== "-" && /tls|ssl|certificate/i.test(reason.slice(0, 256))) return true;
  for (const t of TLS_FAILURE_TEXTS) if (head.includes(t)) return true;
  return false;
}

/** The head of a body the text checks look at (at most TEXT_LIMIT characters): bounded work per line. */
export function bodyHead(body: string): string {
  return body.length > TEXT_LIMIT ? body.slice(0, TEXT_LIMIT) : body;
}

const SSH_FAILURE = /(?:Failed (?:password|publickey|keyboard-interactive\/pam|none) for (?:invalid user )?|Invalid user )(\S{0,128}) from (\S{1,64})/;

/**
 * The remote address of an sshd authentication failure ("Failed password for [invalid user] U from A port P",
 * "Invalid user U from A port P"), or undefined. Looks at the first 512 characters only.
 */
export function sshFailureAddress(body: string): string | undefined {
  if (!body.includes("Failed ") && !body.includes("Invalid user ")) return undefined;
  const m = SSH_FAILURE.exec(body.length > 512 ? body.slice(0, 512) : body);
  return m?.[2];
}

/** The upstream a mesh line went to: Istio/Envoy upstream service, cluster, or ingress-nginx upstream name. */
export function upstreamOf(r: LogRecord): string {
  const a = r.attributes;
  const u = a["upstream.service"] ?? a["upstream.cluster"] ?? a["upstream.name"] ?? "";
  return u === "-" ? "" : u.slice(0, 256);
}

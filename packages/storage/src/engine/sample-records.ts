// Deterministic, realistic service-mesh log records for tests and benchmarks (Envoy, app JSON, syslog).

import type { Labels, LogRecord } from "@meshlog/core";

const SERVICES = ["checkout", "payments", "cart", "catalog", "auth", "shipping", "frontend", "search"];
const PATHS = ["/api/v1/orders", "/api/v1/cart/items", "/healthz", "/api/v2/search", "/login", "/api/v1/payments/charge", "/static/app.js"];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const STATUS = [200, 200, 200, 200, 201, 204, 301, 400, 404, 500, 503];
const MSGS = [
  "request completed",
  "cache miss",
  "user logged in",
  "payment authorized",
  "retrying upstream",
  "connection reset by peer",
  "slow query detected",
];

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function hex(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rnd() * 16)];
  return s;
}

/** One log line of a mixed mesh workload: Envoy text access log, Envoy JSON, app JSON or syslog. */
export function sampleLine(rnd: () => number, tsMs: number): { body: string; service: string; traceId: string; status: number; user: string } {
  const service = pick(rnd, SERVICES);
  const traceId = hex(rnd, 32);
  const status = pick(rnd, STATUS);
  const user = `user-${Math.floor(rnd() * 5000)}`;
  const iso = new Date(tsMs).toISOString();
  const path = pick(rnd, PATHS);
  const method = pick(rnd, METHODS);
  const dur = Math.floor(rnd() * 900);
  const kind = rnd();
  let body: string;
  if (kind < 0.35) {
    body = `[${iso}] "${method} ${path} HTTP/1.1" ${status} - via_upstream - "-" 0 ${Math.floor(rnd() * 20000)} ${dur} ${dur - 1} "10.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.7" "Go-http-client/1.1" "${hex(rnd, 8)}-${hex(rnd, 4)}-${hex(rnd, 4)}" "${service}.prod.svc:8080" "10.1.4.${Math.floor(rnd() * 255)}:8080" outbound|8080||${service}.prod.svc.cluster.local`;
  } else if (kind < 0.55) {
    body = JSON.stringify({
      start_time: iso,
      method,
      path,
      protocol: "HTTP/2",
      response_code: status,
      response_flags: status >= 500 ? "UF" : "-",
      bytes_received: 0,
      bytes_sent: Math.floor(rnd() * 9000),
      duration: dur,
      upstream_cluster: `outbound|80||${service}.prod.svc.cluster.local`,
      x_forwarded_for: "-",
      request_id: `${hex(rnd, 8)}-${hex(rnd, 4)}`,
      traceparent: `00-${traceId}-${hex(rnd, 16)}-01`,
    });
  } else if (kind < 0.85) {
    body = JSON.stringify({
      ts: iso,
      level: status >= 500 ? "error" : "info",
      msg: pick(rnd, MSGS),
      service,
      user_id: user,
      order_id: `ord_${Math.floor(rnd() * 1e6)}`,
      latency_ms: dur,
      trace_id: traceId,
    });
  } else {
    body = `<${13 + Math.floor(rnd() * 8)}>1 ${iso} node-${Math.floor(rnd() * 12)} ${service} ${Math.floor(rnd() * 30000)} - - ${pick(rnd, MSGS)} user=${user} status=${status}`;
  }
  return { body, service, traceId, status, user };
}

/** A record for stream `labels` at `tsNs` with realistic body and attributes. */
export function sampleRecord(rnd: () => number, tenant: string, labels: Labels, tsNs: bigint): LogRecord {
  const l = sampleLine(rnd, Number(tsNs / 1_000_000n));
  const sev = l.status >= 500 ? 17 : l.status >= 400 ? 13 : 9;
  return {
    timestamp: tsNs,
    observedTimestamp: tsNs + BigInt(Math.floor(rnd() * 5_000_000)),
    severityNumber: sev,
    severityText: sev === 17 ? "ERROR" : sev === 13 ? "WARN" : "INFO",
    body: l.body,
    attributes: { "k8s.pod.name": `${l.service}-7d9f8-${Math.floor(rnd() * 20)}`, user_id: l.user, status: String(l.status) },
    resource: { "service.name": l.service, "k8s.namespace.name": "prod" },
    traceId: rnd() < 0.8 ? l.traceId : "",
    spanId: rnd() < 0.8 ? hex(rnd, 16) : "",
    tenant,
    labels,
  };
}

// Realistic service-mesh log lines for storage benchmarks: Envoy text and Istio JSON access logs, app JSON, syslog.
// Deterministic (seeded); `meshLine(tsMs)` returns the line and the fields a receiver would extract from it.

let seed = 42;
/** Restarts the generator (same seed, same lines). */
export function resetMeshLines(s = 42) {
  seed = s;
}
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const hex = (n) => { let s = ""; for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rnd() * 16)]; return s; };
const SERVICES = ["checkout", "payments", "cart", "catalog", "auth", "shipping", "frontend", "search", "inventory", "email"];
const PATHS = ["/api/v1/orders", "/api/v1/cart/items", "/healthz", "/api/v2/search", "/login", "/api/v1/payments/charge", "/static/app.js", "/api/v1/users/me"];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const STATUS = [200, 200, 200, 200, 200, 201, 204, 301, 400, 404, 500, 503];
const MSGS = ["request completed", "cache miss", "user logged in", "payment authorized", "retrying upstream", "connection reset by peer", "slow query detected", "order created"];
const UAS = ["Go-http-client/1.1", "okhttp/4.9.3", "Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1", "python-requests/2.31"];

/** One realistic line and the fields a receiver would extract from it. */
export function meshLine(tsMs) {
  const service = pick(SERVICES);
  const traceId = hex(32);
  const status = pick(STATUS);
  const user = `user-${Math.floor(rnd() * 20000)}`;
  const iso = new Date(tsMs).toISOString();
  const path = pick(PATHS);
  const method = pick(METHODS);
  const dur = Math.floor(rnd() * 900);
  const k = rnd();
  let body, source, tid = "";
  if (k < 0.3) {
    source = "envoy";
    body = `[${iso}] "${method} ${path} HTTP/1.1" ${status} ${status >= 500 ? "UF" : "-"} via_upstream - "-" 0 ${Math.floor(rnd() * 20000)} ${dur} ${Math.max(0, dur - 3)} "10.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.7" "${pick(UAS)}" "${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}" "${service}.prod.svc:8080" "10.1.4.${Math.floor(rnd() * 255)}:8080" outbound|8080||${service}.prod.svc.cluster.local`;
  } else if (k < 0.5) {
    source = "istio";
    tid = traceId;
    body = JSON.stringify({ start_time: iso, method, path, protocol: "HTTP/2", response_code: status, response_flags: status >= 500 ? "UF" : "-", bytes_received: 0, bytes_sent: Math.floor(rnd() * 9000), duration: dur, upstream_cluster: `outbound|80||${service}.prod.svc.cluster.local`, authority: `${service}.prod.svc`, x_forwarded_for: "-", user_agent: pick(UAS), request_id: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`, traceparent: `00-${traceId}-${hex(16)}-01` });
  } else if (k < 0.85) {
    source = "app";
    tid = traceId;
    body = JSON.stringify({ ts: iso, level: status >= 500 ? "error" : "info", msg: pick(MSGS), service, user_id: user, order_id: `ord_${Math.floor(rnd() * 1e6)}`, latency_ms: dur, trace_id: traceId });
  } else {
    source = "syslog";
    body = `<${13 + Math.floor(rnd() * 8)}>1 ${iso} node-${Math.floor(rnd() * 12)} ${service} ${Math.floor(rnd() * 30000)} - - ${pick(MSGS)} user=${user} status=${status}`;
  }
  return { body, service, source, traceId: tid, status };
}


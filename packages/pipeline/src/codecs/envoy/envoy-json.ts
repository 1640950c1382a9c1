// Envoy JSON access logs with Istio's and Consul's default keys (start_time, method, response_code, ...).

import type { ParsedBody } from "../body-format.js";
import { F, numberText, put, putTarget, withHttpSeverity } from "../access-log-fields.js";
import { putIstioCluster } from "../istio/istio-cluster.js";
import { parseRfc3339Fast } from "../fast-time.js";

type Obj = Record<string, unknown>;

/** True when a parsed JSON object looks like an Envoy access log entry (Istio/Consul default keys). */
export function isEnvoyJson(o: Obj): boolean {
  return "start_time" in o && "response_code" in o && ("method" in o || "upstream_cluster" in o || "bytes_sent" in o);
}

/** Which flavour an Envoy JSON entry is: Istio clusters hold `|`, Consul's end in `.consul`. */
export function envoyJsonFormatOf(o: Obj): "istio-json" | "consul-envoy" | "envoy-json" {
  const c = o.upstream_cluster;
  if (typeof c === "string") {
    if (c.includes("|")) return "istio-json";
    if (c.endsWith(".consul")) return "consul-envoy";
  }
  return "envoy-json";
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

/** Maps an Envoy JSON access-log object to fields; `format` forces the flavour (detected when omitted). */
export function parseEnvoyJsonObject(o: Obj, format?: "istio-json" | "consul-envoy" | "envoy-json"): ParsedBody {
  const f: Record<string, string> = {};
  put(f, F.method, str(o.method));
  putTarget(f, str(o.path));
  put(f, F.protocol, str(o.protocol));
  const code = numberText(o.response_code);
  if (code !== undefined && code !== "0") f[F.status] = code;
  put(f, F.responseFlags, str(o.response_flags));
  put(f, F.responseCodeDetails, str(o.response_code_details));
  put(f, F.terminationDetails, str(o.connection_termination_details));
  put(f, F.upstreamFailure, str(o.upstream_transport_failure_reason));
  put(f, F.bytesReceived, numberText(o.bytes_received));
  put(f, F.bytesSent, numberText(o.bytes_sent));
  put(f, F.durationMs, numberText(o.duration));
  put(f, F.upstreamServiceTimeMs, numberText(o.upstream_service_time));
  put(f, F.forwardedFor, str(o.x_forwarded_for));
  put(f, F.userAgent, str(o.user_agent));
  put(f, F.requestId, str(o.request_id));
  put(f, F.authority, str(o.authority));
  put(f, F.upstreamHost, str(o.upstream_host));
  putIstioCluster(f, str(o.upstream_cluster));
  put(f, F.upstreamLocalAddress, str(o.upstream_local_address));
  put(f, F.downstreamLocalAddress, str(o.downstream_local_address));
  put(f, F.clientAddress, str(o.downstream_remote_address));
  put(f, F.serverName, str(o.requested_server_name));
  put(f, F.routeName, str(o.route_name));
  const out: ParsedBody = { format: format ?? envoyJsonFormatOf(o), fields: f };
  const ts = typeof o.start_time === "string" ? parseRfc3339Fast(o.start_time) : undefined;
  if (ts !== undefined) out.timestamp = ts;
  return withHttpSeverity(out);
}

// Istio's default text access log (Envoy head + response details + upstream/downstream addresses).

import type { ParsedBody } from "../body-format.js";
import { F, put, withHttpSeverity } from "../access-log-fields.js";
import { readEnvoyHead, readEnvoyNumbers, readEnvoyQuotedTail } from "../envoy/envoy-text.js";
import { LineScanner } from "../line-scanner.js";
import { putIstioCluster } from "./istio-cluster.js";

/** Parses one line of Istio's EnvoyTextLogFormat; undefined when it is not one. */
export function parseIstioText(line: string): ParsedBody | undefined {
  const sc = new LineScanner(line);
  const head = readEnvoyHead(sc);
  if (head === undefined) return undefined;
  const f = head.fields;
  const details = sc.bare();
  const termination = sc.bare();
  const failure = sc.quoted();
  if (failure === undefined) return undefined;
  put(f, F.responseCodeDetails, details);
  put(f, F.terminationDetails, termination);
  put(f, F.upstreamFailure, failure);
  if (!readEnvoyNumbers(sc, f)) return undefined;
  if (!readEnvoyQuotedTail(sc, f)) return undefined;
  putIstioCluster(f, sc.bare());
  put(f, F.upstreamLocalAddress, sc.bare());
  put(f, F.downstreamLocalAddress, sc.bare());
  put(f, F.clientAddress, sc.bare());
  put(f, F.serverName, sc.bare());
  put(f, F.routeName, sc.bare());
  return withHttpSeverity({ format: "istio", fields: f, timestamp: head.timestamp });
}

// Istio's default text access log (Envoy head + response details + upstream/downstream addresses).

import type { ParsedBody } from "../body-format.js";
import { F, put, withHttpSeverity } from "../access-log-fields.js";
import { readEnvoyHead, readEnvoyNumbers, readEnvoyQuotedSection } from "../envoy/envoy-text.js";
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
  // The quoted section is followed by six bare tokens; split them off from the right.
  const rest = sc.rest().trimEnd();
  let cut = rest.length;
  for (let k = 0; k < 6; k++) {
    cut = rest.lastIndexOf(" ", cut - 1);
    if (cut < 0) return undefined;
  }
  if (!readEnvoyQuotedSection(rest.slice(0, cut).trimEnd(), f)) return undefined;
  const [cluster, upstreamLocal, downstreamLocal, downstreamRemote, sni, route] = rest.slice(cut + 1).split(" ");
  putIstioCluster(f, cluster);
  put(f, F.upstreamLocalAddress, upstreamLocal);
  put(f, F.downstreamLocalAddress, downstreamLocal);
  put(f, F.clientAddress, downstreamRemote);
  put(f, F.serverName, sni);
  put(f, F.routeName, route);
  return withHttpSeverity({ format: "istio", fields: f, timestamp: head.timestamp });
}

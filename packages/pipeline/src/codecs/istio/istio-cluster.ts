// Istio upstream cluster names `direction|port|subset|fqdn` split into attributes.

import { F, put } from "../access-log-fields.js";

/** Puts upstream.cluster and, for Istio's `outbound|9080|v1|reviews.default.svc.cluster.local`, its parts. */
export function putIstioCluster(fields: Record<string, string>, cluster: string | undefined): void {
  put(fields, F.upstreamCluster, cluster);
  if (cluster === undefined || cluster === "-") return;
  const parts = cluster.split("|");
  if (parts.length !== 4) return;
  put(fields, "upstream.direction", parts[0]);
  put(fields, "upstream.port", parts[1]);
  put(fields, "upstream.subset", parts[2]);
  put(fields, "upstream.service", parts[3]);
}

// Reads anomaly records of a tenant back (newest first), filtered by kind and by the caller's label scope.

import { MeshlogError } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import { queryParams } from "../../http/query-params.js";
import { scopeMatches, type ScopeMatcher } from "../auth/scope-selector.js";
import { anomalyViewOf, type AnomalyView } from "./anomaly-records.js";
import { ANOMALY_KINDS, DETECTOR_OF } from "./detectors.js";
import { AnomalyErrors } from "./errors.js";
import { isAnomalyStream } from "./window-scan.js";

export const MAX_ANOMALIES_LIMIT = 5000;
const DEFAULT_LIMIT = 100;
const PARAMS = new Set(["since", "start", "end", "kind", "limit"]);

export interface AnomalyFilter {
  /** Inclusive start, exclusive end, ns. */
  readonly start: bigint;
  readonly end: bigint;
  /** A kind (`mesh-5xx`) or a detector name (`mesh`). */
  readonly kind?: string;
  readonly limit: number;
}

const bad = (param: string, msg: string): never => {
  throw new MeshlogError(AnomalyErrors.ANOMALY_PARAM_INVALID, `${param}: ${msg}`, { details: { field: param } });
};

/** Parses the query string of GET /api/v1/anomalies; errors name the parameter. Default: the last hour, 100 anomalies. */
export function anomalyFilterOf(q: Readonly<Record<string, unknown>>, nowNs: bigint): AnomalyFilter {
  const p = queryParams(q, PARAMS, bad);
  const { start, end } = p.range(nowNs, 3600n * 1_000_000_000n);
  const kind = p.str("kind");
  const detectors = new Set(Object.values(DETECTOR_OF));
  if (kind !== undefined && !(ANOMALY_KINDS as readonly string[]).includes(kind) && !detectors.has(kind))
    bad("kind", `unknown kind "${kind.slice(0, 64)}" (kinds: ${ANOMALY_KINDS.join(", ")}; detectors: ${[...detectors].join(", ")})`);
  const limit = p.limit(DEFAULT_LIMIT, MAX_ANOMALIES_LIMIT);
  return { start, end, limit, ...(kind !== undefined ? { kind } : {}) };
}

/**
 * The anomalies of a tenant in [start, end), newest first. With `scope`, only anomalies about streams the scope
 * may read: the scope's matchers must match the affected stream's labels (as a scoped query would).
 */
export async function queryAnomalies(
  store: LogStore,
  tenant: string,
  f: AnomalyFilter,
  scope?: readonly ScopeMatcher[],
  signal?: AbortSignal,
): Promise<AnomalyView[]> {
  const streams = (await store.streams(tenant, f.start, f.end)).filter((s) => isAnomalyStream(s.labels));
  if (streams.length === 0) return [];
  const out: AnomalyView[] = [];
  const req = {
    tenant,
    streamIds: streams.map((s) => s.id),
    start: f.start,
    end: f.end,
    direction: "backward" as const,
    ...(signal !== undefined ? { signal } : {}),
  };
  for await (const batch of store.select(req)) {
    for (const { record } of batch) {
      const v = anomalyViewOf(record);
      if (v === undefined) continue;
      if (f.kind !== undefined && v.kind !== f.kind && v.detector !== f.kind) continue;
      if (scope !== undefined && !scopeMatches(scope, v.labels)) continue;
      out.push(v);
      if (out.length >= f.limit) return out;
    }
  }
  return out;
}

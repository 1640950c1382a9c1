// Per-tenant ingest rate limit (token bucket over record bytes) as an IngestWriter guard, and the guard
// that keeps every receiver from writing into the reserved audit tenant.

import { AUDIT_TENANT, MeshlogError, type Clock } from "@meshlog/core";
import { ServerErrors } from "../../errors.js";
import type { WriteGuard } from "../../ingest/ingest-writer.js";
import { KeyedTokenBuckets } from "./token-bucket.js";

/**
 * A guard refusing writes over `bytesPerSecond` per tenant (burst `burstBytes`, default 10 x the rate) with
 * INGEST_RATE_LIMITED and details.retryAfterSeconds (-> 429 + Retry-After). Undefined when the rate is 0.
 */
export function ingestRateLimitGuard(bytesPerSecond: number, burstBytes: number, clock: Clock): WriteGuard | undefined {
  if (bytesPerSecond <= 0) return undefined;
  const buckets = new KeyedTokenBuckets({
    ratePerSecond: bytesPerSecond,
    burst: burstBytes > 0 ? burstBytes : bytesPerSecond * 10,
    maxKeys: 100_000,
    nowMs: () => clock.nowMs(),
  });
  return (tenant, _records, bytes) => {
    const r = buckets.take(tenant, bytes);
    if (!r.ok) {
      throw new MeshlogError(
        ServerErrors.INGEST_RATE_LIMITED,
        `tenant "${tenant}" is over its ingest rate limit of ${bytesPerSecond} bytes/s (ingest.rateLimitBytesPerSecond); retry in ${r.retryAfterSeconds}s`,
        { details: { retryAfterSeconds: r.retryAfterSeconds } },
      );
    }
  };
}

/** Refuses writes into the audit tenant: only the audit sink writes there. */
export const auditTenantWriteGuard: WriteGuard = (tenant) => {
  if (tenant === AUDIT_TENANT)
    throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `tenant "${AUDIT_TENANT}" holds the audit trail and cannot be written by receivers`);
};

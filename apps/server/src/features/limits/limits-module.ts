// The limits feature module: installs the ingest guards (per-tenant rate limit, audit-tenant protection).
// Query concurrency is enforced at the HTTP edge (query-concurrency.ts).

import type { ServerModule } from "../../modules.js";
import { auditTenantWriteGuard, ingestRateLimitGuard } from "./ingest-rate-limit.js";

export const limitsModule: ServerModule = {
  name: "limits",
  deps: [],
  async start(ctx) {
    ctx.ingest.guard(auditTenantWriteGuard);
    const { rateLimitBytesPerSecond, burstBytes } = ctx.config.ingest;
    const rate = ingestRateLimitGuard(rateLimitBytesPerSecond, burstBytes, ctx.clock);
    if (rate !== undefined) ctx.ingest.guard(rate);
    return { async stop() {} };
  },
};

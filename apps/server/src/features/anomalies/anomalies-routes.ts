// GET /api/v1/anomalies: the anomalies the detector job wrote for the caller's tenant (analyst, auditor or admin),
// limited to the streams the caller's label scope may read; audited as a query.

import type { FastifyRequest } from "fastify";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import { parseScopeSelector } from "../auth/scope-selector.js";
import { anomalyFilterOf, queryAnomalies } from "./anomaly-query.js";

export const anomaliesRoutes: RouteModule = {
  name: "anomalies",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/anomalies", { config: { audit: "query.anomalies" } }, async (request: FastifyRequest) => {
      const p = requireRole(request, "analyst", "auditor");
      const f = anomalyFilterOf((request.query ?? {}) as Record<string, unknown>, ctx.clock.nowNs());
      const scope = p.scope !== undefined ? parseScopeSelector(p.scope) : undefined;
      const anomalies = await queryAnomalies(ctx.store, request.tenant, f, scope);
      request.auditDetails = { start: f.start.toString(), end: f.end.toString(), ...(f.kind !== undefined ? { kind: f.kind } : {}) };
      request.auditRows = anomalies.length;
      return { anomalies };
    });
  },
};

// GET /api/v1/audit: the audit trail for admins and auditors, with filters, as JSON or an NDJSON export.

import { MeshlogError } from "@meshlog/core";
import type { FastifyRequest } from "fastify";
import { queryParams } from "../../http/query-params.js";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import { SecurityErrors } from "../auth/errors.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";
import { queryAuditEvents, type AuditFilter, type StoredAuditEvent } from "../audit/audit-query.js";

const MAX_LIMIT = 100_000;
const QUERY_KEYS = new Set(["since", "start", "end", "principal", "action", "result", "tenant", "limit", "direction", "format"]);

const bad = (field: string, msg: string): never => {
  throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, `${field}: ${msg}`, { details: { field } });
};

/** Parses the audit query string into a filter; errors name the parameter. */
export function auditFilterOf(q: Record<string, unknown>, nowNs: bigint): AuditFilter & { format: "json" | "ndjson" } {
  const p = queryParams(q, QUERY_KEYS, bad);
  const str = p.str;
  const { start, end } = p.range(nowNs, 3600n * 1_000_000_000n);
  const limit = p.limit(1000, MAX_LIMIT);
  const direction = str("direction") ?? "backward";
  if (direction !== "forward" && direction !== "backward") bad("direction", "must be forward or backward");
  const format = str("format") ?? "json";
  if (format !== "json" && format !== "ndjson") bad("format", "must be json or ndjson");
  const result = str("result");
  if (result !== undefined && !["ok", "denied", "error"].includes(result)) bad("result", "must be ok, denied or error");
  const opt = (k: string): Record<string, string> => {
    const v = str(k);
    return v === undefined ? {} : { [k]: v };
  };
  return {
    start,
    end,
    limit,
    direction: direction as "forward" | "backward",
    format: format as "json" | "ndjson",
    ...opt("principal"),
    ...opt("action"),
    ...opt("tenant"),
    ...(result !== undefined ? { result } : {}),
  };
}

export const auditRoutes: RouteModule = {
  name: "admin-audit",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/audit", { config: { audit: "audit.query" } }, async (request: FastifyRequest, reply) => {
      const caller = requireRole(request, "admin", "auditor");
      const filter = auditFilterOf(request.query as Record<string, unknown>, ctx.clock.nowNs());
      // Auditors bound to some tenants see only those tenants' events (and tenant-less ones, e.g. failed logins).
      const visible = visibleTenantsOf(caller);
      await ctx.audit.flush();
      const abort = new AbortController();
      request.raw.once("close", () => abort.abort());
      const events: StoredAuditEvent[] = [];
      for await (const e of queryAuditEvents(ctx.store, { ...filter, ...(visible !== undefined ? { visibleTenants: visible } : {}), signal: abort.signal }))
        events.push(e);
      request.auditRows = events.length;
      request.auditDetails = Object.fromEntries(
        Object.entries({ principal: filter.principal, action: filter.action, tenant: filter.tenant, format: filter.format }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      );
      if (filter.format === "ndjson") {
        return reply
          .type("application/x-ndjson")
          .header("content-disposition", 'attachment; filename="meshlog-audit.ndjson"')
          .send(events.map((e) => JSON.stringify(e)).join("\n") + (events.length > 0 ? "\n" : ""));
      }
      return { events, count: events.length };
    });
  },
};

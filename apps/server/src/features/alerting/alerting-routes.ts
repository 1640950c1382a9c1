// Alerting admin API: notification receivers (admin; secrets redacted in every answer) and the incident timeline
// (analyst/auditor read, analyst acknowledges). The incident JSON shape is documented in docs/alerting.md.

import { isValidTenant, MeshlogError } from "@meshlog/core";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ServerErrors } from "../../errors.js";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import type { Principal } from "../auth/principal.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";
import { AlertingErrors } from "./errors.js";
import { receiverSchema, redactReceiver } from "./receiver-types.js";
import { alertingOf, alertVisibility, requireUnscopedAdmin } from "./ruler-routes.js";

const ackBody = z.object({ comment: z.string().max(2048).optional() }).strict();

/** The tenant a change targets: the body's (when the caller may act on it), else the request's. */
function targetTenant(request: FastifyRequest, caller: Principal, wanted: unknown): string {
  const tenant = typeof wanted === "string" ? wanted : request.tenant;
  if (!isValidTenant(tenant)) throw new MeshlogError(ServerErrors.TENANT_INVALID, `tenant ${JSON.stringify(tenant.slice(0, 64))} is not a valid tenant id`);
  const visible = visibleTenantsOf(caller);
  if (visible !== undefined && !visible.includes(tenant)) throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this token may not act on tenant ${tenant}`);
  return tenant;
}

/** Tenants a reader sees incidents of: the `tenant` query parameter (when visible), else every visible tenant. */
function incidentTenants(request: FastifyRequest, caller: Principal): readonly string[] | undefined {
  const q = (request.query ?? {}) as Record<string, unknown>;
  if (typeof q.tenant === "string" && q.tenant !== "") return [targetTenant(request, caller, q.tenant)];
  return visibleTenantsOf(caller);
}

function parseReceiver(body: unknown): { tenant?: string; receiver: z.infer<typeof receiverSchema> } {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new MeshlogError(AlertingErrors.ALERT_RECEIVER_INVALID, "invalid receiver: the body must be a JSON object", { details: { field: "body" } });
  const { tenant, ...rest } = body as Record<string, unknown>;
  if (tenant !== undefined && typeof tenant !== "string")
    throw new MeshlogError(AlertingErrors.ALERT_RECEIVER_INVALID, "invalid receiver: tenant: must be a string", { details: { field: "tenant" } });
  const r = receiverSchema.safeParse(rest);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : (issue?.path.join(".") ?? "") || "body";
    const msg = issue?.code === "unrecognized_keys" ? "unknown field" : (issue?.message ?? "invalid");
    throw new MeshlogError(AlertingErrors.ALERT_RECEIVER_INVALID, `invalid receiver: ${field}: ${msg}`, { details: { field } });
  }
  return { ...(tenant !== undefined ? { tenant } : {}), receiver: r.data };
}

export const alertingRoutes: RouteModule = {
  name: "alerting",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/alerting/receivers", { config: { audit: "alert.receiver.read" } }, async (request) => {
      const caller = requireRole(request, "admin");
      const visible = visibleTenantsOf(caller);
      const receivers = alertingOf(ctx)
        .receivers.list()
        .filter((r) => visible === undefined || visible.includes(r.tenant))
        .map(redactReceiver);
      request.auditRows = receivers.length;
      return { receivers };
    });

    app.post("/api/v1/alerting/receivers", { config: { audit: "alert.receiver.update" } }, async (request, reply) => {
      const caller = requireUnscopedAdmin(request, "alert receivers");
      const { tenant: wanted, receiver } = parseReceiver(request.body);
      const tenant = targetTenant(request, caller, wanted);
      const s = alertingOf(ctx);
      const replaced = s.receivers.put(tenant, receiver);
      request.auditDetails = { tenant, receiver: receiver.name, kind: receiver.kind, replaced, default: receiver.default };
      const saved = s.receivers.get(tenant, receiver.name);
      return reply.status(replaced ? 200 : 201).send(saved === undefined ? {} : redactReceiver(saved));
    });

    app.delete("/api/v1/alerting/receivers/:name", { config: { audit: "alert.receiver.delete" } }, async (request) => {
      const caller = requireUnscopedAdmin(request, "alert receivers");
      const name = (request.params as { name: string }).name;
      const tenant = targetTenant(request, caller, ((request.query ?? {}) as Record<string, unknown>).tenant);
      alertingOf(ctx).receivers.delete(tenant, name);
      request.auditDetails = { tenant, receiver: name.slice(0, 100) };
      return { deleted: name };
    });

    app.get("/api/v1/alerting/incidents", { config: { audit: "alert.incident.read" } }, async (request) => {
      const caller = requireRole(request, "analyst", "auditor");
      const q = (request.query ?? {}) as Record<string, unknown>;
      const status = q.status;
      if (status !== undefined && status !== "firing" && status !== "resolved")
        throw new MeshlogError(ServerErrors.REQUEST_INVALID, `status: must be firing or resolved, got ${JSON.stringify(String(status).slice(0, 32))}`);
      const limit = q.limit === undefined ? 1000 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new MeshlogError(ServerErrors.REQUEST_INVALID, "limit: must be an integer from 1 to 100000");
      const see = alertVisibility(request);
      const incidents = alertingOf(ctx).incidents.list(incidentTenants(request, caller), {
        limit,
        match: (i) => see(i.labels),
        ...(typeof status === "string" ? { status } : {}),
      });
      request.auditRows = incidents.length;
      return { incidents };
    });

    app.get("/api/v1/alerting/incidents/:id", { config: { audit: "alert.incident.read" } }, async (request) => {
      const caller = requireRole(request, "analyst", "auditor");
      const id = (request.params as { id: string }).id;
      const inc = alertingOf(ctx).incidents.get(id);
      const visible = visibleTenantsOf(caller);
      if (inc === undefined || (visible !== undefined && !visible.includes(inc.tenant)) || !alertVisibility(request)(inc.labels))
        throw new MeshlogError(AlertingErrors.ALERT_INCIDENT_NOT_FOUND, `no incident has id ${JSON.stringify(id.slice(0, 100))}`);
      request.auditRows = 1;
      return inc;
    });

    app.post("/api/v1/alerting/incidents/:id/ack", { config: { audit: "alert.incident.ack" } }, async (request) => {
      const caller = requireRole(request, "analyst");
      const id = (request.params as { id: string }).id;
      const body = ackBody.safeParse(request.body ?? {});
      if (!body.success)
        throw new MeshlogError(
          ServerErrors.REQUEST_INVALID,
          `invalid acknowledgement: ${body.error.issues[0]?.path.join(".") || "body"}: ${body.error.issues[0]?.message ?? ""}`,
        );
      const s = alertingOf(ctx);
      const existing = s.incidents.get(id);
      if (existing !== undefined && !alertVisibility(request)(existing.labels))
        throw new MeshlogError(AlertingErrors.ALERT_INCIDENT_NOT_FOUND, `no incident has id ${JSON.stringify(id.slice(0, 100))}`);
      const { incident, changed } = s.acknowledge(id, visibleTenantsOf(caller), caller.id, body.data.comment);
      request.auditDetails = { incident: incident.id, tenant: incident.tenant, rule: incident.rule, changed };
      return incident;
    });
  },
};

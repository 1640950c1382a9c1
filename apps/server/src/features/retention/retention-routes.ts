// Admin API of retention: policies, legal holds, deletions (also Loki's delete API), certificates, on-demand retention and compaction runs.

import { isValidTenant, MeshlogError, parseTimestampNs } from "@meshlog/core";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import type { Principal } from "../auth/principal.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";
import { RetentionErrors } from "@meshlog/storage";
import { RetentionServerErrors } from "./errors.js";
import { RETENTION_SERVICE, type RetentionService } from "./retention-service.js";
import { registerLokiDeleteRoutes } from "./loki-delete-routes.js";
import { parseDeleteQuery } from "./delete-query.js";

const policyBody = z
  .object({
    tenant: z.string().optional(),
    default: z.string().optional(),
    rules: z.array(z.object({ selector: z.string(), retention: z.string() }).strict()).max(256),
  })
  .strict();

const holdBody = z
  .object({
    tenant: z.string().optional(),
    selector: z.string().max(4096),
    reason: z.string().max(2048),
    until: z.string().max(64).optional(),
  })
  .strict();

const deletionBody = z
  .object({
    tenant: z.string().optional(),
    selector: z.string().max(4096).optional(),
    /** LogQL selector with line filters (`{app="x"} |= "secret"`): only matching lines are removed. */
    query: z.string().max(4096).optional(),
    start: z.string().max(64),
    end: z.string().max(64),
    reason: z.string().max(2048),
  })
  .strict();

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.join(".") ?? "";
  const msg = issue?.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : `${field || "body"}: ${issue?.message ?? "invalid"}`;
  throw new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, `Invalid ${what}: ${msg}`, { details: { field } });
}

function serviceOf(ctx: ServerContext): RetentionService {
  const s = ctx.services.get(RETENTION_SERVICE) as RetentionService | undefined;
  if (s === undefined)
    throw new MeshlogError(RetentionServerErrors.RETENTION_UNAVAILABLE, "Retention management is not available: the store is not the embedded engine");
  return s;
}

/** The tenant a change targets: the body's (when the caller may act on it), else the request's. */
function targetTenant(request: FastifyRequest, caller: Principal, wanted: string | undefined): string {
  const tenant = wanted ?? request.tenant;
  if (!isValidTenant(tenant)) throw new MeshlogError(ServerErrors.TENANT_INVALID, `tenant ${JSON.stringify(tenant)} is not a valid tenant id`);
  const visible = visibleTenantsOf(caller);
  if (visible !== undefined && !visible.includes(tenant)) throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this token may not act on tenant ${tenant}`);
  return tenant;
}

const visibleFilter = (caller: Principal) => {
  const visible = visibleTenantsOf(caller);
  return (tenant: string): boolean => visible === undefined || visible.includes(tenant);
};

export const retentionRoutes: RouteModule = {
  name: "retention",
  body: "json",
  register(app, ctx) {
    registerLokiDeleteRoutes(app, ctx);
    app.get("/api/v1/retention/policies", { config: { audit: "retention.policy.read" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const s = serviceOf(ctx);
      const see = visibleFilter(caller);
      const policies = s.policies.list().filter((p) => see(p.tenant));
      request.auditRows = policies.length;
      return { defaultRetention: `${s.policies.settings.defaultDays}d`, auditWindowDays: s.policies.settings.auditWindowDays, policies };
    });

    app.put("/api/v1/retention/policies", { config: { audit: "retention.policy.update" } }, async (request) => {
      const caller = requireRole(request, "admin");
      const body = parseBody(policyBody, request.body, "retention policy");
      const tenant = targetTenant(request, caller, body.tenant);
      const policy = await serviceOf(ctx).setPolicy(tenant, { ...(body.default === undefined ? {} : { default: body.default }), rules: body.rules }, caller.id);
      request.auditDetails = { tenant, version: policy.version, rules: policy.rules.length, default: policy.default ?? "" };
      return policy;
    });

    app.post("/api/v1/retention/run", { config: { audit: "retention.run" } }, async (request) => {
      requireRole(request, "admin");
      const report = await serviceOf(ctx).run();
      request.auditRows = report.deletedBlocks;
      request.auditDetails = { deletedBlocks: report.deletedBlocks, destroyedKeks: report.destroyedKeks.length, certificates: report.certificates.length };
      return report;
    });

    app.post("/api/v1/compaction/run", { config: { audit: "compaction.run" } }, async (request) => {
      requireRole(request, "admin");
      const r = await serviceOf(ctx).compact();
      request.auditRows = r.sourceBlocks;
      request.auditDetails = { tenants: r.tenants, merged: r.merged, sourceBlocks: r.sourceBlocks, newBlocks: r.newBlocks };
      return {
        tenants: r.tenants,
        merged: r.merged,
        sourceBlocks: r.sourceBlocks,
        newBlocks: r.newBlocks,
        records: r.records,
        bytesBefore: r.bytesBefore,
        bytesAfter: r.bytesAfter,
        heldBlocks: r.heldBlocks,
      };
    });

    app.post("/api/v1/holds", { config: { audit: "hold.create" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      const body = parseBody(holdBody, request.body, "legal hold");
      const tenant = targetTenant(request, caller, body.tenant);
      const hold = await serviceOf(ctx).placeHold({
        tenant,
        selector: body.selector,
        reason: body.reason,
        principal: caller.id,
        ...(body.until === undefined ? {} : { until: body.until }),
      });
      request.auditDetails = { hold: hold.id, tenant, selector: hold.selector.slice(0, 200) };
      return reply.status(201).send(hold);
    });

    app.get("/api/v1/holds", { config: { audit: "hold.list" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const s = serviceOf(ctx);
      const see = visibleFilter(caller);
      const holds = s.holds
        .list()
        .filter((h) => see(h.tenant))
        .map((h) => ({ ...h, active: s.holds.isActive(h) }));
      request.auditRows = holds.length;
      return { holds };
    });

    app.delete("/api/v1/holds/:id", { config: { audit: "hold.release" } }, async (request) => {
      const caller = requireRole(request, "admin");
      const id = (request.params as { id: string }).id;
      const s = serviceOf(ctx);
      const existing = s.holds.get(id);
      if (existing === undefined || !visibleFilter(caller)(existing.tenant))
        throw new MeshlogError(ServerErrors.NOT_FOUND, `No legal hold has id ${JSON.stringify(id.slice(0, 100))}`);
      const hold = await s.releaseHold(id, caller.id);
      request.auditDetails = { hold: id, tenant: hold.tenant };
      return hold;
    });

    app.get("/api/v1/deletions", { config: { audit: "deletion.list" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const visible = visibleTenantsOf(caller);
      const certificates = await serviceOf(ctx).certificates.list(visible);
      request.auditRows = certificates.length;
      return { certificates };
    });

    app.post("/api/v1/deletions", { config: { audit: "deletion.request" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      const body = parseBody(deletionBody, request.body, "deletion request");
      const tenant = targetTenant(request, caller, body.tenant);
      const time = (k: "start" | "end", v: string): bigint => {
        try {
          return parseTimestampNs(v, k);
        } catch (e) {
          throw new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, `Invalid deletion request: ${k}: ${(e as Error).message}`, {
            details: { field: k },
          });
        }
      };
      let selector = body.selector;
      let query: string | undefined;
      if (body.query !== undefined) {
        try {
          const parsed = parseDeleteQuery(body.query);
          if (selector !== undefined) throw new Error("give either selector or query, not both");
          selector = parsed.selector;
          query = parsed.query;
        } catch (e) {
          throw new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, `Invalid deletion request: query: ${(e as Error).message}`, {
            details: { field: "query" },
          });
        }
      }
      if (selector === undefined)
        throw new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, "Invalid deletion request: selector (or query) is required", {
          details: { field: "selector" },
        });
      const out = await serviceOf(ctx).deletionRequest({
        tenant,
        selector,
        ...(query === undefined ? {} : { query }),
        start: time("start", body.start),
        end: time("end", body.end),
        reason: body.reason,
        principal: caller.id,
      });
      request.auditRows = out.request.droppedRecords ?? 0;
      request.auditDetails = {
        request: out.request.id,
        tenant,
        selector: (body.query ?? selector).slice(0, 200),
        ...(out.certificate === undefined ? {} : { certificate: out.certificate.id }),
      };
      return reply.status(200).send(out);
    });

    app.get("/api/v1/deletions/:id", { config: { audit: "deletion.read" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const id = (request.params as { id: string }).id;
      const cert = await serviceOf(ctx).certificates.get(id);
      if (!visibleFilter(caller)(cert.tenant))
        throw new MeshlogError(ServerErrors.NOT_FOUND, `No deletion certificate has id ${JSON.stringify(id.slice(0, 100))}`);
      request.auditDetails = { certificate: id };
      return cert;
    });
  },
};

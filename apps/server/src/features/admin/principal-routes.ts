// Admin API for principals (users, service accounts): /api/v1/principals CRUD, with their tokens for access review.

import { MeshlogError } from "@meshlog/core";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import { SecurityErrors } from "../auth/errors.js";
import type { PrincipalRecord } from "../auth/principal-store.js";
import { parseInput, principalCreateSchema, principalUpdateSchema } from "../auth/security-input.js";
import type { TokenView } from "../auth/token-store.js";
import { checkGrant, mayActOn } from "./grant-rules.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";
import { securityServices } from "./token-routes.js";

type TokenSummary = Pick<TokenView, "id" | "name" | "tenant" | "roles" | "createdAt" | "expiresAt" | "lastUsedAt" | "revoked" | "expired">;

const summary = (t: TokenView): TokenSummary => ({
  id: t.id,
  name: t.name,
  tenant: t.tenant,
  roles: t.roles,
  createdAt: t.createdAt,
  revoked: t.revoked,
  expired: t.expired,
  ...(t.expiresAt !== undefined ? { expiresAt: t.expiresAt } : {}),
  ...(t.lastUsedAt !== undefined ? { lastUsedAt: t.lastUsedAt } : {}),
});

export const principalRoutes: RouteModule = {
  name: "admin-principals",
  body: "json",
  register(app, ctx) {
    const withTokens = (p: PrincipalRecord, all: readonly TokenView[]): PrincipalRecord & { tokens: TokenSummary[] } => ({
      ...p,
      tokens: all.filter((t) => t.principalId === p.id).map(summary),
    });

    app.get("/api/v1/principals", { config: { audit: "principal.list" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const visible = visibleTenantsOf(caller);
      const seen = (tenant: string): boolean => visible === undefined || visible.includes(tenant);
      const { principals, tokens } = securityServices(ctx);
      const all = tokens.list().filter((t) => seen(t.tenant));
      const stored = principals.list();
      const known = new Set(stored.map((p) => p.id));
      // Standalone tokens act as their own service principal: list them so the access review is complete.
      const implicit: PrincipalRecord[] = all
        .filter((t) => !known.has(t.principalId))
        .map((t) => ({
          id: t.principalId,
          name: t.name,
          kind: "service",
          tenant: t.tenant,
          roles: t.roles,
          tenants: t.tenants,
          disabled: t.revoked,
          createdAt: t.createdAt,
          createdBy: t.createdBy,
          updatedAt: t.revokedAt ?? t.createdAt,
          updatedBy: t.revokedBy ?? t.createdBy,
          ...(t.scope !== undefined ? { scope: t.scope } : {}),
        }));
      const list = [...stored, ...implicit].filter((p) => seen(p.tenant)).map((p) => withTokens(p, all));
      request.auditRows = list.length;
      return { principals: list };
    });

    app.get<{ Params: { id: string } }>("/api/v1/principals/:id", { config: { audit: "principal.get" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const visible = visibleTenantsOf(caller);
      const { principals, tokens } = securityServices(ctx);
      const p = principals.get(request.params.id);
      if (p === undefined || (visible !== undefined && !visible.includes(p.tenant)))
        throw new MeshlogError(SecurityErrors.SECURITY_PRINCIPAL_NOT_FOUND, `no principal with id "${request.params.id}"`);
      request.auditRows = 1;
      return withTokens(
        p,
        tokens.list().filter((t) => visible === undefined || visible.includes(t.tenant)),
      );
    });

    app.post("/api/v1/principals", { config: { audit: "principal.create" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      const input = parseInput(principalCreateSchema, request.body, "principal");
      const scope = checkGrant(caller, {
        tenant: input.tenant,
        roles: input.roles,
        ...(input.tenants !== undefined ? { tenants: input.tenants } : {}),
        scope: input.scope,
      });
      const { scope: _s, ...rest } = input;
      const rec = securityServices(ctx).principals.create({ ...rest, ...(scope !== undefined ? { scope } : {}) }, caller.id);
      request.auditDetails = { principalId: rec.id, principalRoles: rec.roles.join(","), principalTenant: rec.tenant };
      request.auditRows = 1;
      return reply.status(201).send(rec);
    });

    app.patch<{ Params: { id: string } }>("/api/v1/principals/:id", { config: { audit: "principal.update" } }, async (request) => {
      const caller = requireRole(request, "admin");
      const { principals } = securityServices(ctx);
      request.auditDetails = { principalId: request.params.id.slice(0, 128) };
      const patch = parseInput(principalUpdateSchema, request.body, "principal");
      const cur = principals.get(request.params.id);
      if (cur === undefined || !mayActOn(caller, cur.tenant))
        throw new MeshlogError(SecurityErrors.SECURITY_PRINCIPAL_NOT_FOUND, `no principal with id "${request.params.id}"`);
      const nextScope = patch.scope === null ? undefined : (patch.scope ?? cur.scope);
      const scope = checkGrant(caller, {
        tenant: patch.tenant ?? cur.tenant,
        roles: patch.roles ?? cur.roles,
        tenants: patch.tenants ?? cur.tenants,
        scope: nextScope,
      });
      const rec = principals.update(request.params.id, { ...patch, scope: scope ?? null }, caller.id);
      request.auditDetails = { principalId: rec.id, changed: Object.keys(patch).join(",") };
      request.auditRows = 1;
      return rec;
    });

    app.delete<{ Params: { id: string } }>("/api/v1/principals/:id", { config: { audit: "principal.delete" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      const { principals, tokens } = securityServices(ctx);
      request.auditDetails = { principalId: request.params.id.slice(0, 128) };
      const cur = principals.get(request.params.id);
      if (cur !== undefined && !mayActOn(caller, cur.tenant))
        throw new MeshlogError(SecurityErrors.SECURITY_PRINCIPAL_NOT_FOUND, `no principal with id "${request.params.id}"`);
      principals.delete(request.params.id);
      // Revoke its tokens so a later principal with the same id does not inherit them.
      let revoked = 0;
      for (const t of tokens.list()) {
        if (t.principalId === request.params.id && !t.revoked) {
          tokens.revoke(t.id, caller.id);
          revoked++;
        }
      }
      request.auditDetails = { principalId: request.params.id.slice(0, 128), tokensRevoked: revoked };
      return reply.status(204).send();
    });
  },
};

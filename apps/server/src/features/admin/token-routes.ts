// Admin API for API tokens (DESIGN §9): POST/GET /api/v1/tokens, DELETE /api/v1/tokens/:id, and GET /api/v1/whoami.

import { MeshlogError } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import { principalOf, requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import { SecurityErrors } from "../auth/errors.js";
import { securityOf, type SecurityServices } from "../auth/security-module.js";
import { expiresInNs, parseInput, tokenCreateSchema } from "../auth/security-input.js";
import { checkGrant, mayActOn } from "./grant-rules.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";

/** The security services; 404 when the security module is not running. */
export function securityServices(ctx: ServerContext): SecurityServices {
  const s = securityOf(ctx);
  if (s === undefined) throw new MeshlogError(ServerErrors.NOT_FOUND, "token management is not enabled on this server");
  return s;
}

export const tokenRoutes: RouteModule = {
  name: "admin-tokens",
  body: "json",
  register(app, ctx) {
    app.post("/api/v1/tokens", { config: { audit: "token.create" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      const { tokens, principals } = securityServices(ctx);
      const input = parseInput(tokenCreateSchema, request.body, "token");
      if (input.principal !== undefined) {
        const owner = principals.get(input.principal);
        if (owner === undefined)
          throw new MeshlogError(SecurityErrors.SECURITY_FIELD_INVALID, `principal: no principal with id "${input.principal}"`, {
            details: { field: "principal" },
          });
        const extra = owner.roles.includes("admin") ? [] : input.roles.filter((r) => !owner.roles.includes(r));
        if (extra.length > 0)
          throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, `roles: principal "${owner.id}" does not hold ${extra.join(", ")}`);
        if (!mayActOn(owner, input.tenant))
          throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, `tenant: principal "${owner.id}" may not act on tenant "${input.tenant}"`);
      }
      const scope = checkGrant(caller, {
        tenant: input.tenant,
        roles: input.roles,
        ...(input.tenants !== undefined ? { tenants: input.tenants } : {}),
        scope: input.scope,
      });
      const { record, token } = tokens.create(
        {
          tenant: input.tenant,
          roles: input.roles,
          ...(scope !== undefined ? { scope } : {}),
          ...(input.tenants !== undefined ? { tenants: input.tenants } : {}),
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.principal !== undefined ? { principalId: input.principal } : {}),
          ...(input.expiresIn !== undefined ? { expiresInNs: expiresInNs(input.expiresIn) } : {}),
        },
        caller.id,
      );
      request.auditDetails = {
        tokenId: record.id,
        tokenTenant: record.tenant,
        tokenRoles: record.roles.join(","),
        ...(scope !== undefined ? { tokenScope: scope } : {}),
      };
      request.auditRows = 1;
      const { hash: _hash, ...shown } = record;
      return reply.status(201).send({ ...shown, token });
    });

    app.get("/api/v1/tokens", { config: { audit: "token.list" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const visible = visibleTenantsOf(caller);
      const list = securityServices(ctx)
        .tokens.list()
        .filter((t) => visible === undefined || visible.includes(t.tenant));
      request.auditRows = list.length;
      return { tokens: list };
    });

    app.get<{ Params: { id: string } }>("/api/v1/tokens/:id", { config: { audit: "token.get" } }, async (request) => {
      const caller = requireRole(request, "admin", "auditor");
      const visible = visibleTenantsOf(caller);
      const t = securityServices(ctx).tokens.get(request.params.id);
      if (t === undefined || (visible !== undefined && !visible.includes(t.tenant)))
        throw new MeshlogError(SecurityErrors.SECURITY_TOKEN_NOT_FOUND, `no token with id "${request.params.id}"`);
      request.auditRows = 1;
      return t;
    });

    app.delete<{ Params: { id: string } }>("/api/v1/tokens/:id", { config: { audit: "token.revoke" } }, async (request, reply) => {
      const caller = requireRole(request, "admin");
      request.auditDetails = { tokenId: request.params.id.slice(0, 64) };
      const { tokens } = securityServices(ctx);
      const t = tokens.get(request.params.id);
      if (t !== undefined && !mayActOn(caller, t.tenant))
        throw new MeshlogError(SecurityErrors.SECURITY_TOKEN_NOT_FOUND, `no token with id "${request.params.id}"`);
      tokens.revoke(request.params.id, caller.id);
      return reply.status(204).send();
    });

    app.get("/api/v1/whoami", { config: { audit: "whoami" } }, async (request) => {
      const p = principalOf(request);
      return {
        id: p.id,
        name: p.name,
        kind: p.kind,
        roles: p.roles,
        tenant: request.tenant,
        homeTenant: p.tenant,
        tenants: p.tenants,
        ...(p.scope !== undefined ? { scope: p.scope } : {}),
        ...(p.tokenId !== undefined ? { tokenId: p.tokenId } : {}),
        ...(request.credentialKind !== undefined ? { credential: request.credentialKind } : {}),
      };
    });
  },
};

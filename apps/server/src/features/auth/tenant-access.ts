// Tenant visibility of a principal for cross-tenant views (metrics, access review, audit trail).

import type { FastifyRequest } from "fastify";
import { MeshlogError } from "@meshlog/core";
import { ServerErrors } from "../../errors.js";
import { principalOf } from "../../http/request-auth.js";
import type { Principal } from "./principal.js";

/** Tenants whose objects a principal may see in cross-tenant listings; undefined = all ("*"). */
export function visibleTenantsOf(p: Pick<Principal, "tenant" | "tenants">): readonly string[] | undefined {
  return p.tenants === "*" ? undefined : [p.tenant, ...p.tenants];
}

/**
 * For views that span every tenant (e.g. /metrics, whose series are labelled by tenant): throws
 * AUTH_FORBIDDEN unless the principal may act on all tenants (tenants: "*").
 */
export function requireAllTenants(request: FastifyRequest, what: string): Principal {
  const p = principalOf(request);
  if (p.tenants !== "*")
    throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `${what} spans all tenants: it needs a token allowed on every tenant (tenants: "*")`);
  return p;
}

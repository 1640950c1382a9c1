// What a caller may grant: no roles, tenants or scope beyond its own (no privilege escalation via tokens or principals).

import { MeshlogError } from "@meshlog/core";
import { SecurityErrors } from "../auth/errors.js";
import { hasRole, type Principal, type Role } from "../auth/principal.js";
import { intersectScopes } from "../auth/scope-selector.js";

/** Tenants a principal may act on: its own and its X-Scope-OrgID list ("*" = any). */
export function mayActOn(p: Pick<Principal, "tenant" | "tenants">, tenant: string): boolean {
  return p.tenant === tenant || p.tenants === "*" || p.tenants.includes(tenant);
}

/**
 * Checks a grant against the caller and returns the effective scope (the caller's scope is always kept:
 * a scoped caller only grants narrower access). Throws SECURITY_GRANT_FORBIDDEN naming what is missing.
 */
export function checkGrant(
  caller: Principal,
  grant: { tenant: string; roles: readonly Role[]; tenants?: readonly string[] | "*"; scope?: string | undefined },
): string | undefined {
  const missing = grant.roles.filter((r) => !hasRole(caller, r));
  if (missing.length > 0)
    throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, `roles: the caller does not hold ${missing.join(", ")} and cannot grant it`);
  if (!mayActOn(caller, grant.tenant))
    throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, `tenant: the caller may not act on tenant "${grant.tenant}"`);
  if (grant.tenants !== undefined) {
    if (grant.tenants === "*" && caller.tenants !== "*")
      throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, 'tenants: only a caller allowed on every tenant can grant "*"');
    if (grant.tenants !== "*") {
      const bad = grant.tenants.filter((t) => !mayActOn(caller, t));
      if (bad.length > 0) throw new MeshlogError(SecurityErrors.SECURITY_GRANT_FORBIDDEN, `tenants: the caller may not act on ${bad.join(", ")}`);
    }
  }
  return intersectScopes(caller.scope, grant.scope);
}

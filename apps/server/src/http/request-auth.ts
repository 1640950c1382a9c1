// Per-request identity: extracts credentials from every header form clients use and resolves the tenant.

import type { FastifyRequest } from "fastify";
import { isValidTenant, MeshlogError } from "@meshlog/core";
import { ServerErrors } from "../errors.js";
import { hasRole, type CredentialKind, type Principal, type Role } from "../features/auth/principal.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook on every non-public route. */
    principal: Principal | undefined;
    /** Tenant the request acts on (the principal's, or X-Scope-OrgID when allowed). */
    tenant: string;
  }
}

/** Name of the HttpOnly cookie that carries the web UI's session. */
export const SESSION_COOKIE = "meshlog_session";

/** The session cookie's value, or undefined. */
export function sessionCookie(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = decodeURIComponent(part.slice(eq + 1).trim());
      return v === "" ? undefined : v;
    }
  }
  return undefined;
}

/**
 * Finds the secret a client presented: Bearer, Basic (password, or user when no password), ApiKey, DD-API-KEY,
 * or the UI session cookie (writes with the cookie must carry the X-Meshlog-UI header: CSRF guard).
 */
export function extractCredential(request: FastifyRequest): { secret: string; kind: CredentialKind } | undefined {
  const h = request.headers;
  const auth = typeof h.authorization === "string" ? h.authorization.trim() : "";
  if (auth !== "") {
    const sp = auth.indexOf(" ");
    const scheme = (sp < 0 ? auth : auth.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? "" : auth.slice(sp + 1).trim();
    if (scheme === "bearer" && value !== "") return { secret: value, kind: "bearer" };
    if (scheme === "basic" && value !== "") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const pass = colon < 0 ? "" : decoded.slice(colon + 1);
      return { secret: pass !== "" ? pass : user, kind: "basic" };
    }
    if (scheme === "apikey" && value !== "") {
      // Elasticsearch ApiKey: base64("id:key"); meshlog tokens may be sent as the key, or raw.
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return { secret: colon > 0 && /^[\x20-\x7e]+$/.test(decoded) ? decoded.slice(colon + 1) : value, kind: "apikey" };
    }
  }
  for (const name of ["dd-api-key", "x-api-key"]) {
    const v = h[name];
    if (typeof v === "string" && v.trim() !== "") return { secret: v.trim(), kind: name === "dd-api-key" ? "dd-api-key" : "apikey" };
  }
  const session = sessionCookie(typeof h.cookie === "string" ? h.cookie : undefined);
  if (session !== undefined) {
    const safe = request.method === "GET" || request.method === "HEAD" || h["x-meshlog-ui"] === "1";
    if (safe && sameOrigin(h.origin, h.host)) return { secret: session, kind: "bearer" };
  }
  return undefined;
}

/** True when there is no Origin header (same-origin navigation) or it names the host the request was sent to. */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || origin === "") return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Tenant for a principal and an optional X-Scope-OrgID header value; throws when not allowed. */
export function resolveTenant(principal: Principal, header: string | string[] | undefined): string {
  const requested = Array.isArray(header) ? header[0] : header;
  if (requested === undefined || requested.trim() === "" || requested === principal.tenant) return principal.tenant;
  const t = requested.trim();
  if (!isValidTenant(t))
    throw new MeshlogError(ServerErrors.TENANT_INVALID, `X-Scope-OrgID "${t.slice(0, 64)}" is not a valid tenant id (letters, digits, _ . -; at most 64)`);
  if (principal.tenants === "*" || principal.tenants.includes(t)) return t;
  throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this token may not act on tenant "${t}" (X-Scope-OrgID)`);
}

/** The authenticated principal of a request; throws when the route was reached without one. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new MeshlogError(ServerErrors.AUTH_MISSING, "authentication required");
  return request.principal;
}

/** Throws AUTH_FORBIDDEN unless the principal has one of the roles (admin has all). */
export function requireRole(request: FastifyRequest, ...roles: Role[]): Principal {
  const p = principalOf(request);
  if (!hasRole(p, ...roles)) {
    throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this action needs the role ${roles.join(" or ")}; the token has ${p.roles.join(", ") || "no roles"}`);
  }
  return p;
}

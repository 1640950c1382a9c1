// Identifies callers from request headers or a verified client certificate, with per-address throttling of
// failures and an audit event for every refusal. Shared by the HTTP hook and WebSocket upgrade handlers.

import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { FastifyRequest } from "fastify";
import { AUDIT_TENANT, MeshlogError } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import { extractCredential, resolveTenant } from "../../http/request-auth.js";
import { KeyedTokenBuckets } from "../limits/token-bucket.js";
import type { ConcurrencyTracker } from "../limits/query-concurrency.js";
import { clientCertIdentities } from "../tls/tls-options.js";
import { hasRole, type CredentialKind, type Principal } from "./principal.js";
import { securityOf } from "./security-module.js";

/** ctx.services key of the {@link CallerAuth} of the running server. */
export const CALLER_AUTH_SERVICE = "auth.callers";

/** Where a request comes from (enough to authenticate it and to audit a refusal). */
export interface CallerInfo {
  readonly ip: string;
  readonly method: string;
  readonly route: string;
  readonly headers: IncomingHttpHeaders;
  /** The connection (a TLSSocket carries the client certificate). */
  readonly socket: unknown;
  readonly requestId?: string;
}

/**
 * The throttling key of an address: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64 prefix, since one
 * client usually holds a whole /64.
 */
export function throttleKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n) + "…" : s);

export class CallerAuth {
  readonly #ctx: ServerContext;
  readonly #failures: KeyedTokenBuckets | undefined;
  readonly #counter: ReturnType<ServerContext["metrics"]["counter"]>;

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
    const { authFailureBurst, authFailureRefillPerMinute } = ctx.config.security;
    this.#failures =
      authFailureBurst > 0
        ? new KeyedTokenBuckets({ burst: authFailureBurst, ratePerSecond: authFailureRefillPerMinute / 60, maxKeys: 50_000, nowMs: () => ctx.clock.nowMs() })
        : undefined;
    this.#counter = ctx.metrics.counter("meshlog_auth_failures_total", "Failed authentications, by reason.");
  }

  /** Seconds the address must wait before its next attempt (0: it may try now). */
  waitSeconds(address: string): number {
    return this.#failures?.waitSeconds(throttleKey(address)) ?? 0;
  }

  /** Records a failed attempt of the address (for routes that check credentials themselves). */
  fail(address: string): void {
    this.#failures?.take(throttleKey(address));
  }

  /**
   * The principal behind a request: its token (any header form) or, without one, a verified client certificate
   * mapped in security.clientCertPrincipals. Throws AUTH_MISSING / AUTH_INVALID / AUTH_RATE_LIMITED after
   * recording an audit event; never logs or echoes the secret.
   */
  async identify(info: CallerInfo): Promise<{ principal: Principal; kind: CredentialKind }> {
    const cred = extractCredential({ headers: info.headers, method: info.method } as FastifyRequest);
    if (cred !== undefined) {
      const wait = this.waitSeconds(info.ip);
      if (wait > 0) {
        this.#counter.inc({ reason: "rate_limited" });
        this.#deny(info, "auth.rate_limited", 429, { credential: cred.kind });
        throw new MeshlogError(ServerErrors.AUTH_RATE_LIMITED, `too many failed authentication attempts from ${info.ip}; retry in ${wait}s`, {
          details: { retryAfterSeconds: wait },
        });
      }
      const principal = await this.#ctx.auth.authenticate(cred.secret, cred.kind);
      if (principal !== undefined) return { principal, kind: cred.kind };
      this.fail(info.ip);
      this.#counter.inc({ reason: "invalid" });
      const known = securityOf(this.#ctx)?.tokens.refusalOf(cred.secret);
      this.#deny(info, "auth.failed", 401, { credential: cred.kind, ...(known !== undefined ? { token: known.tokenId, reason: known.reason } : {}) });
      throw new MeshlogError(ServerErrors.AUTH_INVALID, "the token is unknown, expired or revoked");
    }
    const principal = this.#clientCertPrincipal(info);
    if (principal !== undefined) return { principal, kind: "client-cert" };
    this.#counter.inc({ reason: "missing" });
    this.#deny(info, "auth.failed", 401, { credential: "none" });
    throw new MeshlogError(ServerErrors.AUTH_MISSING, "authentication required: send Authorization: Bearer <token> (or Basic with the token as password)");
  }

  /**
   * The tenant a principal acts on (X-Scope-OrgID when its tenants allow it). The audit tenant is refused to
   * all but admin and auditor. Throws TENANT_INVALID / AUTH_FORBIDDEN (not audited here: the caller audits the
   * refused request with its principal).
   */
  tenantOf(principal: Principal, headers: IncomingHttpHeaders): string {
    const tenant = resolveTenant(principal, headers["x-scope-orgid"]);
    if (tenant === AUDIT_TENANT && !hasRole(principal, "admin", "auditor")) {
      throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `tenant "${AUDIT_TENANT}" (the audit trail) is readable by the admin and auditor roles only`);
    }
    return tenant;
  }

  #deny(info: CallerInfo, action: string, status: number, details: Record<string, string>): void {
    const ua = info.headers["user-agent"];
    this.#ctx.audit.record({
      action,
      principal: "anonymous",
      tenant: "",
      remoteAddress: info.ip,
      method: info.method,
      route: info.route,
      status,
      result: "denied",
      details: {
        ...details,
        ...(info.requestId !== undefined ? { requestId: info.requestId } : {}),
        ...(typeof ua === "string" && ua !== "" ? { userAgent: clip(ua, 120) } : {}),
      },
    });
  }

  #clientCertPrincipal(info: CallerInfo): Principal | undefined {
    const ids = clientCertIdentities(info.socket);
    if (ids === undefined) return undefined;
    const map = this.#ctx.config.security.clientCertPrincipals;
    for (const id of ids) {
      const principalId = map[id];
      if (principalId === undefined) continue;
      const p = securityOf(this.#ctx)?.principals.toPrincipal(principalId);
      if (p !== undefined) return p;
    }
    this.#ctx.log.warn("client certificate is not mapped to a principal", { identities: ids.slice(0, 4).join(", "), remoteAddress: info.ip });
    return undefined;
  }
}

/** Outcome of {@link authenticateUpgrade}. */
export type UpgradeAuth =
  | { readonly ok: true; readonly principal: Principal; readonly tenant: string; readonly kind: CredentialKind; release(): void }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly retryAfterSeconds?: number };

/**
 * Authenticates a WebSocket upgrade (which bypasses the HTTP hooks) exactly like an HTTP request: throttling,
 * token or client certificate, tenant and audit-tenant rules, `roles`, and a query-concurrency slot (call
 * `release()` when the socket closes). Every refusal is audited. Example for a tail handler:
 * `const a = await authenticateUpgrade(ctx, req, "/loki/api/v1/tail", ["analyst"]); if (!a.ok) reject(socket, a.status, a.message);`
 */
export async function authenticateUpgrade(
  ctx: ServerContext,
  req: IncomingMessage,
  route: string,
  roles: readonly ("admin" | "auditor" | "analyst" | "ingest")[],
): Promise<UpgradeAuth> {
  const auth = ctx.services.get(CALLER_AUTH_SERVICE) as CallerAuth | undefined;
  if (auth === undefined) throw new Error("BUG: authenticateUpgrade called before the HTTP security hooks were installed");
  const info: CallerInfo = { ip: req.socket.remoteAddress ?? "", method: req.method ?? "GET", route, headers: req.headers, socket: req.socket };
  let principal: Principal;
  let kind: CredentialKind;
  try {
    ({ principal, kind } = await auth.identify(info));
  } catch (err) {
    return refusal(err);
  }
  const audit = (status: number, message: string): UpgradeAuth => {
    ctx.audit.record({
      action: "tail",
      principal: principal.id,
      tenant: principal.tenant,
      remoteAddress: info.ip,
      method: info.method,
      route,
      status,
      result: "denied",
      details: { credential: kind, reason: clip(message, 200), ...(principal.tokenId !== undefined ? { token: principal.tokenId } : {}) },
    });
    return { ok: false, status, message };
  };
  let tenant: string;
  try {
    tenant = auth.tenantOf(principal, req.headers);
  } catch (err) {
    const r = refusal(err);
    return r.ok ? r : audit(r.status, r.message);
  }
  const needed = tenant === AUDIT_TENANT ? (["auditor"] as const) : roles;
  if (!hasRole(principal, ...needed))
    return audit(403, `this action needs the role ${needed.join(" or ")}; the token has ${principal.roles.join(", ") || "no roles"}`);
  const tracker = ctx.services.get("limits.queryConcurrency") as ConcurrencyTracker | undefined;
  const release = tracker?.acquire(principal.id);
  if (tracker !== undefined && release === undefined)
    return audit(429, `principal "${principal.id}" already runs ${ctx.config.query.maxConcurrentPerPrincipal} queries (query.maxConcurrentPerPrincipal)`);
  return { ok: true, principal, tenant, kind, release: release ?? (() => {}) };
}

function refusal(err: unknown): { ok: false; status: number; message: string; retryAfterSeconds?: number } {
  if (!(err instanceof MeshlogError)) throw err;
  const status =
    err.code === ServerErrors.AUTH_RATE_LIMITED ? 429 : err.code === ServerErrors.AUTH_FORBIDDEN ? 403 : err.code === ServerErrors.TENANT_INVALID ? 400 : 401;
  const retry = err.details?.retryAfterSeconds;
  return { ok: false, status, message: err.message, ...(typeof retry === "number" ? { retryAfterSeconds: retry } : {}) };
}

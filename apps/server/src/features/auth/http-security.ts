// HTTP edge security: authenticates every non-public route (token, or a mapped mTLS client certificate),
// throttles failed-authentication bursts per source address, guards the audit tenant, and writes one
// complete audit event per request. Installed by http/app.ts before any route module.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Server as TlsServer } from "node:tls";
import type { ServerContext } from "../../context.js";
import type { RouteConfig } from "../../http/route-module.js";
import { installQueryConcurrency } from "../limits/query-concurrency.js";
import { tlsEnabled, watchTlsFiles } from "../tls/tls-options.js";
import { inferRows } from "./audit-rows.js";
import { CALLER_AUTH_SERVICE, CallerAuth } from "./caller-auth.js";
import type { CredentialKind } from "./principal.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * Rows (lines, entries, series, events) the route returned or wrote. Routes set it, e.g.
     * `request.auditRows = entries.length`; the audit event of the request carries it as `rows`.
     */
    auditRows: number | undefined;
    /** Extra audit details the route reports (query text, object ids); never secrets. */
    auditDetails: Record<string, string | number | boolean> | undefined;
    /** How the caller authenticated (set by the authentication hook). */
    credentialKind: CredentialKind | undefined;
  }
}

/** A route as registered, collected for the audit-coverage test and the route listing. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  readonly audit: string | undefined;
}

export const ROUTES_SERVICE = "http.routes";
/**
 * ctx.services key of the failed-authentication throttle ({@link AuthFailureThrottle}), for routes that
 * check credentials themselves (e.g. a login form) so they share the per-address limit.
 */
export const AUTH_FAILURES_SERVICE = "auth.failures";

/** Per-source-address throttle of failed authentications. */
export interface AuthFailureThrottle {
  /** Seconds the address must wait before its next attempt (0: it may try now). */
  waitSeconds(address: string): number;
  /** Records a failed attempt of the address. */
  fail(address: string): void;
}
/** ctx.services key of a `() => boolean` that reloads the TLS certificate now (also done on file change). */
export const TLS_RELOAD_SERVICE = "tls.reload";

type AuditedConfig = RouteConfig & { audit?: string };

const routeOf = (request: FastifyRequest): string => request.routeOptions.url ?? request.url.split("?")[0] ?? "";
const clip = (s: string, n = 200): string => (s.length > n ? s.slice(0, n) + "…" : s);

/** Public GET routes that produce no audit event: the readiness probe and the UI's static files. */
export function isUnauditedPublicRoute(method: string, url: string): boolean {
  return (
    (method === "GET" || method === "HEAD") &&
    (url === "/ready" || url === "/ui" || url.startsWith("/ui/") || url.startsWith("/assets/") || url === "/favicon.ico")
  );
}

/** Installs the authentication, audit and limit hooks on the root app (before route modules register). */
export async function installHttpSecurity(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const routes: RegisteredRoute[] = [];
  ctx.services.set(ROUTES_SERVICE, routes);
  app.addHook("onRoute", (opts) => {
    const cfg = opts.config as AuditedConfig | undefined;
    for (const m of Array.isArray(opts.method) ? opts.method : [opts.method]) {
      if (m === "HEAD" && opts.url !== undefined && routes.some((r) => r.method === "GET" && r.url === opts.url)) continue;
      routes.push({ method: m, url: opts.url ?? opts.path, public: cfg?.public === true, audit: cfg?.audit });
    }
  });

  app.decorateRequest("auditRows", undefined);
  app.decorateRequest("auditDetails", undefined);
  app.decorateRequest("credentialKind", undefined);

  const callers = new CallerAuth(ctx);
  ctx.services.set(CALLER_AUTH_SERVICE, callers);
  ctx.services.set(AUTH_FAILURES_SERVICE, callers satisfies AuthFailureThrottle);

  app.addHook("onRequest", async (request) => {
    const cfg = request.routeOptions.config as AuditedConfig | undefined;
    if (cfg?.public === true) return;
    const { principal, kind } = await callers.identify({
      ip: request.ip,
      method: request.method,
      route: routeOf(request),
      headers: request.headers,
      socket: request.raw.socket,
      requestId: request.id,
    });
    request.principal = principal;
    request.credentialKind = kind;
    request.tenant = callers.tenantOf(principal, request.headers);
  });

  await installQueryConcurrency(app, ctx);

  // Routes that do not report request.auditRows get a row count inferred from their JSON answer.
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.auditRows === undefined && request.principal !== undefined && reply.statusCode < 300 && typeof payload === "string") {
      const rows = inferRows(payload);
      if (rows !== undefined) request.auditRows = rows;
    }
    return payload;
  });

  if (tlsEnabled(ctx.config)) {
    const watcher = watchTlsFiles(ctx.config, app.server as unknown as TlsServer, ctx.log, ctx.config.security.tlsReloadIntervalMs);
    ctx.services.set(TLS_RELOAD_SERVICE, watcher.reload);
    app.addHook("onClose", async () => watcher.stop());
  }

  app.addHook("onResponse", async (request, reply) => auditResponse(ctx, request, reply));
}

/** Writes the audit event of an authenticated request (unauthenticated ones are audited when refused). */
function auditResponse(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): void {
  const cfg = request.routeOptions.config as AuditedConfig | undefined;
  const p = request.principal;
  const status = reply.statusCode;
  if (p === undefined) {
    // Refused requests were audited by the authentication hook; public routes are audited here as
    // anonymous, except the readiness probe and the UI's static files.
    if (cfg?.public !== true || isUnauditedPublicRoute(request.method, request.routeOptions.url ?? "")) return;
    ctx.audit.record({
      action: cfg.audit ?? `public.${request.method.toLowerCase()}`,
      principal: "anonymous",
      tenant: "",
      remoteAddress: request.ip,
      method: request.method,
      route: routeOf(request),
      status,
      result: status < 400 ? "ok" : status === 401 || status === 403 || status === 429 ? "denied" : "error",
      details: { requestId: request.id, ...userAgent(request), ...(request.auditDetails ?? {}) },
      ...(request.auditRows !== undefined ? { rows: request.auditRows } : {}),
    });
    return;
  }
  const requested = request.headers["x-scope-orgid"];
  const details: Record<string, string | number | boolean> = {
    requestId: request.id,
    ...(request.credentialKind !== undefined ? { credential: request.credentialKind } : {}),
    ...(p.tokenId !== undefined ? { token: p.tokenId } : {}),
    ...(p.scope !== undefined ? { scope: p.scope } : {}),
    ...(typeof requested === "string" && requested !== "" && requested !== request.tenant ? { requestedTenant: clip(requested, 64) } : {}),
    ...userAgent(request),
    ...queryText(request),
    ...(request.auditDetails ?? {}),
  };
  ctx.audit.record({
    action: cfg?.audit ?? `http.${request.method.toLowerCase()}`,
    principal: p.id,
    // A request refused before its tenant was resolved is filed under the principal's home tenant.
    tenant: request.tenant === "" ? p.tenant : request.tenant,
    remoteAddress: request.ip,
    method: request.method,
    route: routeOf(request),
    status,
    result: status < 400 ? "ok" : status === 401 || status === 403 || status === 429 ? "denied" : "error",
    details,
    ...(request.auditRows !== undefined ? { rows: request.auditRows } : {}),
  });
}

/** The LogQL text of a query request (query or match[] parameter, query string or form body), clipped. */
function queryText(request: FastifyRequest): { query?: string } {
  const pick = (src: unknown): unknown =>
    src !== null && typeof src === "object" ? ((src as Record<string, unknown>).query ?? (src as Record<string, unknown>)["match[]"]) : undefined;
  const q = pick(request.query) ?? pick(request.body);
  const text = Array.isArray(q) ? q.filter((x) => typeof x === "string").join(" ") : q;
  return typeof text === "string" && text !== "" ? { query: clip(text, 1000) } : {};
}

function userAgent(request: FastifyRequest): { userAgent?: string } {
  const ua = request.headers["user-agent"];
  return typeof ua === "string" && ua !== "" ? { userAgent: clip(ua, 120) } : {};
}

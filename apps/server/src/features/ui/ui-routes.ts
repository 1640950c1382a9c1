// The web UI: static files of apps/web/dist (public), and the cookie session that keeps the token out of scripts and URLs.

import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import { MeshlogError } from "@meshlog/core";
import { ServerErrors } from "../../errors.js";
import type { RouteModule } from "../../http/route-module.js";
import { principalOf, SESSION_COOKIE } from "../../http/request-auth.js";
import { AUTH_FAILURES_SERVICE, type AuthFailureThrottle } from "../auth/http-security.js";

const UI_DIR = fileURLToPath(new URL("../../../../web/dist/", import.meta.url));
const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Built UI files are immutable while the server runs (content-hashed names), so each is read from disk once. */
const fileCache = new Map<string, Buffer>();
function uiFile(file: string): Buffer | undefined {
  let bytes = fileCache.get(file);
  if (bytes === undefined && existsSync(file) && statSync(file).isFile()) {
    bytes = readFileSync(file);
    fileCache.set(file, bytes);
  }
  return bytes;
}

/** Serves the UI's index.html (used for GET / when a browser asks for HTML). */
export function sendIndex(reply: FastifyReply): FastifyReply {
  const html = uiFile(join(UI_DIR, "index.html"));
  if (html === undefined) return reply.status(503).type("text/plain").send("The web UI is not built: run npm run build\n");
  return reply
    .headers({ ...SECURITY_HEADERS, "cache-control": "no-cache" })
    .type("text/html; charset=utf-8")
    .send(html);
}

/** True when the client prefers HTML (a browser navigating to /). */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? "");
  return accept.includes("text/html");
}

const whoami = (request: FastifyRequest) => {
  const p = principalOf(request);
  return { id: p.id, name: p.name, kind: p.kind, tenant: request.tenant, roles: p.roles, scope: p.scope, tenants: p.tenants };
};

export const uiRoutes: RouteModule = {
  name: "ui",
  body: "json",
  register(app, ctx) {
    ctx.services.set("ui.index", sendIndex);
    app.get("/assets/*", { config: { public: true } }, async (request, reply) => {
      const rel = normalize((request.params as { "*": string })["*"]).replace(/^(\.\.(\/|\\|$))+/, "");
      const file = join(UI_DIR, "assets", rel);
      const bytes = file.startsWith(join(UI_DIR, "assets")) ? uiFile(file) : undefined;
      if (bytes === undefined) return reply.status(404).send({ error: `no asset ${rel}`, code: ServerErrors.NOT_FOUND });
      return reply
        .headers({ ...SECURITY_HEADERS, "cache-control": "public, max-age=31536000, immutable" })
        .type(TYPES[extname(file)] ?? "application/octet-stream")
        .send(bytes);
    });
    app.get("/ui", { config: { public: true } }, async (_request, reply) => sendIndex(reply));

    app.post("/api/v1/session", { config: { public: true } }, async (request, reply) => {
      const body = request.body as { token?: unknown } | undefined;
      if (typeof body?.token !== "string" || body.token === "") throw new MeshlogError(ServerErrors.REQUEST_INVALID, "token: a non-empty string is required");
      const throttle = ctx.services.get(AUTH_FAILURES_SERVICE) as AuthFailureThrottle | undefined;
      const wait = throttle?.waitSeconds(request.ip) ?? 0;
      if (wait > 0)
        throw new MeshlogError(ServerErrors.AUTH_RATE_LIMITED, `too many failed sign-ins from this address; try again in ${wait} s`, {
          details: { retryAfterSeconds: wait },
        });
      const p = await ctx.auth.authenticate(body.token, "bearer");
      if (p === undefined) {
        throttle?.fail(request.ip);
        ctx.audit.record({
          action: "session.create",
          principal: "anonymous",
          tenant: "",
          remoteAddress: request.ip,
          method: "POST",
          route: "/api/v1/session",
          status: 401,
          result: "denied",
        });
        throw new MeshlogError(ServerErrors.AUTH_INVALID, "the token is unknown, expired or revoked");
      }
      ctx.audit.record({
        action: "session.create",
        principal: p.id,
        tenant: p.tenant,
        remoteAddress: request.ip,
        method: "POST",
        route: "/api/v1/session",
        status: 200,
        result: "ok",
      });
      const secure = ctx.config.tls.cert !== "" ? "; Secure" : "";
      void reply.header("set-cookie", `${SESSION_COOKIE}=${encodeURIComponent(body.token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200${secure}`);
      return { id: p.id, name: p.name, kind: p.kind, tenant: p.tenant, roles: p.roles, scope: p.scope, tenants: p.tenants };
    });
    app.get("/api/v1/session", { config: { audit: "session.get" } }, async (request) => whoami(request));
    app.delete("/api/v1/session", { config: { audit: "session.delete" } }, async (_request, reply) => {
      void reply.header("set-cookie", `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return reply.status(204).send();
    });
  },
};

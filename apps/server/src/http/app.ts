// Builds the HTTP app: authentication on every non-public route, audit of every access, error mapping, route modules.

import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { readFileSync } from "node:fs";
import { MeshlogError, httpStatusOf } from "@meshlog/core";
import type { ServerContext } from "../context.js";
import { ServerErrors } from "../errors.js";
import type { RouteConfig, RouteModule } from "./route-module.js";
import { extractCredential, resolveTenant } from "./request-auth.js";

/** Loads HTTPS options from the TLS config (undefined: plain HTTP). */
export function httpsOptions(ctx: ServerContext): { key: Buffer; cert: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean; minVersion: "TLSv1.2" } | undefined {
  const { cert, key, ca, requireClientCert } = ctx.config.tls;
  if (cert === "" || key === "") return undefined;
  return {
    key: readFileSync(key),
    cert: readFileSync(cert),
    ...(ca !== "" ? { ca: readFileSync(ca) } : {}),
    requestCert: ca !== "",
    rejectUnauthorized: requireClientCert,
    minVersion: "TLSv1.2",
  };
}

export async function buildApp(ctx: ServerContext, modules: readonly RouteModule[], extra: Partial<FastifyServerOptions> = {}): Promise<FastifyInstance> {
  const https = httpsOptions(ctx);
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.config.ingest.maxBodyBytes,
    ...(https !== undefined ? { https } : {}),
    ...extra,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  app.decorateRequest("principal", undefined);
  app.decorateRequest("tenant", "");

  app.addHook("onRequest", async (request) => {
    const cfg = request.routeOptions.config as RouteConfig | undefined;
    if (cfg?.public === true) return;
    const cred = extractCredential(request);
    if (cred === undefined) {
      throw new MeshlogError(ServerErrors.AUTH_MISSING, "authentication required: send Authorization: Bearer <token> (or Basic with the token as password)");
    }
    const principal = await ctx.auth.authenticate(cred.secret, cred.kind);
    if (principal === undefined) {
      ctx.audit.record({ action: "auth.failed", principal: "anonymous", tenant: "", remoteAddress: request.ip, method: request.method, route: request.routeOptions.url ?? request.url.split("?")[0] ?? "", result: "denied", details: { credential: cred.kind } });
      throw new MeshlogError(ServerErrors.AUTH_INVALID, "the token is unknown, expired or revoked");
    }
    request.principal = principal;
    request.tenant = resolveTenant(principal, request.headers["x-scope-orgid"]);
  });

  app.addHook("onResponse", async (request, reply) => {
    const cfg = request.routeOptions.config as (RouteConfig & { audit?: string }) | undefined;
    if (cfg?.public === true || request.principal === undefined) return;
    const status = reply.statusCode;
    ctx.audit.record({
      action: cfg?.audit ?? `http.${request.method.toLowerCase()}`,
      principal: request.principal.id,
      tenant: request.tenant,
      remoteAddress: request.ip,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split("?")[0] ?? "",
      status,
      result: status < 400 ? "ok" : status === 401 || status === 403 ? "denied" : "error",
      ...(request.principal.tokenId !== undefined ? { details: { token: request.principal.tokenId } } : {}),
    });
  });

  app.setErrorHandler(async (err, request, reply) => {
    const e = err as Error & { statusCode?: number; code?: string };
    let status: number;
    let code: string;
    let message = e.message;
    if (err instanceof MeshlogError) {
      status = httpStatusOf(err);
      code = err.code;
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === "number") void reply.header("retry-after", String(Math.max(1, Math.ceil(retry))));
      else if (status === 429 || status === 503) void reply.header("retry-after", "1");
      if (status === 401) void reply.header("www-authenticate", 'Bearer realm="meshlog"');
    } else if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      status = 413;
      code = ServerErrors.INGEST_PAYLOAD_TOO_LARGE;
      message = `request body exceeds the limit of ${ctx.config.ingest.maxBodyBytes} bytes`;
    } else if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
      status = e.statusCode;
      code = e.code ?? "REQUEST_INVALID";
    } else {
      status = 500;
      code = "INTERNAL";
      message = "internal error";
      ctx.log.error("request failed", { err: e, route: request.routeOptions.url, method: request.method });
    }
    return reply.status(status).send({ error: message, code });
  });

  app.setNotFoundHandler(async (request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}`, code: ServerErrors.NOT_FOUND }));

  for (const mod of modules) {
    if (mod.body === "raw") {
      await app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: ctx.config.ingest.maxBodyBytes }, (_req, body, done) => done(null, body));
        await mod.register(scope, ctx);
      });
    } else {
      await app.register(async (scope) => {
        await mod.register(scope, ctx);
      });
    }
  }
  return app;
}

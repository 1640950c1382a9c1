// Builds the HTTP app: authentication on every non-public route, audit of every access, error mapping, route modules.

import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { MeshlogError, httpStatusOf } from "@meshlog/core";
import type { ServerContext } from "../context.js";
import { ServerErrors } from "../errors.js";
import type { RouteConfig, RouteModule } from "./route-module.js";
import { installHttpSecurity } from "../features/auth/http-security.js";
import { loadTlsOptions } from "../features/tls/tls-options.js";

export async function buildApp(ctx: ServerContext, modules: readonly RouteModule[], extra: Partial<FastifyServerOptions> = {}): Promise<FastifyInstance> {
  const https = loadTlsOptions(ctx.config);
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.config.ingest.maxBodyBytes,
    ...(https !== undefined ? { https } : {}),
    ...extra,
  } as FastifyServerOptions) as unknown as FastifyInstance;

  app.decorateRequest("principal", undefined);
  app.decorateRequest("tenant", "");

  // Authentication, tenant resolution, failed-auth throttling, query concurrency and the audit event of
  // every request (features/auth/http-security.ts).
  await installHttpSecurity(app, ctx);

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

  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}`, code: ServerErrors.NOT_FOUND }),
  );

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

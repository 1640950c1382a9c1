// Prometheus' error envelope for the Prometheus-compatible rules and alerts API: {"status":"error","errorType","error"}.

import { MeshlogError, httpStatusOf } from "@meshlog/core";
import type { FastifyError, FastifyInstance } from "fastify";
import type { ServerContext } from "../../context.js";

/** The body Prometheus answers a failed API call with (web/api/v1 `apiError`). */
export interface PrometheusErrorBody {
  readonly status: "error";
  readonly errorType: string;
  readonly error: string;
}

/**
 * Prometheus' errorType for an HTTP status, the inverse of its status mapping: 400 bad_data, 404 not_found,
 * 406 not_acceptable, 422 execution, 499 canceled, 500 internal, 503 unavailable, 504 timeout. Statuses Prometheus
 * itself never answers keep their code and take the nearest type: other 4xx (401, 403, 413, 429 …) are the
 * caller's problem (bad_data, except 429: unavailable), other 5xx are internal.
 */
export function prometheusErrorType(status: number): string {
  switch (status) {
    case 400:
      return "bad_data";
    case 404:
      return "not_found";
    case 406:
      return "not_acceptable";
    case 422:
      return "execution";
    case 499:
      return "canceled";
    case 503:
    case 429:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "internal" : "bad_data";
  }
}

/**
 * Installs, on `scope` (an encapsulated plugin holding only Prometheus-compatible routes), an error handler answering
 * Prometheus' shape with the same status codes and headers as the server's own handler (retry-after on 429/503,
 * www-authenticate on 401). Authentication failures of those routes take this shape too.
 */
export function usePrometheusErrors(scope: FastifyInstance, ctx: ServerContext): void {
  scope.setErrorHandler(async (err: FastifyError, request, reply) => {
    let status: number;
    let message = err.message;
    if (err instanceof MeshlogError) {
      status = httpStatusOf(err);
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === "number") void reply.header("retry-after", String(Math.max(1, Math.ceil(retry))));
      else if (status === 429 || status === 503) void reply.header("retry-after", "1");
      if (status === 401) void reply.header("www-authenticate", 'Bearer realm="meshlog"');
    } else if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
    } else {
      status = 500;
      message = "internal error";
      ctx.log.error("request failed", { err, route: request.routeOptions.url, method: request.method });
    }
    const body: PrometheusErrorBody = { status: "error", errorType: prometheusErrorType(status), error: message };
    return reply.status(status).type("application/json").send(body);
  });
}

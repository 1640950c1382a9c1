// Loki-compatible read API: query, query_range, labels, series, index stats/volume, detected_*, format_query,
// buildinfo and the WebSocket tail. Every route needs the analyst role and applies the principal's scope.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AUDIT_TENANT, MeshlogError, httpStatusOf } from "@meshlog/core";
import { QueryEngine, QueryErrors, formatExpr, parseExpr, parseStepParam, parseTimeParam, type QueryResult } from "@meshlog/query";
import type { ServerContext } from "../context.js";
import type { RouteModule } from "../http/route-module.js";
import { requireRole } from "../http/request-auth.js";
import { HOUR_NS, directionParam, intParam, list, paramsOf, parseForm, rangeParams, requireQuery, stepParam, str } from "./query-params.js";
import { patternsRoute } from "./patterns-route.js";
import { attachTail } from "./tail-socket.js";

/** Version reported by buildinfo; Grafana uses it for feature detection. */
export const LOKI_COMPAT_VERSION = "3.4.0";

export function engineFor(ctx: ServerContext): QueryEngine {
  const existing = ctx.services.get("queryEngine");
  if (existing instanceof QueryEngine) return existing;
  const q = ctx.config.query;
  const engine = new QueryEngine(
    ctx.store,
    {
      maxEntries: q.maxEntries,
      maxSeries: q.maxSeries,
      maxQueryLengthNs: BigInt(Math.round(q.maxQueryLengthHours * 3600)) * 1_000_000_000n,
      timeoutMs: q.timeoutSeconds * 1000,
      maxSamples: q.maxSamples,
    },
    { clock: ctx.clock, logger: ctx.log },
  );
  ctx.services.set("queryEngine", engine);
  return engine;
}

/** Checks the role (auditor for the audit tenant, analyst otherwise) and returns tenant and scope. */
export function readerOf(request: FastifyRequest): { tenant: string; scope: string | undefined } {
  const p = request.tenant === AUDIT_TENANT ? requireRole(request, "auditor") : requireRole(request, "analyst");
  return { tenant: request.tenant, scope: p.scope };
}

/** Runs a handler with Loki's error style (plain-text 400 for query errors), per-principal concurrency and cancellation. */
async function guarded<T>(
  ctx: ServerContext,
  inflight: Map<string, number>,
  request: FastifyRequest,
  reply: FastifyReply,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T | FastifyReply> {
  const id = request.principal?.id ?? "anonymous";
  const running = inflight.get(id) ?? 0;
  try {
    if (running >= ctx.config.query.maxConcurrentPerPrincipal) {
      throw new MeshlogError(
        QueryErrors.QUERY_CONCURRENCY_LIMIT,
        `too many concurrent queries for this principal (limit ${ctx.config.query.maxConcurrentPerPrincipal}, query.maxConcurrentPerPrincipal)`,
        { details: { retryAfterSeconds: 1 } },
      );
    }
  } catch (err) {
    return sendError(reply, err as MeshlogError);
  }
  inflight.set(id, running + 1);
  const ac = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) ac.abort();
  };
  reply.raw.on("close", onClose);
  try {
    return await fn(ac.signal);
  } catch (err) {
    if (err instanceof MeshlogError && (err.code.startsWith("QUERY_") || err.code === "TIME_INVALID" || err.code === "REQUEST_INVALID"))
      return sendError(reply, err);
    throw err;
  } finally {
    reply.raw.off("close", onClose);
    const n = (inflight.get(id) ?? 1) - 1;
    if (n <= 0) inflight.delete(id);
    else inflight.set(id, n);
  }
}

function sendError(reply: FastifyReply, err: MeshlogError): FastifyReply {
  const status = httpStatusOf(err);
  if (status === 429) void reply.header("retry-after", "1");
  return reply.status(status).type("text/plain; charset=utf-8").send(err.message);
}

function categorize(request: FastifyRequest): boolean {
  const h = request.headers["x-loki-response-encoding-flags"];
  return (Array.isArray(h) ? h.join(",") : (h ?? "")).split(",").some((f) => f.trim() === "categorize-labels");
}

function dataOf(r: QueryResult, categorized: boolean): Record<string, unknown> {
  return {
    resultType: r.resultType,
    result: r.result,
    stats: r.stats,
    ...(categorized && r.resultType === "streams" ? { encodingFlags: ["categorize-labels"] } : {}),
  };
}

/** Lines (log queries) or series (metric queries) a result returned, for the audit trail. */
function rowsOf(r: { resultType: string; result: unknown }): number {
  if (r.resultType === "streams") return (r.result as { values: unknown[] }[]).reduce((n, s) => n + s.values.length, 0);
  return Array.isArray(r.result) && r.resultType !== "scalar" ? r.result.length : 1;
}

export const queryApiRoutes: RouteModule = {
  name: "query-api",
  body: "json",
  register(app: FastifyInstance, ctx: ServerContext) {
    const engine = engineFor(ctx);
    /** Queries running per principal id (query.maxConcurrentPerPrincipal). */
    const inflight = new Map<string, number>();
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => {
      done(null, parseForm(String(body)));
    });

    const queryRange = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        const step = stepParam(p, start, end);
        const intervalText = str(p, "interval");
        const categorized = categorize(request);
        const r = await engine.query({
          tenant,
          query,
          start,
          end,
          step,
          limit: intParam(p, "limit", 100),
          direction: directionParam(p),
          signal,
          ...(scope !== undefined ? { scope } : {}),
          ...(intervalText !== undefined ? { interval: parseStepParam(intervalText, "interval") } : {}),
          ...(categorized ? { categorizeLabels: true } : {}),
        });
        request.auditDetails = { query: query.slice(0, 2000), start: String(start), end: String(end) };
        request.auditRows = rowsOf(r);
        return { status: "success", data: dataOf(r, categorized) };
      });
    };
    const instant = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const t = str(p, "time");
        const time = t !== undefined ? parseTimeParam(t, "time") : ctx.clock.nowNs();
        const r = await engine.query({
          tenant,
          query,
          start: time,
          end: time,
          limit: intParam(p, "limit", 100),
          direction: directionParam(p),
          signal,
          ...(scope !== undefined ? { scope } : {}),
        });
        request.auditDetails = { query: query.slice(0, 2000), time: String(time) };
        request.auditRows = rowsOf(r);
        return { status: "success", data: dataOf(r, false) };
      });
    };
    const labels = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const { start, end } = rangeParams(p, ctx.clock, 6n * HOUR_NS);
        const query = str(p, "query");
        const data = await engine.labels({ tenant, start, end, signal, ...(query !== undefined ? { query } : {}), ...(scope !== undefined ? { scope } : {}) });
        return { status: "success", data };
      });
    };
    const labelValues = async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const { start, end } = rangeParams(p, ctx.clock, 6n * HOUR_NS);
        const query = str(p, "query");
        const data = await engine.labelValues({
          tenant,
          name: request.params.name,
          start,
          end,
          signal,
          ...(query !== undefined ? { query } : {}),
          ...(scope !== undefined ? { scope } : {}),
        });
        return { status: "success", data };
      });
    };
    const series = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const { start, end } = rangeParams(p, ctx.clock, 6n * HOUR_NS);
        const match = [...list(p, "match[]"), ...list(p, "match")];
        const data = await engine.series({ tenant, match, start, end, signal, ...(scope !== undefined ? { scope } : {}) });
        return { status: "success", data };
      });
    };
    const volume = (ranged: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        const targets = str(p, "targetLabels");
        const aggregateBy = str(p, "aggregateBy") ?? "series";
        if (aggregateBy !== "series" && aggregateBy !== "labels")
          throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid aggregateBy: ${JSON.stringify(aggregateBy.slice(0, 32))} (use series or labels)`);
        const r = await engine.volume({
          aggregateBy,
          tenant,
          query,
          start,
          end,
          signal,
          limit: intParam(p, "limit", 100),
          ...(ranged ? { step: stepParam(p, start, end) } : {}),
          ...(targets !== undefined
            ? {
                targetLabels: targets
                  .split(",")
                  .map((s) => s.trim())
                  .filter((s) => s !== ""),
              }
            : {}),
          ...(scope !== undefined ? { scope } : {}),
        });
        return { status: "success", data: { resultType: r.resultType, result: r.result, stats: r.stats } };
      });
    };
    const detectedFields = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        return engine.detectedFields({
          tenant,
          query,
          start,
          end,
          signal,
          lineLimit: intParam(p, "line_limit", 1000),
          limit: intParam(p, "limit", 1000),
          ...(scope !== undefined ? { scope } : {}),
        });
      });
    };
    const detectedFieldValues = async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        return engine.detectedFieldValues({
          tenant,
          query,
          name: request.params.name,
          start,
          end,
          signal,
          lineLimit: intParam(p, "line_limit", 1000),
          limit: intParam(p, "limit", 1000),
          ...(scope !== undefined ? { scope } : {}),
        });
      });
    };
    const detectedLabels = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        const query = str(p, "query");
        return engine.detectedLabels({ tenant, start, end, signal, ...(query !== undefined ? { query } : {}), ...(scope !== undefined ? { scope } : {}) });
      });
    };
    const indexStats = async (request: FastifyRequest, reply: FastifyReply) => {
      const { tenant, scope } = readerOf(request);
      return guarded(ctx, inflight, request, reply, async (signal) => {
        const p = paramsOf(request);
        const query = requireQuery(p);
        const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
        return engine.indexStats({ tenant, query, start, end, signal, ...(scope !== undefined ? { scope } : {}) });
      });
    };
    const formatQuery = async (request: FastifyRequest, reply: FastifyReply) => {
      readerOf(request);
      return guarded(ctx, inflight, request, reply, async () => ({ status: "success", data: formatExpr(parseExpr(requireQuery(paramsOf(request)))) }));
    };

    const both = (path: string, audit: string, handler: (req: FastifyRequest<never>, reply: FastifyReply) => Promise<unknown>): void => {
      app.get(path, { config: { audit } }, handler as never);
      app.post(path, { config: { audit } }, handler as never);
    };
    both("/loki/api/v1/query_range", "query", queryRange);
    both("/loki/api/v1/query", "query", instant);
    both("/loki/api/v1/labels", "labels", labels);
    both("/loki/api/v1/label/:name/values", "labels", labelValues);
    both("/loki/api/v1/series", "series", series);
    both("/loki/api/v1/index/stats", "query.stats", indexStats);
    both("/loki/api/v1/index/volume", "query.volume", volume(false));
    both("/loki/api/v1/index/volume_range", "query.volume", volume(true));
    both("/loki/api/v1/detected_fields", "query.detected", detectedFields);
    both("/loki/api/v1/detected_field/:name/values", "query.detected", detectedFieldValues);
    both("/loki/api/v1/detected_labels", "query.detected", detectedLabels);
    both("/loki/api/v1/format_query", "query.format", formatQuery);
    both(
      "/loki/api/v1/patterns",
      "query.patterns",
      patternsRoute(ctx, engine, (request, reply, fn) => guarded(ctx, inflight, request, reply, fn), readerOf),
    );
    app.get(
      "/loki/api/v1/status/buildinfo",
      { config: { audit: "status" } },
      async (request: FastifyRequest) => (
        readerOf(request),
        {
          version: LOKI_COMPAT_VERSION,
          revision: "meshlog",
          branch: "main",
          buildUser: "meshlog",
          buildDate: "",
          goVersion: "",
        }
      ),
    );
    app.get("/loki/api/v1/drilldown-limits", { config: { audit: "status" } }, async (request: FastifyRequest) => {
      readerOf(request);
      const q = ctx.config.query;
      return {
        limits: {
          discover_log_levels: true,
          discover_service_name: [],
          log_level_fields: ["level", "LEVEL", "Level", "severity", "SEVERITY", "Severity", "lvl", "LVL", "Lvl"],
          max_entries_limit_per_query: q.maxEntries,
          max_query_length: `${q.maxQueryLengthHours}h`,
          max_query_series: q.maxSeries,
          query_timeout: `${q.timeoutSeconds}s`,
          volume_enabled: true,
          volume_max_series: 1000,
          pattern_persistence_enabled: false,
          metric_aggregation_enabled: false,
        },
        pattern_ingester_enabled: true,
        version: LOKI_COMPAT_VERSION,
      };
    });
    attachTail(app, ctx, engine);
  },
};

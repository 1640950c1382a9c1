// GET|POST /loki/api/v1/patterns: Drain-style templates of the lines a log query selects, in Loki's shape
// {"status":"success","data":[{"pattern","level","samples":[[unix_seconds,count]...]}]}.

import type { FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_PATTERNS_LIMIT, queryPatterns, type QueryEngine } from "@meshlog/query";
import type { ServerContext } from "../context.js";
import { HOUR_NS, intParam, paramsOf, rangeParams, requireQuery, stepParam } from "./query-params.js";

/** Runs a handler under the query API's error style, per-principal concurrency limit and cancellation. */
export type QueryGuard = <T>(request: FastifyRequest, reply: FastifyReply, fn: (signal: AbortSignal) => Promise<T>) => Promise<T | FastifyReply>;

/** Checks the caller's read role and returns its tenant and label scope. */
export type ReaderCheck = (request: FastifyRequest) => { tenant: string; scope: string | undefined };

/**
 * The patterns handler. Parameters as Loki: `query` (required), `start`/`end`/`since` (default the last hour),
 * `step` (default as query_range: range/250, at least 1s), `limit` (default 300). Mines at most
 * `query.patternsMaxLines` lines, newest first, within the caller's tenant and scope.
 */
export function patternsRoute(ctx: ServerContext, engine: QueryEngine, guard: QueryGuard, reader: ReaderCheck) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const { tenant, scope } = reader(request);
    return guard(request, reply, async (signal) => {
      const p = paramsOf(request);
      const query = requireQuery(p);
      const { start, end } = rangeParams(p, ctx.clock, HOUR_NS);
      const step = stepParam(p, start, end);
      const limit = intParam(p, "limit", DEFAULT_PATTERNS_LIMIT);
      const r = await queryPatterns(engine, {
        tenant,
        query,
        start,
        end,
        step,
        limit,
        maxLines: ctx.config.query.patternsMaxLines,
        signal,
        ...(scope !== undefined ? { scope } : {}),
      });
      request.auditDetails = { query: query.slice(0, 2000), start: String(start), end: String(end), linesMined: r.lines, truncated: r.truncated };
      request.auditRows = r.patterns.length;
      return { status: "success", data: r.patterns };
    });
  };
}

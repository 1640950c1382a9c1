// Loki-compatible log deletion API (/loki/api/v1/delete): queue, list and cancel deletion requests.

import { MeshlogError, parseTimestampNs } from "@meshlog/core";
import { RetentionErrors, type DeletionRequestRecord } from "@meshlog/storage";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { requireRole } from "../../http/request-auth.js";
import { parseDeleteQuery } from "./delete-query.js";
import { RetentionServerErrors } from "./errors.js";
import { RETENTION_SERVICE, type RetentionService } from "./retention-service.js";

/** One deletion request as Loki lists it (times in Unix seconds). */
export interface LokiDeleteRequest {
  readonly request_id: string;
  readonly start_time: number;
  readonly end_time: number;
  readonly query: string;
  readonly status: "received" | "processed";
  readonly created_at: number;
}

const seconds = (rfc3339: string): number => Number(parseTimestampNs(rfc3339, "time") / 1_000_000n) / 1000;

/** A stored request in Loki's list shape (cancelled requests are not listed, as in Loki). */
export function lokiDeleteRequestOf(r: DeletionRequestRecord): LokiDeleteRequest {
  return {
    request_id: r.id,
    start_time: seconds(r.start),
    end_time: seconds(r.end),
    query: r.query ?? r.selector,
    status: r.state === "done" ? "processed" : "received",
    created_at: seconds(r.createdAt),
  };
}

function invalid(param: string, message: string): MeshlogError {
  return new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, `Invalid query parameter ${param}: ${message}`, { details: { field: param } });
}

function param(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalid(name, "must be given once");
  return v;
}

function timeParam(request: FastifyRequest, name: string): bigint | undefined {
  const v = param(request, name);
  if (v === undefined || v === "") return undefined;
  try {
    return parseTimestampNs(v, name);
  } catch (e) {
    throw invalid(name, `${JSON.stringify(v.slice(0, 64))} is not a Unix timestamp in seconds or an RFC 3339 time (${(e as Error).message})`);
  }
}

function serviceOf(ctx: ServerContext): RetentionService {
  const s = ctx.services.get(RETENTION_SERVICE) as RetentionService | undefined;
  if (s === undefined)
    throw new MeshlogError(RetentionServerErrors.RETENTION_UNAVAILABLE, "Log deletion is not available: the store is not the embedded engine");
  return s;
}

/**
 * POST (or PUT) /loki/api/v1/delete?query=&start=&end= (admin) queues a request and answers 204; it is executed by the
 * retention job after retention.deleteCancelSeconds. GET (admin, auditor) lists the tenant's requests; DELETE
 * ?request_id= (admin) cancels one not yet processed (404 unknown, 400 already processed).
 */
export function registerLokiDeleteRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const submit = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const caller = requireRole(request, "admin");
    const text = param(request, "query");
    if (text === undefined || text.trim() === "") throw invalid("query", "is required (a LogQL stream selector, optionally with line filters)");
    let parsed;
    try {
      parsed = parseDeleteQuery(text);
    } catch (e) {
      throw invalid("query", (e as Error).message);
    }
    const start = timeParam(request, "start");
    if (start === undefined) throw invalid("start", "is required");
    const end = timeParam(request, "end") ?? ctx.clock.nowNs();
    if (start >= end) throw invalid("start", "must be before end");
    const maxInterval = param(request, "max_interval");
    if (maxInterval !== undefined && !/^\d+(ns|us|µs|ms|s|m|h|d|w|y)?$/.test(maxInterval)) throw invalid("max_interval", "must be a duration such as 24h");
    const rec = await serviceOf(ctx).submitDeletion({
      tenant: request.tenant,
      selector: parsed.selector,
      ...(parsed.query === undefined ? {} : { query: parsed.query }),
      start,
      end,
      reason: `Loki delete API request for ${text}`.slice(0, 2048),
      principal: caller.id,
    });
    request.auditDetails = { request: rec.id, tenant: rec.tenant, query: text.slice(0, 200) };
    return reply.status(204).send();
  };
  // Loki takes both verbs for the same thing.
  app.post("/loki/api/v1/delete", { config: { audit: "deletion.request" } }, submit);
  app.put("/loki/api/v1/delete", { config: { audit: "deletion.request" } }, submit);

  app.get("/loki/api/v1/delete", { config: { audit: "deletion.list" } }, async (request) => {
    requireRole(request, "admin", "auditor");
    const list = (await serviceOf(ctx).requests.list()).filter((r) => r.tenant === request.tenant && r.state !== "cancelled");
    request.auditRows = list.length;
    return list.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)).map(lokiDeleteRequestOf);
  });

  app.delete("/loki/api/v1/delete", { config: { audit: "deletion.cancel" } }, async (request: FastifyRequest, reply) => {
    const caller = requireRole(request, "admin");
    const id = param(request, "request_id");
    if (id === undefined || id === "") throw invalid("request_id", "is required");
    await serviceOf(ctx).cancelDeletion(id, caller.id, request.tenant);
    request.auditDetails = { request: id.slice(0, 100), tenant: request.tenant };
    return reply.status(204).send();
  });
}

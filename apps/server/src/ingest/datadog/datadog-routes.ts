// Datadog logs intake: POST /api/v2/logs (and legacy /v1/input), JSON array or object, gzip/deflate/zstd; 202 {}.

import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { decodeBody } from "../../http/body.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { applyFailure, failureOf, instrumentReceiver } from "../otlp/receiver-support.js";
import { datadogToRecord } from "./datadog-record.js";
import { DatadogErrors } from "./errors.js";

const DEFAULTABLE = ["ddsource", "service", "hostname", "ddtags"] as const;

function queryDefaults(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === null || typeof query !== "object") return out;
  for (const k of DEFAULTABLE) {
    const v = (query as Record<string, unknown>)[k];
    if (typeof v === "string" && v !== "") out[k] = v;
  }
  return out;
}

/** Fills fields a log object lacks from the query defaults (a log's own ddtags are kept and the defaults appended). */
function withDefaults(item: unknown, defaults: Record<string, string>): unknown {
  if (Object.keys(defaults).length === 0 || item === null || typeof item !== "object" || Array.isArray(item)) return item;
  const o = { ...(item as Record<string, unknown>) };
  for (const [k, v] of Object.entries(defaults)) {
    if (o[k] === undefined || o[k] === null || o[k] === "") o[k] = v;
    else if (k === "ddtags" && typeof o[k] === "string") o[k] = `${o[k] as string},${v}`;
  }
  return o;
}

function sendDatadogError(reply: FastifyReply, err: unknown): FastifyReply {
  const f = failureOf(err);
  if (f === undefined) throw err;
  return applyFailure(reply, f)
    .type("application/json")
    .send(JSON.stringify({ errors: [{ status: String(f.status), title: f.code, detail: f.message }] }));
}

export const datadogRoutes: RouteModule = {
  name: "datadog",
  body: "raw",
  register(app, ctx) {
    instrumentReceiver(app, ctx, "datadog");
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        requireRole(request, "ingest");
        const text = decodeBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw new MeshlogError(DatadogErrors.DATADOG_PAYLOAD_INVALID, `logs payload is not valid JSON: ${(err as Error).message}`);
        }
        const now = ctx.clock.nowNs();
        const items = Array.isArray(parsed) ? parsed : [parsed];
        // Query parameters (?ddsource=nginx&service=web&ddtags=env:prod&hostname=h) are defaults for every log.
        const defaults = queryDefaults(request.query);
        const records: LogRecord[] = [];
        items.forEach((item, i) => {
          // The Agent's start-up connectivity check posts {}: accept it without storing anything.
          if (item !== null && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length === 0) return;
          records.push(
            datadogToRecord(withDefaults(item, defaults), Array.isArray(parsed) ? `logs[${i}]` : "log", request.tenant, now, ctx.config.ingest.maxLineBytes),
          );
        });
        await ctx.ingest.write("datadog", request.tenant, records);
        return reply.status(202).type("application/json").send("{}");
      } catch (err) {
        if (err instanceof MeshlogError && err.code === DatadogErrors.DATADOG_PAYLOAD_INVALID) ctx.ingest.countRejected("datadog", "invalid");
        return sendDatadogError(reply, err);
      }
    };
    app.post("/api/v2/logs", { config: { audit: "ingest" } }, handler);
    app.post("/v1/input", { config: { audit: "ingest" } }, handler);
  },
};

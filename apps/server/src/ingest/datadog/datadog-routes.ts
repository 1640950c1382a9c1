// Datadog logs intake: POST /api/v2/logs (and legacy /v1/input), JSON array or object, gzip/deflate/zstd; 202 {}.

import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { decodeIngestBody } from "../otlp/bounded-zstd.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { applyFailure, failureOf, instrumentReceiver } from "../otlp/receiver-support.js";
import { datadogToRecord } from "./datadog-record.js";
import { DatadogErrors } from "./errors.js";

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
        const text = decodeIngestBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw new MeshlogError(DatadogErrors.DATADOG_PAYLOAD_INVALID, `logs payload is not valid JSON: ${(err as Error).message}`);
        }
        const now = ctx.clock.nowNs();
        const items = Array.isArray(parsed) ? parsed : [parsed];
        const records: LogRecord[] = [];
        items.forEach((item, i) => {
          // The Agent's start-up connectivity check posts {}: accept it without storing anything.
          if (item !== null && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length === 0) return;
          records.push(datadogToRecord(item, Array.isArray(parsed) ? `logs[${i}]` : "log", request.tenant, now, ctx.config.ingest.maxLineBytes));
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

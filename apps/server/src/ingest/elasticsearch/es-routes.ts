// Elasticsearch-compatible receiver: _bulk, single documents and the start-up endpoints, with ES's exact response shapes.

import { MeshlogError } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { decodeBody } from "../../http/body.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { applyFailure, failureOf, instrumentReceiver } from "../otlp/receiver-support.js";
import { ElasticsearchErrors } from "./errors.js";
import { bulkResponseBody, esErrorBody, generateDocId, parseBulk } from "./es-bulk.js";
import { registerClusterApi } from "./es-cluster-api.js";
import { DocumentError, documentToRecord, indexNameProblem } from "./es-document.js";

/** ES error type for a failure status (what real clients log). */
function esTypeOf(status: number, code: string): string {
  if (status === 401) return "security_exception";
  if (status === 403) return "security_exception";
  if (status === 413) return "content_too_long_exception";
  if (status === 429 || status === 503) return "es_rejected_execution_exception";
  if (code === ElasticsearchErrors.ES_BULK_INVALID) return "illegal_argument_exception";
  return status >= 500 ? "exception" : "parse_exception";
}

function sendEsError(reply: FastifyReply, err: unknown): FastifyReply {
  const f = failureOf(err);
  if (f === undefined) throw err;
  return applyFailure(reply, f)
    .type("application/json")
    .send(esErrorBody(f.status, esTypeOf(f.status, f.code), f.message));
}

export const elasticsearchRoutes: RouteModule = {
  name: "elasticsearch",
  body: "raw",
  register(app, ctx) {
    instrumentReceiver(app, ctx, "elasticsearch");
    app.addHook("onSend", async (_request, reply, payload) => {
      const type = String(reply.getHeader("content-type") ?? "");
      if (!type.startsWith("text/html")) void reply.header("x-elastic-product", "Elasticsearch");
      return payload;
    });
    let seq = 0;

    const bulk = async (request: FastifyRequest, reply: FastifyReply) => {
      const started = Date.now();
      try {
        requireRole(request, "ingest");
        const text = decodeBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
        const index = (request.params as { index?: string }).index;
        const result = parseBulk(text, index, request.tenant, ctx.clock.nowNs(), ctx.config.ingest.maxLineBytes, seq);
        if (result.rejected > 0) ctx.ingest.countRejected("elasticsearch", "invalid", result.rejected);
        await ctx.ingest.write("elasticsearch", request.tenant, result.records);
        seq += result.records.length;
        // Compact JSON: Vector and Fluent Bit look for the literal "errors":true / "errors":false,"items":[
        // Sent as bytes: the answer holds no query rows for the audit hook to count (it only scans text answers).
        return reply
          .status(200)
          .type("application/json")
          .send(Buffer.from(bulkResponseBody(Date.now() - started, result.errors, result.items)));
      } catch (err) {
        return sendEsError(reply, err);
      }
    };
    app.post("/_bulk", { config: { audit: "ingest" } }, bulk);
    app.put("/_bulk", { config: { audit: "ingest" } }, bulk);
    app.post("/:index/_bulk", { config: { audit: "ingest" } }, bulk);
    app.put("/:index/_bulk", { config: { audit: "ingest" } }, bulk);

    // Single documents (rsyslog omelasticsearch without bulkmode, simple scripts).
    const single = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        requireRole(request, "ingest");
        const { index, id } = request.params as { index: string; id?: string };
        const problem = indexNameProblem(index);
        if (problem !== undefined) throw new MeshlogError(ElasticsearchErrors.ES_DOCUMENT_INVALID, problem);
        const text = decodeBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch (err) {
          throw new MeshlogError(ElasticsearchErrors.ES_DOCUMENT_INVALID, `failed to parse the document: ${(err as Error).message}`);
        }
        if (doc === null || typeof doc !== "object" || Array.isArray(doc))
          throw new MeshlogError(ElasticsearchErrors.ES_DOCUMENT_INVALID, "the document must be a JSON object");
        let record;
        try {
          record = documentToRecord(doc as Record<string, unknown>, index, id, request.tenant, ctx.clock.nowNs(), ctx.config.ingest.maxLineBytes);
        } catch (err) {
          if (err instanceof DocumentError) throw new MeshlogError(ElasticsearchErrors.ES_DOCUMENT_INVALID, err.message);
          throw err;
        }
        await ctx.ingest.write("elasticsearch", request.tenant, [record]);
        const body = {
          _index: index,
          _id: id ?? generateDocId(),
          _version: 1,
          result: "created",
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: seq++,
          _primary_term: 1,
        };
        return reply.status(201).type("application/json").send(JSON.stringify(body));
      } catch (err) {
        return sendEsError(reply, err);
      }
    };
    app.post("/:index/_doc", { config: { audit: "ingest" } }, single);
    app.put("/:index/_doc/:id", { config: { audit: "ingest" } }, single);
    app.post("/:index/_doc/:id", { config: { audit: "ingest" } }, single);
    app.put("/:index/_create/:id", { config: { audit: "ingest" } }, single);
    app.post("/:index/_create/:id", { config: { audit: "ingest" } }, single);

    registerClusterApi(app, ctx);
  },
};

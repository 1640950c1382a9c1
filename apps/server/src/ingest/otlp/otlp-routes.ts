// OTLP/HTTP receiver: POST /v1/logs (also Loki's /otlp/v1/logs) and /v1/traces, protobuf or JSON (gzip), answered in the request's encoding.

import { MeshlogError } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { parseJsonBody } from "../../http/body.js";
import { decodeBody } from "../../http/body.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { OtlpErrors } from "./errors.js";
import { decodeLogsRequestJson, decodeTracesRequestJson } from "./otlp-json.js";
import { decodeLogsRequestProto, decodeTracesRequestProto } from "./otlp-proto.js";
import { logsToRecords, spansToRecords, type OtlpConversion } from "./otlp-records.js";
import { ProtoWireError, ProtoWriter } from "./proto-wire.js";
import { applyFailure, failureOf, instrumentReceiver, mediaTypeOf } from "./receiver-support.js";

type Encoding = "proto" | "json";
type Signal = "logs" | "traces";

const PROTO_TYPE = "application/x-protobuf";
const JSON_TYPE = "application/json";

function encodingOf(request: FastifyRequest): Encoding | undefined {
  const t = mediaTypeOf(request.headers["content-type"]);
  if (t === PROTO_TYPE || t === "application/protobuf") return "proto";
  if (t === JSON_TYPE) return "json";
  return undefined;
}

/** google.rpc.Status code for an HTTP status (OTLP error bodies). */
function rpcCodeOf(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 413 || status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503 || status === 502 || status === 504) return 14; // UNAVAILABLE
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

function sendStatus(reply: FastifyReply, enc: Encoding, status: number, message: string): FastifyReply {
  const code = rpcCodeOf(status);
  if (enc === "proto") return reply.status(status).type(PROTO_TYPE).send(new ProtoWriter().varintField(1, code).stringField(2, message).finish());
  return reply.status(status).type(JSON_TYPE).send(JSON.stringify({ code, message }));
}

function sendSuccess(reply: FastifyReply, enc: Encoding, signal: Signal, conv: OtlpConversion): FastifyReply {
  if (enc === "proto") {
    const w = new ProtoWriter();
    if (conv.rejected > 0) w.bytesField(1, new ProtoWriter().varintField(1, conv.rejected).stringField(2, conv.firstError).finish());
    return reply.status(200).type(PROTO_TYPE).send(w.finish());
  }
  if (conv.rejected === 0) return reply.status(200).type(JSON_TYPE).send("{}");
  const key = signal === "logs" ? "rejectedLogRecords" : "rejectedSpans";
  return reply
    .status(200)
    .type(JSON_TYPE)
    .send(JSON.stringify({ partialSuccess: { [key]: String(conv.rejected), errorMessage: conv.firstError } }));
}

async function handleExport(ctx: ServerContext, signal: Signal, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const enc = encodingOf(request);
  try {
    requireRole(request, "ingest");
    if (enc === undefined) {
      throw new MeshlogError(
        OtlpErrors.OTLP_UNSUPPORTED_MEDIA_TYPE,
        `unsupported Content-Type ${JSON.stringify(request.headers["content-type"] ?? "")}: use ${PROTO_TYPE} or ${JSON_TYPE}`,
      );
    }
    const body = decodeBody(request, ctx.config.ingest.maxBodyBytes);
    const now = ctx.clock.nowNs();
    let conv: OtlpConversion;
    try {
      if (signal === "logs") {
        const req = enc === "proto" ? decodeLogsRequestProto(body) : decodeLogsRequestJson(body.length === 0 ? {} : parseJsonBody(body, "OTLP logs request"));
        conv = logsToRecords(req, request.tenant, now, ctx.config.ingest.maxLineBytes);
      } else {
        const req =
          enc === "proto" ? decodeTracesRequestProto(body) : decodeTracesRequestJson(body.length === 0 ? {} : parseJsonBody(body, "OTLP traces request"));
        conv = spansToRecords(req, request.tenant, now);
      }
    } catch (err) {
      if (err instanceof ProtoWireError || err instanceof RangeError) {
        throw new MeshlogError(
          OtlpErrors.OTLP_PAYLOAD_INVALID,
          `${signal === "logs" ? "ExportLogsServiceRequest" : "ExportTraceServiceRequest"} is not valid protobuf: ${err.message}`,
        );
      }
      throw err;
    }
    if (conv.rejected > 0) ctx.ingest.countRejected("otlp", "invalid", conv.rejected);
    await ctx.ingest.write("otlp", request.tenant, conv.records);
    return sendSuccess(reply, enc, signal, conv);
  } catch (err) {
    const f = failureOf(err);
    if (f === undefined) throw err;
    applyFailure(reply, f);
    return sendStatus(reply, enc ?? "json", f.status, f.message);
  }
}

export const otlpRoutes: RouteModule = {
  name: "otlp",
  body: "raw",
  register(app, ctx) {
    instrumentReceiver(app, ctx, "otlp");
    app.post("/v1/logs", { config: { audit: "ingest" } }, (request, reply) => handleExport(ctx, "logs", request, reply));
    // Loki's OTLP ingestion path, for senders configured against a Loki endpoint.
    app.post("/otlp/v1/logs", { config: { audit: "ingest" } }, (request, reply) => handleExport(ctx, "logs", request, reply));
    app.post("/v1/traces", { config: { audit: "ingest" } }, (request, reply) => handleExport(ctx, "traces", request, reply));
  },
};

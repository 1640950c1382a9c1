// Zipkin receiver: POST /api/v2/spans (JSON v2 or proto3 ListOfSpans, gzip); 202 on success; v1 refused with a clear 400.

import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { parseJsonBody } from "../../http/body.js";
import { decodeBody } from "../../http/body.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { ProtoWireError } from "../otlp/proto-wire.js";
import { applyFailure, failureOf, instrumentReceiver, mediaTypeOf } from "../otlp/receiver-support.js";
import { ZipkinErrors } from "./errors.js";
import { decodeZipkinJson, decodeZipkinProto, zipkinSpanToRecord, type ZipkinSpan } from "./zipkin-span.js";

function sendZipkinError(reply: FastifyReply, err: unknown): FastifyReply {
  const f = failureOf(err);
  if (f === undefined) throw err;
  return applyFailure(reply, f).type("text/plain; charset=utf-8").send(`${f.message}\n`);
}

export const zipkinRoutes: RouteModule = {
  name: "zipkin",
  body: "raw",
  register(app, ctx) {
    instrumentReceiver(app, ctx, "zipkin");
    app.post("/api/v2/spans", { config: { audit: "ingest" } }, async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        requireRole(request, "ingest");
        const type = mediaTypeOf(request.headers["content-type"]);
        const body = decodeBody(request, ctx.config.ingest.maxBodyBytes);
        let spans: ZipkinSpan[];
        if (type === "application/json" || type === "") spans = decodeZipkinJson(parseJsonBody(body, "Zipkin span list"));
        else if (type === "application/x-protobuf" || type === "application/protobuf") {
          try {
            spans = decodeZipkinProto(body);
          } catch (err) {
            if (err instanceof ProtoWireError)
              throw new MeshlogError(ZipkinErrors.ZIPKIN_SPANS_INVALID, `body is not a valid zipkin2.ListOfSpans: ${err.message}`);
            throw err;
          }
        } else
          throw new MeshlogError(
            ZipkinErrors.ZIPKIN_UNSUPPORTED_MEDIA_TYPE,
            `unsupported Content-Type ${JSON.stringify(type)}: use application/json or application/x-protobuf`,
          );
        const now = ctx.clock.nowNs();
        const records: LogRecord[] = spans.map((s, i) => zipkinSpanToRecord(s, i, request.tenant, now));
        await ctx.ingest.write("zipkin", request.tenant, records);
        return reply.status(202).send();
      } catch (err) {
        if (err instanceof MeshlogError && err.code.startsWith("ZIPKIN_")) ctx.ingest.countRejected("zipkin", "invalid");
        return sendZipkinError(reply, err);
      }
    });
    app.post("/api/v1/spans", { config: { audit: "ingest" } }, async (_request, reply) =>
      sendZipkinError(
        reply,
        new MeshlogError(ZipkinErrors.ZIPKIN_V1_UNSUPPORTED, "Zipkin v1 (/api/v1/spans) is not accepted: send Zipkin v2 JSON or proto3 to /api/v2/spans"),
      ),
    );
  },
};

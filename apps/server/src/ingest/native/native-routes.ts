// Native ingest: POST /api/v1/ingest with NDJSON records; acked only when durable, per-line errors.

import type { RouteModule } from "../../http/route-module.js";
import { decodeBody } from "../../http/body.js";
import { requireRole } from "../../http/request-auth.js";
import { parseNativeNdjson } from "./native-ndjson.js";
import { NativeLineContext } from "./native-record.js";

export const nativeIngestRoutes: RouteModule = {
  name: "native-ingest",
  body: "raw",
  register(app, ctx) {
    const lineCtx = new NativeLineContext();
    app.post("/api/v1/ingest", { config: { audit: "ingest" } }, async (request, reply) => {
      requireRole(request, "ingest");
      const text = decodeBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
      const { records, rejected } = parseNativeNdjson(text, request.tenant, "native", ctx.config.ingest.maxLineBytes, lineCtx);
      if (rejected.length > 0) ctx.ingest.countRejected("native", "invalid", rejected.length);
      await ctx.ingest.write("native", request.tenant, records);
      return reply.status(200).send({ accepted: records.length, rejected });
    });
  },
};

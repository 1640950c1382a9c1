// Native ingest: POST /api/v1/ingest with NDJSON records; acked only when durable, per-line errors.

import { MeshlogError } from "@meshlog/core";
import type { LogRecord } from "@meshlog/core";
import type { RouteModule } from "../../http/route-module.js";
import { decodeBody } from "../../http/body.js";
import { requireRole } from "../../http/request-auth.js";
import { nativeLineToRecord } from "./native-record.js";

export const nativeIngestRoutes: RouteModule = {
  name: "native-ingest",
  body: "raw",
  register(app, ctx) {
    app.post("/api/v1/ingest", { config: { audit: "ingest" } }, async (request, reply) => {
      requireRole(request, "ingest");
      const text = decodeBody(request, ctx.config.ingest.maxBodyBytes).toString("utf8");
      const records: LogRecord[] = [];
      const rejected: { line: number; error: string }[] = [];
      let lineNo = 0;
      let start = 0;
      while (start <= text.length) {
        let end = text.indexOf("\n", start);
        if (end < 0) end = text.length;
        const line = text.slice(start, end).trim();
        start = end + 1;
        lineNo++;
        if (line === "") continue;
        try {
          records.push(nativeLineToRecord(JSON.parse(line), request.tenant, "native", ctx.config.ingest.maxLineBytes));
        } catch (err) {
          const msg = err instanceof SyntaxError ? `invalid JSON: ${err.message}` : err instanceof MeshlogError ? err.message : String(err);
          rejected.push({ line: lineNo, error: msg });
        }
      }
      if (rejected.length > 0) ctx.ingest.countRejected("native", "invalid", rejected.length);
      await ctx.ingest.write("native", request.tenant, records);
      return reply.status(200).send({ accepted: records.length, rejected });
    });
  },
};

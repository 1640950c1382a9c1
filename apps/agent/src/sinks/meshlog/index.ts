// Sink `meshlog`: the server's native ingest API (NDJSON, gzip, bearer token, mTLS).

import { readFileSync } from "node:fs";
import { z } from "zod";
import type { SinkDefinition } from "../../contracts.js";
import { httpSink, httpSinkShape } from "../http-sender.js";
import { toNdjson } from "../wire-record.js";

export const meshlogSinkSchema = z
  .strictObject({
    ...httpSinkShape,
    token: z.string().optional().describe("Bearer token with the ingest role (prefer token_file or ${ENV})."),
    token_file: z.string().optional().describe("File holding the bearer token (read at start and on reload)."),
    path: z.string().default("/api/v1/ingest").describe("Ingest path on the server."),
  })
  .refine((c) => c.token === undefined || c.token_file === undefined, { message: "set token or token_file, not both", path: ["token_file"] })
  .describe("Ship to a meshlog server.");
export type MeshlogSinkConfig = z.output<typeof meshlogSinkSchema>;

/** Reads the native response; a body that is not the expected JSON still counts the batch as delivered. */
export function parseIngestResponse(body: string): { index: number; error: string }[] {
  try {
    const v = JSON.parse(body) as { rejected?: unknown };
    if (!Array.isArray(v.rejected)) return [];
    return v.rejected.flatMap((x: unknown) => {
      const o = x as { line?: unknown; error?: unknown };
      return typeof o.line === "number" ? [{ index: o.line, error: String(o.error ?? "rejected") }] : [];
    });
  } catch {
    return [];
  }
}

export const meshlogSink: SinkDefinition<MeshlogSinkConfig> = {
  type: "meshlog",
  description: "POST /api/v1/ingest on a meshlog server: NDJSON, gzip, bearer token, optional mTLS client certificate.",
  configSchema: meshlogSinkSchema,
  create(config, ctx) {
    const token = config.token_file !== undefined ? readFileSync(config.token_file, "utf8").trim() : config.token;
    return httpSink(config, ctx, {
      path: config.path,
      contentType: "application/x-ndjson",
      encode: toNdjson,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      onDelivered: (res) => {
        const rejected = parseIngestResponse(res.body);
        return rejected.length > 0 ? { status: "delivered", rejected } : { status: "delivered" };
      },
    });
  },
};

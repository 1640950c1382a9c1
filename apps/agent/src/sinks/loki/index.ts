// Sink `loki`: Loki push API, JSON encoding (streams of [ns, line, structured metadata]).

import { z } from "zod";
import type { LogRecord } from "@meshlog/core";
import type { SinkDefinition } from "../../contracts.js";
import { httpSink, httpSinkShape } from "../http-sender.js";

export const lokiSinkSchema = z
  .strictObject({
    ...httpSinkShape,
    tenant_id: z.string().optional().describe("X-Scope-OrgID header."),
    token: z.string().optional().describe("Bearer token."),
    structured_metadata: z.boolean().default(true).describe("Send attributes as structured metadata (Loki 3)."),
  })
  .describe("Ship to Loki.");
export type LokiSinkConfig = z.output<typeof lokiSinkSchema>;

/** Groups records by label set into a push request body. */
export function lokiPushBody(records: readonly LogRecord[], structuredMetadata: boolean): string {
  const streams = new Map<string, { stream: Record<string, string>; values: unknown[] }>();
  for (const r of records) {
    const labels = { ...r.labels };
    if (r.severityText !== "" && labels.level === undefined) labels.level = r.severityText;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let s = streams.get(key);
    if (s === undefined) {
      s = { stream: labels, values: [] };
      streams.set(key, s);
    }
    const meta: Record<string, string> = structuredMetadata ? { ...r.attributes } : {};
    if (structuredMetadata && r.traceId !== "") meta.trace_id = r.traceId;
    s.values.push(Object.keys(meta).length > 0 ? [r.timestamp.toString(), r.body, meta] : [r.timestamp.toString(), r.body]);
  }
  return JSON.stringify({ streams: [...streams.values()] });
}

export const lokiSink: SinkDefinition<LokiSinkConfig> = {
  type: "loki",
  description: "POST /loki/api/v1/push (JSON), one stream per label set.",
  configSchema: lokiSinkSchema,
  create(config, ctx) {
    const headers: Record<string, string> = {};
    if (config.tenant_id !== undefined) headers["x-scope-orgid"] = config.tenant_id;
    if (config.token !== undefined) headers.authorization = `Bearer ${config.token}`;
    return httpSink(config, ctx, {
      path: "/loki/api/v1/push",
      contentType: "application/json",
      encode: (records) => lokiPushBody(records, config.structured_metadata),
      headers,
    });
  },
};

// Sink `otlp`: OTLP/HTTP logs export, JSON encoding, grouped by resource.

import { z } from "zod";
import type { LogRecord } from "@meshlog/core";
import type { SinkDefinition } from "../../contracts.js";
import { httpSink, httpSinkShape } from "../http-sender.js";

export const otlpSinkSchema = z
  .strictObject({
    ...httpSinkShape,
    path: z.string().default("/v1/logs").describe("Export path."),
  })
  .describe("Ship over OTLP/HTTP JSON.");
export type OtlpSinkConfig = z.output<typeof otlpSinkSchema>;

const kv = (m: Record<string, string>): { key: string; value: { stringValue: string } }[] =>
  Object.entries(m).map(([key, v]) => ({ key, value: { stringValue: v } }));

/** ExportLogsServiceRequest JSON; stream labels travel as `meshlog.label.<name>` log attributes. */
export function otlpLogsBody(records: readonly LogRecord[]): string {
  const byResource = new Map<string, { resource: Record<string, string>; logs: unknown[] }>();
  for (const r of records) {
    const key = JSON.stringify(Object.entries(r.resource).sort(([a], [b]) => a.localeCompare(b)));
    let g = byResource.get(key);
    if (g === undefined) {
      g = { resource: r.resource, logs: [] };
      byResource.set(key, g);
    }
    const attrs: Record<string, string> = { ...r.attributes };
    for (const [k, v] of Object.entries(r.labels)) attrs[`meshlog.label.${k}`] = v;
    g.logs.push({
      timeUnixNano: r.timestamp.toString(),
      observedTimeUnixNano: r.observedTimestamp.toString(),
      ...(r.severityNumber > 0 ? { severityNumber: r.severityNumber } : {}),
      ...(r.severityText !== "" ? { severityText: r.severityText } : {}),
      body: { stringValue: r.body },
      attributes: kv(attrs),
      ...(r.traceId !== "" ? { traceId: r.traceId } : {}),
      ...(r.spanId !== "" ? { spanId: r.spanId } : {}),
    });
  }
  return JSON.stringify({
    resourceLogs: [...byResource.values()].map((g) => ({
      resource: { attributes: kv(g.resource) },
      scopeLogs: [{ scope: { name: "meshlog-agent" }, logRecords: g.logs }],
    })),
  });
}

export const otlpSink: SinkDefinition<OtlpSinkConfig> = {
  type: "otlp",
  description: "POST /v1/logs (OTLP/HTTP JSON).",
  configSchema: otlpSinkSchema,
  create(config, ctx) {
    return httpSink(config, ctx, { path: config.path, contentType: "application/json", encode: otlpLogsBody });
  },
};

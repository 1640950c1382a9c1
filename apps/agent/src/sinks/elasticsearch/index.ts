// Sink `elasticsearch`: the _bulk API with `create` actions and content-derived ids (retries are idempotent).

import { createHash } from "node:crypto";
import { z } from "zod";
import { formatRfc3339Ns, type LogRecord } from "@meshlog/core";
import type { SinkDefinition, SinkResult } from "../../contracts.js";
import { httpSink, httpSinkShape } from "../http-sender.js";

export const elasticsearchSinkSchema = z
  .strictObject({
    ...httpSinkShape,
    index: z.string().default("meshlog-logs").describe("Target index or data stream."),
    api_key: z.string().optional().describe("ApiKey authorization (base64 id:key)."),
    username: z.string().optional().describe("Basic auth user."),
    password: z.string().optional().describe("Basic auth password."),
  })
  .describe("Ship to Elasticsearch.");
export type ElasticsearchSinkConfig = z.output<typeof elasticsearchSinkSchema>;

/** Deterministic document id: a resent batch creates no duplicates (Elasticsearch answers 409). */
export function documentId(r: LogRecord): string {
  return createHash("sha256")
    .update(`${r.timestamp}\u0000${r.observedTimestamp}\u0000${r.body}\u0000${JSON.stringify(r.attributes)}`)
    .digest("base64url")
    .slice(0, 32);
}

export function bulkBody(records: readonly LogRecord[], index: string): string {
  let s = "";
  for (const r of records) {
    const doc = {
      "@timestamp": formatRfc3339Ns(r.timestamp),
      message: r.body,
      "log.level": r.severityText === "" ? undefined : r.severityText,
      labels: r.labels,
      attributes: r.attributes,
      resource: r.resource,
      "trace.id": r.traceId === "" ? undefined : r.traceId,
      "span.id": r.spanId === "" ? undefined : r.spanId,
    };
    s += JSON.stringify({ create: { _index: index, _id: documentId(r) } }) + "\n" + JSON.stringify(doc) + "\n";
  }
  return s;
}

/** Item statuses: < 300 or 409 done; 429 or >= 500 retry the batch; other 4xx rejected per item. */
export function bulkResult(body: string): SinkResult {
  let parsed: { errors?: boolean; items?: Record<string, { status?: number; error?: unknown }>[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { status: "retry", reason: "unparseable _bulk response" };
  }
  if (parsed.errors !== true) return { status: "delivered" };
  const rejected: { index: number; error: string }[] = [];
  for (const [i, item] of (parsed.items ?? []).entries()) {
    const v = Object.values(item)[0];
    const st = v?.status ?? 200;
    if (st < 300 || st === 409) continue;
    if (st === 429 || st >= 500) return { status: "retry", reason: `bulk item ${i} answered ${st}` };
    rejected.push({ index: i, error: JSON.stringify(v?.error ?? st).slice(0, 300) });
  }
  return rejected.length > 0 ? { status: "delivered", rejected } : { status: "delivered" };
}

export const elasticsearchSink: SinkDefinition<ElasticsearchSinkConfig> = {
  type: "elasticsearch",
  description: "POST /_bulk with create actions; 409 counts as delivered, 429/5xx items retry the batch.",
  configSchema: elasticsearchSinkSchema,
  create(config, ctx) {
    const headers: Record<string, string> = {};
    if (config.api_key !== undefined) headers.authorization = `ApiKey ${config.api_key}`;
    else if (config.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ""}`).toString("base64")}`;
    return httpSink(config, ctx, {
      path: "/_bulk",
      contentType: "application/x-ndjson",
      encode: (records) => bulkBody(records, config.index),
      headers,
      onDelivered: (res) => bulkResult(res.body),
    });
  },
};

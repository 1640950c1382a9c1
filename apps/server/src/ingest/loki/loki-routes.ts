// Loki push receiver: POST /loki/api/v1/push (and legacy /api/prom/push), protobuf+snappy or JSON; 204 on success.

import { MeshlogError, severityFromText, severityTextOf, validateLabels, type Labels, type LogRecord } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { parseJsonBody } from "../../http/body.js";
import { decodeBody } from "../../http/body.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import { applyFailure, failureOf, instrumentReceiver, mediaTypeOf, tooLarge } from "../otlp/receiver-support.js";
import { LokiErrors } from "./errors.js";
import { parseLokiLabels } from "./loki-labels.js";
import { decodePushJson, decodePushProto, snappyDecode, type LokiStream } from "./loki-push.js";

const SEVERITY_KEYS = ["level", "severity", "detected_level", "lvl"] as const;

/** Validated label sets by their selector text (protobuf pushes repeat the same few strings). */
const bySelector = new Map<string, Labels>();
const MAX_CACHED_SELECTORS = 4096;

function streamLabelsOf(raw: string | Record<string, string>): Labels {
  if (typeof raw === "string") {
    const hit = bySelector.get(raw);
    if (hit !== undefined) return hit;
  }
  const parsed = typeof raw === "string" ? parseLokiLabels(raw) : { ...raw };
  if (parsed.source === undefined || parsed.source === "") parsed.source = "loki";
  const labels = Object.freeze(validateLabels(parsed));
  if (typeof raw === "string") {
    if (bySelector.size >= MAX_CACHED_SELECTORS) bySelector.clear();
    bySelector.set(raw, labels);
  }
  return labels;
}

/** Converts decoded streams to records; entries that fail validation are listed in `errors` and skipped. */
export function lokiStreamsToRecords(
  streams: readonly LokiStream[],
  tenant: string,
  observedNs: bigint,
  maxLineBytes: number,
): { records: LogRecord[]; errors: string[]; rejected: number } {
  const records: LogRecord[] = [];
  const errors: string[] = [];
  let rejected = 0;
  streams.forEach((s, si) => {
    let labels: Labels;
    try {
      labels = streamLabelsOf(s.labels);
    } catch (err) {
      rejected += s.entries.length;
      errors.push(`stream ${si}: ${(err as Error).message}`);
      return;
    }
    let levelText = "";
    for (const k of SEVERITY_KEYS)
      if (labels[k] !== undefined) {
        levelText = labels[k];
        break;
      }
    s.entries.forEach((e, ei) => {
      if (Buffer.byteLength(e.line) > maxLineBytes) {
        rejected++;
        errors.push(`stream ${si} entry ${ei}: line is ${Buffer.byteLength(e.line)} bytes, the limit is ${maxLineBytes} (ingest.maxLineBytes)`);
        return;
      }
      let text = levelText;
      if (text === "")
        for (const k of SEVERITY_KEYS)
          if (e.metadata[k] !== undefined) {
            text = e.metadata[k];
            break;
          }
      const severityNumber = severityFromText(text);
      records.push({
        timestamp: e.timestampNs,
        observedTimestamp: observedNs,
        severityNumber,
        severityText: text !== "" ? text : severityTextOf(severityNumber),
        body: e.line,
        attributes: e.metadata,
        resource: {},
        traceId: "",
        spanId: "",
        tenant,
        labels,
      });
    });
  });
  return { records, errors, rejected };
}

function sendLokiError(reply: FastifyReply, err: unknown): FastifyReply {
  const f = failureOf(err);
  if (f === undefined) throw err;
  return applyFailure(reply, f).type("text/plain; charset=utf-8").send(`${f.message}\n`);
}

async function handlePush(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  try {
    requireRole(request, "ingest");
    const max = ctx.config.ingest.maxBodyBytes;
    const type = mediaTypeOf(request.headers["content-type"]);
    let streams: LokiStream[];
    if (type === "application/json") {
      streams = decodePushJson(parseJsonBody(decodeBody(request, max), "Loki push body"));
    } else if (type === "application/x-protobuf" || type === "") {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      // Loki ignores Content-Encoding: snappy (the block is always snappy); honour gzip & co. around it.
      const enc = String(request.headers["content-encoding"] ?? "")
        .toLowerCase()
        .trim();
      const unwrapped = enc === "snappy" || enc === "" ? raw : decodeBody(request, max);
      streams = decodePushProto(snappyDecode(unwrapped, max, (n) => tooLarge("push body (after snappy)", n, max)));
    } else {
      throw new MeshlogError(
        LokiErrors.LOKI_UNSUPPORTED_MEDIA_TYPE,
        `unsupported Content-Type ${JSON.stringify(type)}: use application/x-protobuf (snappy) or application/json`,
      );
    }
    const { records, errors, rejected } = lokiStreamsToRecords(streams, request.tenant, ctx.clock.nowNs(), ctx.config.ingest.maxLineBytes);
    if (rejected > 0) ctx.ingest.countRejected("loki", "invalid", rejected);
    await ctx.ingest.write("loki", request.tenant, records);
    if (errors.length > 0) {
      const shown = errors.slice(0, 10).join("\n");
      throw new MeshlogError(
        LokiErrors.LOKI_ENTRIES_REJECTED,
        `${rejected} of ${rejected + records.length} entries rejected:\n${shown}${errors.length > 10 ? `\n… and ${errors.length - 10} more` : ""}`,
      );
    }
    return reply.status(204).send();
  } catch (err) {
    return sendLokiError(reply, err);
  }
}

export const lokiPushRoutes: RouteModule = {
  name: "loki-push",
  body: "raw",
  register(app, ctx) {
    instrumentReceiver(app, ctx, "loki");
    for (const path of ["/loki/api/v1/push", "/api/prom/push"]) {
      app.post(path, { config: { audit: "ingest" } }, (request, reply) => handlePush(ctx, request, reply));
    }
  },
};

// Helpers every HTTP receiver shares: per-receiver request metrics and mapping errors to status + Retry-After.

import { httpStatusOf, MeshlogError, validateLabels, type Labels } from "@meshlog/core";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";

/**
 * Registers request metrics for the routes of one receiver scope: requests by status class and raw body bytes.
 * Records received/rejected per receiver are counted by the IngestWriter (meshlog_ingest_*_total).
 */
export function instrumentReceiver(app: FastifyInstance, ctx: ServerContext, receiver: string): void {
  const requests = ctx.metrics.counter("meshlog_receiver_requests_total", "HTTP requests to ingest receivers, by receiver and status code.");
  const bytes = ctx.metrics.counter(
    "meshlog_receiver_request_bytes_total",
    "Bytes of request bodies (as sent, before decompression) received by ingest receivers.",
  );
  app.addHook("onResponse", async (request, reply) => {
    requests.inc({ receiver, status: String(reply.statusCode) });
    const body = request.body;
    if (Buffer.isBuffer(body)) bytes.inc({ receiver }, body.length);
  });
}

/** The HTTP status and error details for a failure raised while handling an ingest request. */
export interface ReceiverFailure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Seconds to wait before retrying (429/503 only). */
  readonly retryAfterSeconds: number | undefined;
}

/** Classifies an error; returns undefined for unexpected (non-Meshlog) errors, which the app maps to 500. */
export function failureOf(err: unknown): ReceiverFailure | undefined {
  if (!(err instanceof MeshlogError)) return undefined;
  const status = httpStatusOf(err);
  let retryAfterSeconds: number | undefined;
  if (status === 429 || status === 503) {
    const r = err.details?.retryAfterSeconds;
    retryAfterSeconds = typeof r === "number" && Number.isFinite(r) ? Math.max(1, Math.ceil(r)) : 1;
  }
  return { status, code: err.code, message: err.message, retryAfterSeconds };
}

/** Sets the status and Retry-After header for a failure; returns the reply for chaining. */
export function applyFailure(reply: FastifyReply, f: ReceiverFailure): FastifyReply {
  if (f.retryAfterSeconds !== undefined) void reply.header("retry-after", String(f.retryAfterSeconds));
  if (f.status === 401) void reply.header("www-authenticate", 'Bearer realm="meshlog"');
  return reply.status(f.status);
}

/** The media type of a request without parameters, lower-cased ("" when absent). */
export function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return "";
  const semi = header.indexOf(";");
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/** A MeshlogError for a payload that exceeds the body limit. */
export function tooLarge(what: string, bytes: number, limit: number): MeshlogError {
  return new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `${what} is ${bytes} bytes, the limit is ${limit} (ingest.maxBodyBytes)`);
}

/** Converts a JSON-ish value to the string stored in attributes: strings as-is, others as compact JSON. */
export function attributeText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v === null || v === undefined) return "";
  return JSON.stringify(v);
}

/**
 * Validates stream labels with a bounded cache: receivers build the same few label sets for thousands of
 * records, so each distinct set is validated once and the frozen result is shared. Throws like validateLabels.
 */
export class LabelInterner {
  readonly #cache = new Map<string, Labels>();
  readonly #max: number;

  constructor(max = 4096) {
    this.#max = max;
  }

  intern(labels: Record<string, string>): Labels {
    let key = "";
    for (const k in labels) key += `${k}\u0000${labels[k]}\u0001`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const valid = Object.freeze(validateLabels(labels));
    if (this.#cache.size >= this.#max) this.#cache.clear();
    this.#cache.set(key, valid);
    return valid;
  }
}

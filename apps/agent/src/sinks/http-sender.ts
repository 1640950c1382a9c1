// HTTP(S) client shared by the network sinks: keep-alive, TLS/mTLS, gzip, timeouts, status mapping.

import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { z } from "zod";
import { MeshlogError } from "@meshlog/core";
import { AgentErrors } from "../errors.js";
import { durationSchema, sizeSchema, tlsSchema, type TlsConfig } from "../config/units.js";
import type { Sink, SinkContext, SinkResult } from "../contracts.js";
import type { LogRecord } from "@meshlog/core";

const gzipAsync = promisify(gzip);

export const batchSchema = z
  .strictObject({
    max_records: z.number().int().min(1).max(1_000_000).default(2000).describe("Records per request at most."),
    max_bytes: sizeSchema.default(4 * 1024 * 1024).describe("Approximate record bytes per request at most (a single larger record is still sent alone)."),
  })
  .prefault({})
  .describe("Batching.");

/** Config keys every HTTP sink accepts. */
export const httpSinkShape = {
  endpoint: z.url().describe("Base URL of the destination (http:// or https://)."),
  tls: tlsSchema.optional(),
  timeout: durationSchema.default(30_000).describe("Request timeout."),
  headers: z.record(z.string(), z.string()).default({}).describe("Extra request headers."),
  compression: z.enum(["none", "gzip"]).default("gzip").describe("Request body compression."),
  batch: batchSchema,
};

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Retry-After in milliseconds (delta-seconds or HTTP date), undefined when absent or malformed. */
export function retryAfterMs(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v.trim())) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

/**
 * Generic status mapping: 2xx delivered; 408, 429, 5xx retry (honoring Retry-After); 401/403 retry too,
 * since a bad token is a configuration problem and dropping data would hide it; other 4xx rejected.
 */
export function resultOfStatus(res: HttpResponse): SinkResult {
  const s = res.status;
  if (s >= 200 && s < 300) return { status: "delivered" };
  const after = retryAfterMs(res.headers["retry-after"]);
  const reason = `HTTP ${s}: ${res.body.slice(0, 300)}`;
  if (s === 408 || s === 429 || s >= 500 || s === 401 || s === 403)
    return after === undefined ? { status: "retry", reason } : { status: "retry", reason, afterMs: after };
  return { status: "rejected", reason };
}

export class HttpSender {
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #gzip: boolean;
  readonly #tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; servername?: string };

  constructor(o: {
    sink: string;
    endpoint: string;
    tls?: TlsConfig | undefined;
    timeoutMs: number;
    headers: Record<string, string>;
    compression: "none" | "gzip";
  }) {
    this.#url = new URL(o.endpoint);
    this.#timeoutMs = o.timeoutMs;
    this.#headers = o.headers;
    this.#gzip = o.compression === "gzip";
    const read = (what: string, path: string | undefined): Buffer | undefined => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (cause) {
        throw new MeshlogError(AgentErrors.AGENT_SINK_FAILED, `Cannot read tls.${what} "${path}" of sink "${o.sink}": ${(cause as Error).message}`, { cause });
      }
    };
    this.#tls = { rejectUnauthorized: o.tls?.verify ?? true };
    const ca = read("ca", o.tls?.ca);
    const cert = read("cert", o.tls?.cert);
    const key = read("key", o.tls?.key);
    if (ca !== undefined) this.#tls.ca = ca;
    if (cert !== undefined) this.#tls.cert = cert;
    if (key !== undefined) this.#tls.key = key;
    if (o.tls?.server_name !== undefined) this.#tls.servername = o.tls.server_name;
    this.#agent =
      this.#url.protocol === "https:" ? new HttpsAgent({ keepAlive: true, maxSockets: 4, ...this.#tls }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  }

  /** POSTs a body to `path` (appended to the endpoint path). Network errors resolve to `{ error }`. */
  async post(path: string, body: Buffer | string, contentType: string, extra: Record<string, string> = {}): Promise<HttpResponse | { error: string }> {
    let payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const headers: Record<string, string> = { "content-type": contentType, ...this.#headers, ...extra };
    if (this.#gzip) {
      payload = await gzipAsync(payload, { level: 1 });
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = String(payload.length);
    const base = this.#url.pathname.replace(/\/$/, "");
    const target = new URL(base + path + this.#url.search, this.#url);
    const doRequest = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = doRequest(target, { method: "POST", headers, agent: this.#agent, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= 1024 * 1024) chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (err) => resolve({ error: err.message }));
      });
      req.on("timeout", () => req.destroy(new Error(`request timed out after ${this.#timeoutMs} ms`)));
      req.on("error", (err) => resolve({ error: `${target.origin}: ${err.message}` }));
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The config keys of `httpSinkShape`, as parsed. */
export interface HttpSinkConfig {
  readonly endpoint: string;
  readonly tls?: TlsConfig | undefined;
  readonly timeout: number;
  readonly headers: Record<string, string>;
  readonly compression: "none" | "gzip";
}

/** How one HTTP sink encodes a batch and reads the answer. */
export interface HttpSinkRequest {
  readonly path: string;
  readonly contentType: string;
  readonly encode: (records: readonly LogRecord[]) => Buffer | string;
  /** Extra request headers (authentication, tenant). */
  readonly headers?: Record<string, string>;
  /** Reads a 2xx answer (per-item rejections); by default the status alone decides. */
  readonly onDelivered?: (res: HttpResponse) => SinkResult;
}

/** A sink that POSTs each batch through one keep-alive `HttpSender`; network errors and retryable statuses retry. */
export function httpSink(config: HttpSinkConfig, ctx: SinkContext, req: HttpSinkRequest): Sink {
  const sender = new HttpSender({
    sink: ctx.name,
    endpoint: config.endpoint,
    tls: config.tls,
    timeoutMs: config.timeout,
    headers: config.headers,
    compression: config.compression,
  });
  return {
    async send(records): Promise<SinkResult> {
      const res = await sender.post(req.path, req.encode(records), req.contentType, req.headers);
      if ("error" in res) return { status: "retry", reason: res.error };
      const r = resultOfStatus(res);
      return r.status === "delivered" && req.onDelivered !== undefined ? req.onDelivered(res) : r;
    },
    async close() {
      sender.close();
    },
  };
}

// Typed HTTP client for the meshlog API (used by the CLI, the agent and the web UI). fetch-based, no Node APIs.

import type { CreateTokenRequest, CreateTokenResponse, NativeIngestResponse, TokenInfo, WhoAmI } from "./admin-types.js";
import type { LokiLabelsResponse, LokiQueryResponse } from "./loki-types.js";

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:3100 ("" for same-origin in the browser). */
  baseUrl: string;
  /** Bearer token; omit to rely on the browser session cookie. */
  token?: string;
  /** Tenant override (X-Scope-OrgID). */
  tenant?: string;
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export type QueryParams = Record<string, string | number | undefined>;

export class MeshlogClient {
  readonly #opts: ClientOptions;
  constructor(opts: ClientOptions) {
    this.#opts = opts;
  }

  /** Performs a request and parses JSON; non-2xx answers throw ApiRequestError with the server's message. */
  async request<T>(
    method: string,
    path: string,
    opts: { query?: QueryParams; body?: unknown; raw?: string; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = new URL(
      path,
      this.#opts.baseUrl === "" ? ((globalThis as { location?: { origin: string } }).location?.origin ?? "http://localhost") : this.#opts.baseUrl,
    );
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...(this.#opts.headers ?? {}) };
    if (this.#opts.token !== undefined) headers.authorization = `Bearer ${this.#opts.token}`;
    if (this.#opts.tenant !== undefined) headers["x-scope-orgid"] = this.#opts.tenant;
    let body: string | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers["content-type"] = opts.contentType ?? "application/x-ndjson";
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    const f = this.#opts.fetch ?? globalThis.fetch;
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (body !== undefined) init.body = body;
    if (opts.signal !== undefined) init.signal = opts.signal;
    const res = await f(url, init);
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim() || res.statusText;
      let code: string | undefined;
      try {
        const j = JSON.parse(text) as { error?: string; message?: string; code?: string };
        message = j.error ?? j.message ?? message;
        code = j.code;
      } catch {
        /* plain-text error body (Loki style) */
      }
      throw new ApiRequestError(res.status, message, code);
    }
    if (text === "") return undefined as T;
    return JSON.parse(text) as T;
  }

  queryRange(
    p: { query: string; start: string; end: string; limit?: number; step?: string; direction?: "forward" | "backward" },
    signal?: AbortSignal,
  ): Promise<LokiQueryResponse> {
    return this.request("GET", "/loki/api/v1/query_range", { query: p, ...(signal ? { signal } : {}) });
  }
  query(p: { query: string; time?: string; limit?: number; direction?: "forward" | "backward" }): Promise<LokiQueryResponse> {
    return this.request("GET", "/loki/api/v1/query", { query: p });
  }
  labels(p: { start?: string; end?: string } = {}): Promise<LokiLabelsResponse> {
    return this.request("GET", "/loki/api/v1/labels", { query: p });
  }
  labelValues(name: string, p: { start?: string; end?: string; query?: string } = {}): Promise<LokiLabelsResponse> {
    return this.request("GET", `/loki/api/v1/label/${encodeURIComponent(name)}/values`, { query: p });
  }
  ingest(lines: object[]): Promise<NativeIngestResponse> {
    return this.request("POST", "/api/v1/ingest", { raw: lines.map((l) => JSON.stringify(l)).join("\n") });
  }
  whoami(): Promise<WhoAmI> {
    return this.request("GET", "/api/v1/whoami");
  }
  createToken(req: CreateTokenRequest): Promise<CreateTokenResponse> {
    return this.request("POST", "/api/v1/tokens", { body: req });
  }
  listTokens(): Promise<TokenInfo[] | { tokens: TokenInfo[] }> {
    return this.request("GET", "/api/v1/tokens");
  }
  revokeToken(id: string): Promise<void> {
    return this.request("DELETE", `/api/v1/tokens/${encodeURIComponent(id)}`);
  }
}

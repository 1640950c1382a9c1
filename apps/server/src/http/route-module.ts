// Contract of an HTTP route module: registered by one line in http/routes.ts.

import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";

export interface RouteModule {
  readonly name: string;
  /**
   * "raw": routes receive the request body as a Buffer (still Content-Encoded; use decodeBody), for ingest
   * protocols. "json": bodies are parsed as JSON.
   */
  readonly body: "raw" | "json";
  register(app: FastifyInstance, ctx: ServerContext): void | Promise<void>;
}

/** Route-level options: `config: { public: true }` skips authentication (only /ready and the UI's static files). */
export interface RouteConfig {
  public?: boolean;
}

// Per-principal query concurrency: a principal may run at most query.maxConcurrentPerPrincipal queries
// (including live tails) at once; more get 429 SECURITY_QUERY_CONCURRENCY.

import type { FastifyInstance, FastifyRequest } from "fastify";
import { MeshlogError } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { SecurityErrors } from "../auth/errors.js";

/** Route audit actions that count as queries. */
export const QUERY_ACTIONS: ReadonlySet<string> = new Set(["query", "tail", "export", "patterns", "labels", "series", "stats", "audit.query", "report"]);

/** True for query routes: audit action in QUERY_ACTIONS, or any /loki/api/v1/ route except push. */
export function isQueryRoute(request: FastifyRequest): boolean {
  const action = (request.routeOptions.config as { audit?: string } | undefined)?.audit;
  if (action !== undefined && QUERY_ACTIONS.has(action)) return true;
  const url = request.routeOptions.url ?? "";
  return url.startsWith("/loki/api/v1/") && url !== "/loki/api/v1/push";
}

/** Tracks running queries per principal id. */
export class ConcurrencyTracker {
  readonly #max: number;
  readonly #running = new Map<string, number>();
  constructor(max: number) {
    this.#max = max;
  }
  running(key: string): number {
    return this.#running.get(key) ?? 0;
  }
  /** Takes a slot; returns its release function (idempotent), or undefined when the key is at the limit. */
  acquire(key: string): (() => void) | undefined {
    const n = this.running(key);
    if (n >= this.#max) return undefined;
    this.#running.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.running(key) - 1;
      if (left <= 0) this.#running.delete(key);
      else this.#running.set(key, left);
    };
  }
}

/** Adds the concurrency hook (after authentication, so request.principal is known). */
export async function installQueryConcurrency(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const max = ctx.config.query.maxConcurrentPerPrincipal;
  const tracker = new ConcurrencyTracker(max);
  ctx.services.set("limits.queryConcurrency", tracker);
  app.addHook("onRequest", async (request, reply) => {
    const p = request.principal;
    if (p === undefined || !isQueryRoute(request)) return;
    const release = tracker.acquire(p.id);
    if (release === undefined) {
      throw new MeshlogError(
        SecurityErrors.SECURITY_QUERY_CONCURRENCY,
        `principal "${p.id}" already runs ${max} queries (query.maxConcurrentPerPrincipal, env MESHLOG_QUERY_MAX_CONCURRENT); wait for one to finish`,
        { details: { retryAfterSeconds: 1 } },
      );
    }
    // A live tail holds its slot for the life of the connection; other queries until the response ends.
    if (request.headers.upgrade !== undefined) request.raw.socket.once("close", release);
    else reply.raw.once("close", release);
  });
}

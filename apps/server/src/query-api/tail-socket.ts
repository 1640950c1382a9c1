// WebSocket live tail (GET /loki/api/v1/tail): authenticates the upgrade like any request, replays from
// `start`, then streams matching new entries from store.tail in batches, reporting dropped entries.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { WebSocketServer, type WebSocket } from "ws";
import { AUDIT_TENANT, MeshlogError, type LogRecord } from "@meshlog/core";
import { LabelsBuilder, QueryErrors, compileMatchers, compilePipeline, metadataOf, parseStepParam, parseTimeParam, type QueryEngine } from "@meshlog/query";
import type { StoredEntry } from "@meshlog/storage";
import type { ServerContext } from "../context.js";
import { hasRole, type Principal } from "../features/auth/principal.js";
import { authenticateUpgrade } from "../features/auth/caller-auth.js";

export const TAIL_PATH = "/loki/api/v1/tail";
/** Largest delay_for accepted, seconds (as Loki). */
const MAX_DELAY_FOR = 5;
/** Flush interval of batched entries, ms. */
const FLUSH_MS = 200;
/** Pause sending when the socket has this many unsent bytes; new entries are counted as dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

interface TailMessage {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries: { labels: Record<string, string>; timestamp: string }[] | null;
}

function reject(socket: Duplex, status: number, text: string): void {
  const body = Buffer.from(text);
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "Bad Request"}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** Registers the upgrade handler on the app's server; closes live tails when the app closes. */
export function attachTail(app: FastifyInstance, ctx: ServerContext, engine: QueryEngine): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== TAIL_PATH) return;
    void (async () => {
      const a = await authenticateUpgrade(ctx, req, TAIL_PATH, ["analyst"]);
      if (!a.ok) return reject(socket, a.status, a.message);
      const { principal, tenant } = a;
      socket.once("close", () => a.release());
      const p = principal;
      let session: TailSession;
      try {
        session = new TailSession(ctx, engine, tenant, p.scope, url.searchParams);
      } catch (err) {
        ctx.audit.record({ action: "tail", principal: p.id, tenant, method: "GET", route: TAIL_PATH, status: 400, result: "error" });
        return reject(socket, 400, (err as Error).message);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.audit.record({
          action: "tail",
          principal: p.id,
          tenant,
          remoteAddress: req.socket.remoteAddress ?? "",
          method: "GET",
          route: TAIL_PATH,
          status: 101,
          result: "ok",
          details: { query: session.query.slice(0, 1024) },
        });
        session.run(ws);
      });
    })();
  };
  app.server.on("upgrade", onUpgrade);
  app.addHook("onClose", async () => {
    app.server.off("upgrade", onUpgrade);
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}

class TailSession {
  readonly query: string;
  readonly #ctx: ServerContext;
  readonly #engine: QueryEngine;
  readonly #tenant: string;
  readonly #scope: string | undefined;
  readonly #limit: number;
  readonly #delayMs: number;
  readonly #start: bigint;
  readonly #matches: (labels: Readonly<Record<string, string>>) => boolean;
  readonly #pipeline: ReturnType<typeof compilePipeline>;
  #pending: { stream: Record<string, string>; ts: bigint; line: string }[] = [];
  #dropped: { labels: Record<string, string>; timestamp: string }[] = [];

  constructor(ctx: ServerContext, engine: QueryEngine, tenant: string, scope: string | undefined, params: URLSearchParams) {
    this.#ctx = ctx;
    this.#engine = engine;
    this.#tenant = tenant;
    this.#scope = scope;
    const query = params.get("query") ?? "";
    if (query === "") throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "query parameter is required");
    this.query = query;
    const expr = engine.parse(query);
    if (expr.kind !== "log")
      throw new MeshlogError(QueryErrors.QUERY_INVALID, "tail needs a log query (a stream selector with an optional pipeline), not a metric query");
    const limitText = params.get("limit");
    this.#limit = limitText !== null && limitText !== "" ? Number(limitText) : 100;
    if (!Number.isInteger(this.#limit) || this.#limit <= 0)
      throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid limit ${JSON.stringify(limitText)}`);
    if (this.#limit > engine.limits.maxEntries) {
      throw new MeshlogError(
        QueryErrors.QUERY_LIMIT_ENTRIES,
        `max entries limit per query exceeded, limit > max_entries_limit (${this.#limit} > ${engine.limits.maxEntries}); the limit is the setting query.maxEntries (MESHLOG_QUERY_MAX_ENTRIES)`,
      );
    }
    const delay = params.get("delay_for");
    const delaySec = delay !== null && delay !== "" ? Number(parseStepParam(delay, "delay_for")) / 1e9 : 0;
    if (delaySec > MAX_DELAY_FOR) throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `delay_for can't be greater than ${MAX_DELAY_FOR}`);
    this.#delayMs = delaySec * 1000;
    const startText = params.get("start");
    this.#start = startText !== null && startText !== "" ? parseTimeParam(startText, "start") : ctx.clock.nowNs() - 3_600_000_000_000n;
    const scoped = engine.context(tenant, scope);
    const selector = compileMatchers(expr.matchers);
    this.#matches = (labels) => scoped.inScope(labels) && selector(labels);
    this.#pipeline = compilePipeline(expr.stages);
  }

  run(ws: WebSocket): void {
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const ac = new AbortController();
    const stop = (): void => {
      if (closed) return;
      closed = true;
      ac.abort();
      unsubscribe?.();
      if (timer !== undefined) clearInterval(timer);
    };
    ws.on("close", stop);
    ws.on("error", stop);
    const buffered: StoredEntry[][] = [];
    let replaying = true;
    unsubscribe = this.#ctx.store.tail(this.#tenant, (entries) => {
      if (replaying) buffered.push([...entries]);
      else this.#accept(entries);
    });
    const flush = (): void => {
      if (closed || (this.#pending.length === 0 && this.#dropped.length === 0)) return;
      const cutoff = this.#ctx.clock.nowNs() - BigInt(Math.round(this.#delayMs)) * 1_000_000n;
      const ready = this.#delayMs > 0 ? this.#pending.filter((e) => e.ts <= cutoff) : this.#pending;
      this.#pending = this.#delayMs > 0 ? this.#pending.filter((e) => e.ts > cutoff) : [];
      this.#send(ws, ready);
    };
    /** Entries already sent by the replay: records appended while it ran also reach the tail buffer. */
    const sent = new Set<string>();
    void (async () => {
      try {
        const now = this.#ctx.clock.nowNs();
        if (this.#start < now) {
          const r = await this.#engine.query({
            tenant: this.#tenant,
            query: this.query,
            start: this.#start,
            end: now + 1n,
            step: 1_000_000_000n,
            limit: this.#limit,
            direction: "backward",
            signal: ac.signal,
            ...(this.#scope !== undefined ? { scope: this.#scope } : {}),
          });
          if (r.resultType === "streams" && r.result.length > 0 && !closed) {
            const entries = r.result.flatMap((s) => s.values.map((v) => ({ stream: s.stream, ts: BigInt(v[0]), line: v[1] })));
            entries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
            for (const e of entries) sent.add(`${e.ts}\u0000${e.line}`);
            this.#send(ws, entries);
          }
        }
      } catch (err) {
        if (!closed) ws.close(1011, (err as Error).message.slice(0, 120));
        stop();
        return;
      }
      replaying = false;
      for (const b of buffered) this.#accept(b, sent);
      buffered.length = 0;
      if (!closed) timer = setInterval(flush, FLUSH_MS);
    })();
  }

  /** Filters new entries through selector, scope and pipeline; over the limit they are dropped and reported. */
  #accept(entries: readonly StoredEntry[], alreadySent?: ReadonlySet<string>): void {
    for (const { record } of entries) {
      if (alreadySent !== undefined && record.timestamp < this.#start) continue;
      if (!this.#matches(record.labels)) continue;
      const out = this.#run(record);
      if (out === undefined) continue;
      if (alreadySent?.has(`${out.ts}\u0000${out.line}`) === true) continue;
      if (this.#pending.length >= this.#limit) {
        if (this.#dropped.length < 10_000) this.#dropped.push({ labels: out.stream, timestamp: record.timestamp.toString() });
        continue;
      }
      this.#pending.push(out);
    }
  }

  #run(record: LogRecord): { stream: Record<string, string>; ts: bigint; line: string } | undefined {
    const lb = new LabelsBuilder(record.labels, () => metadataOf(record, record.labels));
    const e = { ts: record.timestamp, line: record.body, labels: lb };
    if (!this.#pipeline.process(e)) return undefined;
    return { stream: lb.all(), ts: e.ts, line: e.line };
  }

  #send(ws: WebSocket, entries: { stream: Record<string, string>; ts: bigint; line: string }[]): void {
    const dropped = this.#dropped;
    this.#dropped = [];
    if (ws.bufferedAmount > MAX_BUFFERED) {
      for (const e of entries) dropped.push({ labels: e.stream, timestamp: e.ts.toString() });
      this.#dropped = dropped.slice(0, 10_000);
      return;
    }
    const byKey = new Map<string, TailMessage["streams"][number]>();
    for (const e of entries) {
      const key = JSON.stringify(Object.entries(e.stream).sort());
      let s = byKey.get(key);
      if (s === undefined) byKey.set(key, (s = { stream: e.stream, values: [] }));
      s.values.push([e.ts.toString(), e.line]);
    }
    const msg: TailMessage = { streams: [...byKey.values()], dropped_entries: dropped.length > 0 ? dropped : null };
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }
}

// Test stand-in for the server's native ingest endpoint: counts lines, can go down, answer 503, need mTLS.

import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface IngestStubOptions {
  readonly token?: string;
  /** HTTPS with these PEMs; `ca` set means a client certificate signed by it is required (mTLS). */
  readonly tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

/** Records every accepted line (parsed JSON) and counts bodies, so tests can check exactly-once delivery. */
export class IngestStub {
  readonly #o: IngestStubOptions;
  readonly #server: Server;
  #port = 0;
  readonly lines: Record<string, unknown>[] = [];
  readonly bodies = new Map<string, number>();
  requests = 0;
  /** When set, requests are answered with this status (and Retry-After: 1 for 429/503). */
  failWith: number | undefined;
  /** Line indexes (per request) to report as rejected. */
  rejectWhen: ((line: Record<string, unknown>) => string | undefined) | undefined;

  constructor(o: IngestStubOptions = {}) {
    this.#o = o;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    this.#server =
      o.tls === undefined
        ? createHttp(handler)
        : createHttps(
            { cert: o.tls.cert, key: o.tls.key, ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true }) },
            handler,
          );
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `${this.#o.tls === undefined ? "http" : "https"}://127.0.0.1:${this.#port}`;
  }

  /** Listens on 127.0.0.1 (an ephemeral port first, then the same port again after `down()`). */
  up(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#port, "127.0.0.1", () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops open connections: the agent sees connection errors. */
  down(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    if (req.method !== "POST" || req.url !== "/api/v1/ingest") {
      res.writeHead(404).end();
      return;
    }
    if (this.#o.token !== undefined && req.headers.authorization !== `Bearer ${this.#o.token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "bad token", code: "AUTH_INVALID" }));
      return;
    }
    if (this.failWith !== undefined) {
      res.writeHead(this.failWith, { "retry-after": "1" }).end(JSON.stringify({ error: "busy" }));
      return;
    }
    let body = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    const rejected: { line: number; error: string }[] = [];
    let accepted = 0;
    body
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .forEach((text, i) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        const why = this.rejectWhen?.(line);
        if (why !== undefined) {
          rejected.push({ line: i, error: why });
          return;
        }
        accepted++;
        this.lines.push(line);
        const b = String(line.body);
        this.bodies.set(b, (this.bodies.get(b) ?? 0) + 1);
      });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted, rejected }));
  }

  /** Ids expected but never received, and how many extra copies arrived. */
  audit(expected: readonly string[]): { missing: string[]; duplicates: number } {
    const missing = expected.filter((b) => !this.bodies.has(b));
    let duplicates = 0;
    for (const n of this.bodies.values()) duplicates += n - 1;
    return { missing, duplicates };
  }
}

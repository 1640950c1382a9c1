// Local self-monitoring endpoint: GET /metrics (Prometheus text) and GET /health (JSON, always 200 while
// the process serves, so a liveness probe never restarts an agent that is only waiting for its server).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

export interface HealthReport {
  readonly status: "ok" | "degraded";
  readonly [key: string]: unknown;
}

export class ApiServer {
  readonly #server: Server;

  constructor(metrics: Metrics, health: () => HealthReport) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
      } else if (path === "/metrics") {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(metrics.render());
      } else if (path === "/health") {
        const h = health();
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(h));
      } else {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no route ${path}; try /metrics or /health` }));
      }
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    const a = this.#server.address() as AddressInfo | null;
    return a === null ? undefined : { host: a.address, port: a.port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

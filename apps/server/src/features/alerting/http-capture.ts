// Test fixture: an HTTP receiver on 127.0.0.1 that records every request and answers with scripted statuses.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CapturedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): unknown;
}

export interface HttpCapture {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: CapturedRequest[];
  /** Statuses for the next requests, in order; afterwards every request gets `fallback`. */
  script(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startCapture(fallback = 200): Promise<HttpCapture> {
  const requests: CapturedRequest[] = [];
  const queue: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, body, json: () => JSON.parse(body) as unknown });
      const status = queue.shift() ?? fallback;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(status < 300 ? '{"status":"success","message":"Event processed"}' : '{"status":"error"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...s) => void queue.push(...s),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

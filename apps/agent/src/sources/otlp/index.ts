// Source `otlp`: OTLP/HTTP logs receiver (JSON encoding) on POST /v1/logs; 503 + Retry-After when full.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { MeshlogError } from "@meshlog/core";
import type { Source, SourceContext, SourceDefinition } from "../../contracts.js";
import { AgentErrors } from "../../errors.js";
import { listenAddressSchema, sizeSchema, splitHostPort } from "../../config/units.js";
import { M } from "../../runtime/metrics.js";
import { decodeOtlpLogsJson } from "./otlp-json.js";

export const otlpSourceSchema = z
  .strictObject({
    address: listenAddressSchema.default("127.0.0.1:4318").describe("Listen address (OTLP/HTTP default port 4318)."),
    max_body_size: sizeSchema.default(16 * 1024 * 1024).describe("Largest request body after decompression."),
    labels: z.record(z.string(), z.string()).default({}).describe("Static labels for records of this source."),
  })
  .describe("OTLP/HTTP logs receiver.");
export type OtlpSourceConfig = z.output<typeof otlpSourceSchema>;

class OtlpSource implements Source {
  readonly #c: OtlpSourceConfig;
  readonly #ctx: SourceContext;
  readonly #server: Server;

  constructor(c: OtlpSourceConfig, ctx: SourceContext) {
    this.#c = c;
    this.#ctx = ctx;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  #reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== "/v1/logs")
      return this.#reply(res, 404, { code: 5, message: `no route ${req.method ?? ""} ${path ?? ""}; use POST /v1/logs` });
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      req.resume();
      return this.#reply(res, 415, { code: 3, message: "only application/json is supported by the agent's OTLP receiver" });
    }
    if (this.#ctx.isFull()) {
      req.resume();
      return this.#reply(res, 503, { code: 14, message: "agent buffer full" }, { "retry-after": "2" });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > this.#c.max_body_size) return this.#reply(res, 413, { code: 3, message: `body larger than ${this.#c.max_body_size} bytes` });
      chunks.push(c as Buffer);
    }
    let records;
    try {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body, { maxOutputLength: this.#c.max_body_size });
      records = decodeOtlpLogsJson(JSON.parse(body.toString("utf8")), this.#ctx.clock.nowNs());
    } catch (err) {
      this.#ctx.metrics.inc(...M.sourceErrors, { source: this.#ctx.name });
      return this.#reply(res, 400, { code: 3, message: `invalid OTLP JSON: ${(err as Error).message}` });
    }
    for (const r of records) if (Object.keys(this.#c.labels).length > 0) r.labels = { ...this.#c.labels };
    try {
      await this.#ctx.emit(records);
    } catch (err) {
      return this.#reply(res, 503, { code: 14, message: (err as Error).message }, { "retry-after": "2" });
    }
    this.#reply(res, 200, {});
  }

  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.#c.address);
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", (cause) =>
        reject(
          new MeshlogError(AgentErrors.AGENT_SOURCE_FAILED, `Cannot start otlp source "${this.#ctx.name}" on ${this.#c.address}: ${cause.message}`, { cause }),
        ),
      );
      this.#server.listen(port, host, () => resolve());
    });
  }

  address(): { host: string; port: number } | undefined {
    const a = this.#server.address() as AddressInfo | null;
    return a === null ? undefined : { host: a.address, port: a.port };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

export const otlpSource: SourceDefinition<OtlpSourceConfig> = {
  type: "otlp",
  description: "OTLP/HTTP logs receiver (JSON); answers 503 with Retry-After while the buffer is full.",
  configSchema: otlpSourceSchema,
  create: (config, ctx) => new OtlpSource(config, ctx),
};

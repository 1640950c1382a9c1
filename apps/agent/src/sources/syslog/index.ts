// Source `syslog`: RFC 5424/3164 over UDP, TCP or TLS (optionally mTLS), parsed by the shared pipeline.

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { z } from "zod";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { parseSyslog, syslogToParsedBody } from "@meshlog/pipeline";
import type { Source, SourceContext, SourceDefinition } from "../../contracts.js";
import { AgentErrors } from "../../errors.js";
import { listenAddressSchema, sizeSchema, splitHostPort, tlsSchema } from "../../config/units.js";
import { M } from "../../runtime/metrics.js";
import { SyslogStreamFramer } from "./syslog-framer.js";

export const syslogSourceSchema = z
  .strictObject({
    mode: z.enum(["udp", "tcp", "tls"]).default("udp").describe("Transport."),
    address: listenAddressSchema.default("0.0.0.0:514").describe("Listen address."),
    tls: tlsSchema.optional().describe("Server certificate (cert, key); with ca, clients must present a certificate signed by it."),
    max_message_size: sizeSchema.default(64 * 1024).describe("Longest message; longer ones are cut and counted."),
    labels: z.record(z.string(), z.string()).default({}).describe("Static labels for records of this source."),
  })
  .refine((c) => c.mode !== "tls" || (c.tls?.cert !== undefined && c.tls.key !== undefined), { message: "mode tls needs tls.cert and tls.key", path: ["tls"] })
  .describe("Syslog listener.");
export type SyslogSourceConfig = z.output<typeof syslogSourceSchema>;

/** Builds a record from one syslog message; an unparseable one keeps its raw text as the body. */
export function syslogRecord(text: string, peer: string, nowNs: bigint, labels: Record<string, string>): LogRecord {
  const r: LogRecord = {
    timestamp: nowNs,
    observedTimestamp: nowNs,
    severityNumber: 0,
    severityText: "",
    body: text,
    attributes: { "net.peer.ip": peer },
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "",
    labels: { ...labels },
  };
  try {
    const m = parseSyslog(text, { nowNs });
    const p = syslogToParsedBody(m);
    r.body = p.message ?? text;
    Object.assign(r.attributes, p.fields);
    if (p.timestamp !== undefined) r.timestamp = p.timestamp;
    if (p.severityNumber !== undefined) r.severityNumber = p.severityNumber;
    if (p.severityText !== undefined) r.severityText = p.severityText;
    if (m.hostname !== undefined) r.resource["host.name"] = m.hostname;
  } catch (err) {
    r.attributes["syslog.parse_error"] = (err as Error).message.slice(0, 200);
  }
  return r;
}

class SyslogSource implements Source {
  readonly #c: SyslogSourceConfig;
  readonly #ctx: SourceContext;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #lastDropLog = 0;

  constructor(c: SyslogSourceConfig, ctx: SourceContext) {
    this.#c = c;
    this.#ctx = ctx;
  }

  #records(messages: string[], peer: string): LogRecord[] {
    const now = this.#ctx.clock.nowNs();
    return messages.filter((m) => m.trim() !== "").map((m) => syslogRecord(m, peer, now, this.#c.labels));
  }

  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.#c.address);
    try {
      if (this.#c.mode === "udp") await this.#startUdp(host, port);
      else await this.#startStream(host, port);
    } catch (cause) {
      throw new MeshlogError(
        AgentErrors.AGENT_SOURCE_FAILED,
        `Cannot start syslog source "${this.#ctx.name}" on ${this.#c.mode} ${this.#c.address}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  #startUdp(host: string, port: number): Promise<void> {
    const sock = createSocket(host.includes(":") ? "udp6" : "udp4");
    this.#udp = sock;
    sock.on("message", (msg, rinfo) => {
      if (this.#ctx.isFull()) {
        this.#ctx.metrics.inc(...M.sourceDropped, { source: this.#ctx.name });
        if (Date.now() - this.#lastDropLog > 10_000) {
          this.#lastDropLog = Date.now();
          this.#ctx.logger.warn("buffer full: UDP syslog datagrams are dropped and counted (UDP has no backpressure)", { source: this.#ctx.name });
        }
        return;
      }
      const text = msg.toString("utf8", 0, Math.min(msg.length, this.#c.max_message_size)).replace(/[\r\n\0]+$/, "");
      this.#ctx
        .emit(this.#records([text], rinfo.address))
        .catch((err: unknown) => this.#ctx.logger.error("cannot buffer syslog message", { error: err as Error }));
    });
    return new Promise((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(port, host, () => {
        sock.off("error", reject);
        resolve();
      });
    });
  }

  #startStream(host: string, port: number): Promise<void> {
    const onConn = (socket: Socket): void => {
      this.#sockets.add(socket);
      const framer = new SyslogStreamFramer(this.#c.max_message_size);
      const peer = socket.remoteAddress ?? "";
      socket.on("data", (chunk: Buffer) => {
        const msgs = framer.push(chunk);
        if (msgs.length === 0) return;
        socket.pause();
        this.#ctx.emit(this.#records(msgs, peer)).then(
          () => socket.resume(),
          (err: unknown) => {
            this.#ctx.logger.error("cannot buffer syslog messages; closing the connection", { error: err as Error });
            socket.destroy();
          },
        );
      });
      socket.on("error", () => socket.destroy());
      socket.on("close", () => this.#sockets.delete(socket));
    };
    const t = this.#c.tls;
    const server =
      this.#c.mode === "tls" && t !== undefined
        ? createTlsServer(
            {
              cert: readFileSync(t.cert as string),
              key: readFileSync(t.key as string),
              ...(t.ca === undefined ? {} : { ca: readFileSync(t.ca), requestCert: t.verify, rejectUnauthorized: t.verify }),
            },
            onConn,
          )
        : createTcpServer(onConn);
    server.on("tlsClientError", () => this.#ctx.metrics.inc(...M.sourceErrors, { source: this.#ctx.name }));
    this.#tcp = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    const a = (this.#udp?.address() ?? this.#tcp?.address()) as AddressInfo | null | undefined;
    return a === null || a === undefined ? undefined : { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    if (this.#udp !== undefined) await new Promise<void>((r) => this.#udp?.close(() => r()));
    if (this.#tcp !== undefined) {
      for (const s of this.#sockets) s.destroy();
      await new Promise<void>((r) => this.#tcp?.close(() => r()));
    }
  }
}

export const syslogSource: SourceDefinition<SyslogSourceConfig> = {
  type: "syslog",
  description: "Listens for syslog over UDP, TCP or TLS; TCP/TLS pause reading while the buffer is full, UDP drops are counted.",
  configSchema: syslogSourceSchema,
  create: (config, ctx) => new SyslogSource(config, ctx),
};

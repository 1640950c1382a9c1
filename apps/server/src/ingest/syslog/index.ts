// The syslog receiver: TCP and UDP on config.syslog (same port), TLS (RFC 5425) on config.syslogTls.
// Syslog carries no credentials: every message goes to config.syslogTenant. Who may send is controlled by
// the bind address (loopback by default) and, on the TLS listener, by client certificates (tls.ca +
// tls.requireClientCert for mutual TLS).

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createTcpServer, isIP, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { CoreErrors, MeshlogError, isValidTenant } from "@meshlog/core";
import { splitHostPort } from "../../config/server-config.js";
import type { ServerModule } from "../../modules.js";
import { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { receiverTlsOptions } from "../socket/tls-options.js";
import { SyslogTcpConnection } from "./syslog-tcp-connection.js";
import { SyslogUdpReceiver } from "./syslog-udp-receiver.js";
import { udpSocketDrops } from "./udp-socket-drops.js";

const MAX_CONNECTIONS = 4096;
const TCP_HIGH_WATER_RECORDS = 20_000;
const UDP_MAX_PENDING_RECORDS = 100_000;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : port);
    });
  });
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  const sock = createSocket({ type: isIP(host) === 6 ? "udp6" : "udp4", recvBufferSize: 4 * 1024 * 1024 });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind({ address: host, port }, () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}

const fmt = (host: string, port: number): string => `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;

export const syslogModule: ServerModule = {
  name: "syslog",
  deps: [],
  async start(ctx) {
    const cfg = ctx.config;
    if (cfg.syslog === "" && cfg.syslogTls === "") return { async stop() {} };
    if (!isValidTenant(cfg.syslogTenant))
      throw new MeshlogError(CoreErrors.CONFIG_INVALID, `syslogTenant: ${JSON.stringify(cfg.syslogTenant)} is not a valid tenant id`);
    const tenant = cfg.syslogTenant;
    const metrics = new ReceiverMetrics(ctx.metrics, "syslog");
    const connections = new Set<SyslogTcpConnection>();
    const servers: Server[] = [];
    let udp: { sock: UdpSocket; receiver: SyslogUdpReceiver } | undefined;
    const onSocket = (transport: "tcp" | "tls") => (socket: Socket) => {
      const conn = new SyslogTcpConnection(socket, { ctx, metrics, transport, tenant, highWaterRecords: TCP_HIGH_WATER_RECORDS });
      connections.add(conn);
      void conn.closed.then(() => connections.delete(conn));
    };
    const stop = async (): Promise<void> => {
      const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      if (udp !== undefined) {
        udp.sock.close();
        await udp.receiver.close();
      }
      await Promise.all([...connections].map((c) => c.close()));
      await Promise.all(closing);
    };
    try {
      if (cfg.syslog !== "") {
        const { host, port } = splitHostPort(cfg.syslog);
        const tcp = createTcpServer({ allowHalfOpen: true }, onSocket("tcp"));
        tcp.maxConnections = MAX_CONNECTIONS;
        servers.push(tcp);
        const bound = await listen(tcp, host, port);
        const sock = await bindUdp(host, bound);
        udp = { sock, receiver: new SyslogUdpReceiver(sock, ctx, metrics, tenant, UDP_MAX_PENDING_RECORDS) };
        sock.on("error", (err) => ctx.log.error("syslog UDP socket error", { err }));
        const kernelDrops = ctx.metrics.gauge(
          "meshlog_receiver_udp_socket_drops",
          "Datagrams the kernel dropped before the receiver read them (socket buffer full), Linux only.",
        );
        const ipv6 = isIP(host) === 6;
        ctx.metrics.onCollect(() => {
          const n = udp === undefined ? undefined : udpSocketDrops(bound, ipv6);
          if (n !== undefined) kernelDrops.set({ receiver: "syslog" }, n);
        });
        ctx.services.set("syslog.address", fmt(host, bound));
        ctx.log.info("syslog listening", { tcp: fmt(host, bound), udp: fmt(host, bound), tenant });
      }
      if (cfg.syslogTls !== "") {
        const { host, port } = splitHostPort(cfg.syslogTls);
        const tls = createTlsServer({ ...receiverTlsOptions(cfg, "syslogTls"), allowHalfOpen: true }, onSocket("tls"));
        tls.maxConnections = MAX_CONNECTIONS;
        tls.on("tlsClientError", (err) => {
          metrics.rejected("tls_handshake");
          ctx.log.warn("syslog TLS handshake failed", { err });
        });
        servers.push(tls);
        const bound = await listen(tls, host, port);
        ctx.services.set("syslog.tls.address", fmt(host, bound));
        ctx.log.info("syslog TLS listening", {
          address: fmt(host, bound),
          tenant,
          clientCertificates: cfg.tls.requireClientCert ? "required" : cfg.tls.ca !== "" ? "verified when sent" : "not requested",
        });
      }
    } catch (err) {
      await stop();
      throw err;
    }
    for (const s of servers) s.on("error", (err) => ctx.log.error("syslog listener error", { err }));
    return { stop };
  },
};

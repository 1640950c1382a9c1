// The TCP or TLS listener of a socket receiver (Beats, OTLP/gRPC): listen, report a taken address, TLS hot reload.

import { createServer as createTcpServer, isIP, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { CoreErrors, MeshlogError } from "@meshlog/core";
import { splitHostPort } from "../../config/server-config.js";
import type { ServerContext } from "../../context.js";
import { watchTlsFiles } from "../../features/tls/tls-options.js";
import type { ReceiverMetrics } from "./receiver-metrics.js";

export interface SocketListenerOptions {
  /** Setting holding the address, named in errors (e.g. `beats.listen`). */
  readonly setting: string;
  /** `host:port` to listen on (port 0 picks a free port). */
  readonly address: string;
  /** Receiver name in log messages (e.g. `beats`, `OTLP/gRPC`). */
  readonly name: string;
  /** What to tell the operator after a failure (e.g. `choose another address with --beats / MESHLOG_BEATS, or …`). */
  readonly remedy: string;
  /** TLS server options (from receiverTlsOptions); undefined listens in plaintext. */
  readonly tls: TlsOptions | undefined;
  readonly allowHalfOpen: boolean;
  readonly maxConnections: number;
  readonly metrics: ReceiverMetrics;
  readonly onSocket: (socket: Socket) => void;
}

export interface SocketListener {
  readonly server: Server;
  readonly host: string;
  /** The bound address as `host:port` (`[::1]:port` for IPv6), with the actual port. */
  readonly address: string;
  readonly loopback: boolean;
  /** Stops the TLS file watcher and closes the server; resolves once every connection has ended. */
  close(): Promise<void>;
}

const formatAddress = (host: string, port: number): string => `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;

/** True for the loopback host names and addresses (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1";
}

/**
 * Listens on `opts.address`. With TLS, failed handshakes are counted (`tls_handshake`) and logged, and the
 * certificate files are watched for hot reload. A failure to listen throws CONFIG_INVALID naming the setting, the
 * address and the system error code (e.g. EADDRINUSE). Errors after listening are logged, never thrown.
 */
export async function listenSocket(ctx: ServerContext, opts: SocketListenerOptions): Promise<SocketListener> {
  const listener = await listenSocketUnlessInUse(ctx, opts, undefined);
  if (listener === undefined) throw new Error("BUG: listenSocket without a skip warning returned no listener");
  return listener;
}

/**
 * listenSocket, except that with a `skipWarning` an address in use (EADDRINUSE) skips the receiver: the warning is
 * logged and the result is undefined. For a default address nobody chose; an address set on purpose must fail.
 */
export async function listenSocketUnlessInUse(
  ctx: ServerContext,
  opts: SocketListenerOptions,
  skipWarning: string | undefined,
): Promise<SocketListener | undefined> {
  let server: Server;
  let watcher: { stop(): void } | undefined;
  if (opts.tls !== undefined) {
    const tls = createTlsServer({ ...opts.tls, allowHalfOpen: opts.allowHalfOpen }, opts.onSocket);
    tls.on("tlsClientError", (err) => {
      opts.metrics.rejected("tls_handshake");
      ctx.log.warn(`${opts.name} TLS handshake failed`, { err });
    });
    watcher = watchTlsFiles(ctx.config, tls, ctx.log, ctx.config.security.tlsReloadIntervalMs);
    server = tls;
  } else {
    server = createTcpServer({ allowHalfOpen: opts.allowHalfOpen }, opts.onSocket);
  }
  server.maxConnections = opts.maxConnections;
  const { host, port } = splitHostPort(opts.address);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    watcher?.stop();
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (code === "EADDRINUSE" && skipWarning !== undefined) {
      ctx.log.warn(skipWarning, { address: opts.address });
      return undefined;
    }
    throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${opts.setting}: cannot listen on ${opts.address} (${code}); ${opts.remedy}`, { cause: err });
  }
  server.on("error", (err) => ctx.log.error(`${opts.name} listener error`, { err }));
  const addr = server.address();
  return {
    server,
    host,
    address: formatAddress(host, typeof addr === "object" && addr !== null ? addr.port : port),
    loopback: isLoopbackHost(host),
    close() {
      watcher?.stop();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

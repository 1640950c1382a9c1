// The Fluentd forward receiver (TCP, optional TLS): a server module listening on config.forward.
// See forward-handshake.ts for who a connection writes as, and forward-record.ts for the field mapping.

import type { Socket } from "node:net";
import { CoreErrors, MeshlogError, isValidTenant } from "@meshlog/core";
import type { ServerModule } from "../../modules.js";
import { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { listenSocket } from "../socket/socket-listener.js";
import { receiverTlsOptions } from "../socket/tls-options.js";
import { DEFAULT_SERVER_HOSTNAME, ForwardConnection } from "./forward-connection.js";
import { forwardServicePrincipal } from "./forward-handshake.js";

/** Most simultaneous forward connections. */
const MAX_CONNECTIONS = 1024;

export const forwardModule: ServerModule = {
  name: "forward",
  deps: [],
  async start(ctx) {
    const cfg = ctx.config;
    if (cfg.forward === "") return { async stop() {} };
    if (!isValidTenant(cfg.forwardTenant))
      throw new MeshlogError(CoreErrors.CONFIG_INVALID, `forwardTenant: ${JSON.stringify(cfg.forwardTenant)} is not a valid tenant id`);
    const tls = cfg.forwardTls;
    const transport = tls ? "tls" : "tcp";
    const metrics = new ReceiverMetrics(ctx.metrics, "forward");
    const anonymous = cfg.forwardAllowAnonymous && cfg.forwardSharedKey === "" ? forwardServicePrincipal(cfg.forwardTenant, "anonymous") : undefined;
    const connections = new Set<ForwardConnection>();
    const onSocket = (socket: Socket): void => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      const conn = new ForwardConnection(socket, {
        ctx,
        metrics,
        transport,
        anonymous,
        policy: { sharedKey: cfg.forwardSharedKey, tenant: cfg.forwardTenant, serverHostname: DEFAULT_SERVER_HOSTNAME },
        handshakeTimeoutMs: 30_000,
        maxRetryMs: 60_000,
        highWaterRecords: 20_000,
      });
      connections.add(conn);
      void conn.closed.then(() => connections.delete(conn));
    };
    const listener = await listenSocket(ctx, {
      setting: "forward",
      address: cfg.forward,
      name: "forward",
      remedy: "choose another address with --forward / MESHLOG_FORWARD, or set it empty to disable the forward receiver",
      tls: tls ? receiverTlsOptions(cfg, "forwardTls") : undefined,
      allowHalfOpen: true,
      maxConnections: MAX_CONNECTIONS,
      metrics,
      onSocket,
    });
    const bound = listener.address;
    ctx.services.set("forward.address", bound);
    const loopback = listener.loopback;
    const mode = anonymous !== undefined ? "anonymous" : cfg.forwardSharedKey !== "" ? "shared-key" : "token";
    if (!tls && !loopback && mode !== "shared-key")
      ctx.log.warn("forward receiver: credentials travel in plaintext on a non-loopback address; set forwardTls", { address: bound });
    if (anonymous !== undefined && !loopback) ctx.log.warn("forward receiver accepts anonymous connections on a non-loopback address", { address: bound });
    ctx.log.info("forward listening", { address: bound, tls, auth: mode });
    return {
      async stop() {
        const closing = listener.close();
        await Promise.all([...connections].map((c) => c.close()));
        await closing;
      },
    };
  },
};

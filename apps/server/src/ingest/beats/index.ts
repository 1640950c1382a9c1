// The Beats receiver (Lumberjack v2, and v1 data frames): a server module listening on config.beats.listen, so
// Filebeat/Winlogbeat/Metricbeat `output.logstash` and Logstash's `lumberjack` output can ship to meshlog.
// Lumberjack carries no credentials: events go to beats.tenant. Who may send is controlled by the bind address
// (off by default) and, with beats.tls, by client certificates (tls.ca + tls.requireClientCert for mutual TLS);
// a verified certificate mapped in security.clientCertPrincipals writes as that principal, to its tenant.

import type { Socket } from "node:net";
import { CoreErrors, MeshlogError, isValidTenant } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { hasRole } from "../../features/auth/principal.js";
import { securityOf } from "../../features/auth/security-module.js";
import { clientCertIdentities } from "../../features/tls/tls-options.js";
import type { ServerModule } from "../../modules.js";
import { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { listenSocket } from "../socket/socket-listener.js";
import { receiverTlsOptions } from "../socket/tls-options.js";
import { BeatsConnection } from "./beats-connection.js";
import { BeatsErrors } from "./errors.js";

/** Most simultaneous Beats connections. */
const MAX_CONNECTIONS = 1024;
/** Pending records per connection at which reading pauses (a Filebeat window is 2048 events by default). */
const HIGH_WATER_RECORDS = 20_000;
/** Longest a pushed-back write is retried before the connection is closed unacknowledged (the sender resends). */
const MAX_RETRY_MS = 60_000;

/** Who a connection writes as: a principal mapped from its client certificate, else the receiver's tenant. */
function identify(ctx: ServerContext, socket: Socket, tenant: string): { principal: string; tenant: string } | { refused: string } {
  const ids = clientCertIdentities(socket);
  if (ids === undefined) return { principal: "beats", tenant };
  const map = ctx.config.security.clientCertPrincipals;
  for (const id of ids) {
    const principalId = map[id];
    if (principalId === undefined) continue;
    const p = securityOf(ctx)?.principals.toPrincipal(principalId);
    if (p === undefined) return { refused: `client certificate ${id} maps to principal "${principalId}", which does not exist or is disabled` };
    if (!hasRole(p, "ingest")) return { refused: `client certificate ${id} maps to principal "${p.id}", which lacks the ingest role` };
    return { principal: p.id, tenant: p.tenant };
  }
  return { principal: "beats", tenant };
}

export const beatsModule: ServerModule = {
  name: "beats",
  // The security module loads the principals a client certificate may map to.
  deps: ["security"],
  async start(ctx) {
    const cfg = ctx.config.beats;
    if (cfg.listen === "") return { async stop() {} };
    if (!isValidTenant(cfg.tenant)) throw new MeshlogError(CoreErrors.CONFIG_INVALID, `beats.tenant: ${JSON.stringify(cfg.tenant)} is not a valid tenant id`);
    const transport = cfg.tls ? "tls" : "tcp";
    const metrics = new ReceiverMetrics(ctx.metrics, "beats");
    const connections = new Set<BeatsConnection>();
    const onSocket = (socket: Socket): void => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      const who = identify(ctx, socket, cfg.tenant);
      if ("refused" in who) {
        metrics.rejected("auth_failed");
        ctx.log.warn("beats connection refused", { remote: socket.remoteAddress ?? "", code: BeatsErrors.BEATS_AUTH_FAILED, error: who.refused });
        ctx.audit.record({
          action: "auth.failed",
          principal: "anonymous",
          tenant: "",
          remoteAddress: socket.remoteAddress ?? "",
          result: "denied",
          details: { receiver: "beats", credential: "client-cert", reason: who.refused },
        });
        socket.destroy();
        return;
      }
      const conn = new BeatsConnection(socket, {
        ctx,
        metrics,
        transport,
        tenant: who.tenant,
        principal: who.principal,
        maxWindowSize: cfg.maxWindowSize,
        keepaliveMs: cfg.keepaliveSeconds * 1000,
        idleTimeoutMs: cfg.idleTimeoutSeconds * 1000,
        maxRetryMs: MAX_RETRY_MS,
        highWaterRecords: HIGH_WATER_RECORDS,
      });
      connections.add(conn);
      void conn.closed.then(() => connections.delete(conn));
    };
    const listener = await listenSocket(ctx, {
      setting: "beats.listen",
      address: cfg.listen,
      name: "beats",
      remedy: "choose another address with --beats / MESHLOG_BEATS, or set it empty to disable the Beats receiver",
      tls: cfg.tls ? receiverTlsOptions(ctx.config, "beats.tls") : undefined,
      allowHalfOpen: true,
      maxConnections: MAX_CONNECTIONS,
      metrics,
      onSocket,
    });
    const bound = listener.address;
    ctx.services.set("beats.address", bound);
    if (!cfg.tls && !listener.loopback)
      ctx.log.warn("beats receiver: anyone who can reach this address can write to its tenant, in plaintext; set beats.tls with client certificates", {
        address: bound,
        tenant: cfg.tenant,
      });
    ctx.log.info("beats listening", {
      address: bound,
      tls: cfg.tls,
      tenant: cfg.tenant,
      ...(cfg.tls
        ? { clientCertificates: ctx.config.tls.requireClientCert ? "required" : ctx.config.tls.ca !== "" ? "verified when sent" : "not requested" }
        : {}),
    });
    return {
      async stop() {
        const closing = listener.close();
        await Promise.all([...connections].map((c) => c.close()));
        await closing;
      },
    };
  },
};

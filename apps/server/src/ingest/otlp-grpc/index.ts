// The OTLP/gRPC receiver (logs and traces, port 4317 by convention): a server module listening on
// config.otlpGrpc.listen. The TCP/TLS listener is ours (same TLS policy, hot reload and client certificates as
// the other receivers); each connection is handed to a grpc-js server that speaks HTTP/2 and gRPC on it.

import type { Socket } from "node:net";
import {
  Metadata,
  Server as GrpcServer,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from "@grpc/grpc-js";
import { DEFAULT_OTLP_GRPC_LISTEN } from "../../config/server-config.js";
import { CALLER_AUTH_SERVICE, type CallerAuth } from "../../features/auth/caller-auth.js";
import type { ServerModule } from "../../modules.js";
import { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { listenSocketUnlessInUse, type SocketListener } from "../socket/socket-listener.js";
import { receiverTlsOptions } from "../socket/tls-options.js";
import { encodeStatusDetails, GrpcCode, httpStatusOfGrpcCode } from "./grpc-status.js";
import { exportHandler, LOGS_SERVICE, RECEIVER, TRACES_SERVICE } from "./otlp-grpc-service.js";

/** Most simultaneous connections (each multiplexes many calls). */
const MAX_CONNECTIONS = 1024;
/** How long calls in flight may take to finish when the server stops. */
const STOP_GRACE_MS = 1000;
const IDLE_CONNECTION_MS = 5 * 60_000;

/**
 * grpc-js ends oversized calls itself (before the whole message is buffered) with a generic "Received message
 * larger than max" text. This interceptor sits first on each call and rewrites that status so the client is told
 * which setting to raise. It also counts calls refused before reaching the handler. Interceptors wrap the call
 * grpc-js creates, so the first one sees that call itself and can wrap its sendStatus.
 */
function sizeLimitInterceptor(maxMessageBytes: number, observe: (status: number) => void): ServerInterceptor {
  return (_method, call: ServerInterceptingCallInterface) => {
    const send = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      if (status.code === GrpcCode.RESOURCE_EXHAUSTED && typeof status.details === "string" && status.details.startsWith("Received message")) {
        const details = `the export request is larger than ${maxMessageBytes} bytes (otlpGrpc.maxMessageBytes; after decompression)`;
        const metadata = new Metadata();
        metadata.set("grpc-status-details-bin", encodeStatusDetails(GrpcCode.RESOURCE_EXHAUSTED, details, undefined));
        observe(httpStatusOfGrpcCode(GrpcCode.RESOURCE_EXHAUSTED));
        send({ ...status, details, metadata });
        return;
      }
      send(status);
    };
    return new ServerInterceptingCall(call);
  };
}

export const otlpGrpcModule: ServerModule = {
  name: "otlp-grpc",
  // The HTTP module installs the CallerAuth this receiver authenticates with.
  deps: ["http"],
  async start(ctx) {
    const cfg = ctx.config.otlpGrpc;
    if (!cfg.enabled || cfg.listen === "") return { async stop() {} };
    const callers = ctx.services.get(CALLER_AUTH_SERVICE) as CallerAuth | undefined;
    if (callers === undefined) throw new Error("BUG: the OTLP/gRPC receiver started before the HTTP security hooks");
    const metrics = new ReceiverMetrics(ctx.metrics, RECEIVER);
    const requests = ctx.metrics.counter("meshlog_receiver_requests_total", "HTTP requests to ingest receivers, by receiver and status code.");
    const bytes = ctx.metrics.counter(
      "meshlog_receiver_request_bytes_total",
      "Bytes of request bodies (as sent, before decompression) received by ingest receivers.",
    );
    const observe = (status: number, n = 0): void => {
      requests.inc({ receiver: RECEIVER, status: String(status) });
      if (n > 0) bytes.inc({ receiver: RECEIVER }, n);
    };
    const grpc = new GrpcServer({
      "grpc.max_receive_message_length": cfg.maxMessageBytes,
      // Idle connections are closed (GOAWAY) after this long, so forgotten clients do not hold connection slots.
      "grpc.max_connection_idle_ms": IDLE_CONNECTION_MS,
      interceptors: [sizeLimitInterceptor(cfg.maxMessageBytes, observe)],
    });
    const deps = { ctx, callers, maxMessageBytes: cfg.maxMessageBytes, observe };
    grpc.addService(LOGS_SERVICE, exportHandler(deps, "logs"));
    grpc.addService(TRACES_SERVICE, exportHandler(deps, "traces"));
    const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());

    const sockets = new Set<Socket>();
    const onSocket = (socket: Socket): void => {
      sockets.add(socket);
      socket.setNoDelay(true);
      metrics.connectionOpened(cfg.tls ? "tls" : "tcp");
      socket.once("close", () => {
        sockets.delete(socket);
        metrics.connectionClosed(cfg.tls ? "tls" : "tcp");
      });
      socket.on("error", (err) => ctx.log.debug("OTLP/gRPC connection error", { remote: socket.remoteAddress ?? "", err }));
      injector.injectConnection(socket);
    };
    // The conventional port is often taken (a local OTel Collector, a second meshlog): an address nobody chose must
    // not stop the server. An address set on purpose still fails loudly.
    let listener: SocketListener | undefined;
    try {
      listener = await listenSocketUnlessInUse(
        ctx,
        {
          setting: "otlpGrpc.listen",
          address: cfg.listen,
          name: "OTLP/gRPC",
          remedy: "choose another address with --otlp-grpc / MESHLOG_OTLP_GRPC, or set it empty to disable the OTLP/gRPC receiver",
          tls: cfg.tls ? { ...receiverTlsOptions(ctx.config, "otlpGrpc.tls"), ALPNProtocols: ["h2"] } : undefined,
          allowHalfOpen: false,
          maxConnections: MAX_CONNECTIONS,
          metrics,
          onSocket,
        },
        cfg.listen === DEFAULT_OTLP_GRPC_LISTEN
          ? "OTLP/gRPC receiver not started: its default address is in use; set otlpGrpc.listen (--otlp-grpc) to run it"
          : undefined,
      );
    } finally {
      if (listener === undefined) {
        injector.destroy();
        grpc.forceShutdown();
      }
    }
    if (listener === undefined) return { async stop() {} };
    const active = listener;
    const bound = active.address;
    ctx.services.set("otlp-grpc.address", bound);
    if (!cfg.tls && !active.loopback)
      ctx.log.warn("OTLP/gRPC receiver: tokens travel in plaintext on a non-loopback address; set otlpGrpc.tls", { address: bound });
    ctx.log.info("otlp-grpc listening", {
      address: bound,
      tls: cfg.tls,
      ...(cfg.tls
        ? { clientCertificates: ctx.config.tls.requireClientCert ? "required" : ctx.config.tls.ca !== "" ? "verified when sent" : "not requested" }
        : {}),
    });
    return {
      async stop() {
        const closing = active.close();
        // GOAWAY to every client, let calls in flight finish (their writes are acknowledged), then force.
        injector.drain(STOP_GRACE_MS);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => grpc.tryShutdown(() => resolve())),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, 2 * STOP_GRACE_MS))),
        ]);
        clearTimeout(timer);
        grpc.forceShutdown();
        injector.destroy();
        for (const s of sockets) s.destroy();
        await closing;
      },
    };
  },
};

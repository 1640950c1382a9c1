// The OTLP/gRPC services (LogsService/Export, TraceService/Export) over raw Buffers: authenticate from call
// metadata, decode with the OTLP/HTTP protobuf reader, write through the ingest writer, answer partial_success.

import type { IncomingHttpHeaders } from "node:http";
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { MeshlogError } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import type { CallerAuth } from "../../features/auth/caller-auth.js";
import { hasRole, type CredentialKind, type Principal } from "../../features/auth/principal.js";
import { OtlpErrors } from "../otlp/errors.js";
import { decodeLogsRequestProto, decodeTracesRequestProto } from "../otlp/otlp-proto.js";
import { logsToRecords, spansToRecords, type OtlpConversion } from "../otlp/otlp-records.js";
import { ProtoWireError, ProtoWriter } from "../otlp/proto-wire.js";
import { OtlpGrpcErrors } from "./errors.js";
import { encodeStatusDetails, GrpcCode, grpcFailureOf } from "./grpc-status.js";

export const LOGS_EXPORT_PATH = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
export const TRACES_EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/** Receiver name used for metrics and audit events (records keep the label source="otlp"). */
export const RECEIVER = "otlp-grpc";

type Signal = "logs" | "traces";

const identity = (b: Buffer): Buffer => b;

function exportMethod(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

/** Service definitions with Buffer passthrough (de)serializers: the message bytes go to the hand-written reader. */
export const LOGS_SERVICE = exportMethod(LOGS_EXPORT_PATH);
export const TRACES_SERVICE = exportMethod(TRACES_EXPORT_PATH);

/** "127.0.0.1:5000" / "[::1]:5000" -> the address part. */
export function peerAddress(peer: string): string {
  const i = peer.lastIndexOf(":");
  const host = i > 0 && /^\d+$/.test(peer.slice(i + 1)) ? peer.slice(0, i) : peer;
  return host.replace(/^\[|\]$/g, "");
}

/** The headers CallerAuth reads (authorization, x-scope-orgid, user-agent) from gRPC metadata. */
export function headersOf(metadata: Metadata): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (const name of ["authorization", "x-scope-orgid", "user-agent"]) {
    const v = metadata.get(name)[0];
    if (typeof v === "string") h[name] = v;
  }
  return h;
}

/** A socket-like view of a verified client certificate, as clientCertIdentities() reads it. */
function certSocket(call: ServerUnaryCall<Buffer, Buffer>): unknown {
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert === undefined ? undefined : { authorized: true, getPeerCertificate: () => cert };
}

/** The ExportLogsServiceResponse / ExportTraceServiceResponse: empty, or partial_success{rejected=1, error_message=2}. */
export function exportResponse(conv: Pick<OtlpConversion, "rejected" | "firstError">): Buffer {
  const w = new ProtoWriter();
  if (conv.rejected > 0) w.bytesField(1, new ProtoWriter().varintField(1, conv.rejected).stringField(2, conv.firstError).finish());
  return w.finish();
}

export interface ExportServiceDeps {
  readonly ctx: ServerContext;
  readonly callers: CallerAuth;
  readonly maxMessageBytes: number;
  /** Counts one finished call (HTTP-equivalent status) and its message bytes. */
  readonly observe: (httpStatus: number, bytes: number) => void;
}

/** Decodes and converts one request; malformed protobuf becomes OTLP_PAYLOAD_INVALID naming the message. */
export function convertRequest(signal: Signal, body: Uint8Array, tenant: string, nowNs: bigint, maxLineBytes: number): OtlpConversion {
  try {
    return signal === "logs"
      ? logsToRecords(decodeLogsRequestProto(body), tenant, nowNs, maxLineBytes)
      : spansToRecords(decodeTracesRequestProto(body), tenant, nowNs);
  } catch (err) {
    if (err instanceof ProtoWireError || err instanceof RangeError) {
      const what = signal === "logs" ? "ExportLogsServiceRequest" : "ExportTraceServiceRequest";
      throw new MeshlogError(OtlpErrors.OTLP_PAYLOAD_INVALID, `${what} is not valid protobuf: ${err.message}`);
    }
    throw err;
  }
}

/** The unary Export handler of one signal. */
export function exportHandler(deps: ExportServiceDeps, signal: Signal): UntypedServiceImplementation {
  const { ctx, callers } = deps;
  const route = signal === "logs" ? LOGS_EXPORT_PATH : TRACES_EXPORT_PATH;
  const handle = async (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> => {
    const ip = peerAddress(call.getPeer());
    const headers = headersOf(call.metadata);
    const body = call.request;
    let principal: Principal | undefined;
    let kind: CredentialKind | undefined;
    let tenant = "";
    let rows = 0;
    let status = 200;
    try {
      ({ principal, kind } = await callers.identify({ ip, method: "POST", route, headers, socket: certSocket(call) }));
      tenant = callers.tenantOf(principal, headers);
      if (!hasRole(principal, "ingest")) {
        throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this action needs the role ingest; the token has ${principal.roles.join(", ") || "no roles"}`);
      }
      if (body.length > deps.maxMessageBytes) {
        throw new MeshlogError(
          OtlpGrpcErrors.OTLP_GRPC_MESSAGE_TOO_LARGE,
          `the export request is ${body.length} bytes, the limit is ${deps.maxMessageBytes} (otlpGrpc.maxMessageBytes)`,
        );
      }
      const conv = convertRequest(signal, body, tenant, ctx.clock.nowNs(), ctx.config.ingest.maxLineBytes);
      if (conv.rejected > 0) ctx.ingest.countRejected(RECEIVER, "invalid", conv.rejected);
      await ctx.ingest.write(RECEIVER, tenant, conv.records);
      rows = conv.records.length;
      callback(null, exportResponse(conv));
    } catch (err) {
      const f = grpcFailureOf(err);
      if (f.code === GrpcCode.INTERNAL) ctx.log.error("OTLP/gRPC export failed", { route, err: err as Error });
      status = f.httpStatus;
      const trailer = new Metadata();
      trailer.set("grpc-status-details-bin", encodeStatusDetails(f.code, f.message, f.retryAfterSeconds));
      callback({ code: f.code, details: f.message, metadata: trailer });
    } finally {
      deps.observe(status, body.length);
      // Refusals before a principal was known were audited by CallerAuth.identify.
      if (principal !== undefined) {
        const ua = headers["user-agent"];
        const requested = headers["x-scope-orgid"];
        ctx.audit.record({
          action: "ingest",
          principal: principal.id,
          tenant: tenant === "" ? principal.tenant : tenant,
          remoteAddress: ip,
          method: "POST",
          route,
          status,
          result: status < 400 ? "ok" : status === 401 || status === 403 || status === 429 ? "denied" : "error",
          rows,
          details: {
            receiver: RECEIVER,
            ...(kind !== undefined ? { credential: kind } : {}),
            ...(principal.tokenId !== undefined ? { token: principal.tokenId } : {}),
            ...(typeof requested === "string" && requested !== "" && requested !== tenant ? { requestedTenant: requested.slice(0, 64) } : {}),
            ...(typeof ua === "string" && ua !== "" ? { userAgent: ua.slice(0, 120) } : {}),
          },
        });
      }
    }
  };
  return {
    Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      handle(call, callback).catch((err: unknown) => {
        ctx.log.error("OTLP/gRPC handler crashed", { route, err: err as Error });
        callback({ code: GrpcCode.INTERNAL, details: "internal error" });
      });
    },
  };
}

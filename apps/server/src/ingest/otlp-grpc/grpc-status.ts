// Maps meshlog errors to gRPC status codes as OTLP exporters expect them, with google.rpc.RetryInfo where a retry helps.

import { httpStatusOf, MeshlogError } from "@meshlog/core";
import { ProtoWriter } from "../otlp/proto-wire.js";

/** gRPC status codes used by the receiver (google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The status a failed call ends with. */
export interface GrpcFailure {
  readonly code: number;
  readonly message: string;
  /** HTTP status of the same failure on the HTTP receivers (for audit events and request metrics). */
  readonly httpStatus: number;
  /** Seconds the client should wait before retrying; set only where a retry can succeed. */
  readonly retryAfterSeconds: number | undefined;
}

/** Seconds to advise when the store is out of disk space (the operator has to act; retrying often is useless). */
const DISK_FULL_RETRY_SECONDS = 30;

/**
 * The gRPC status for an error raised while handling an export. OTLP exporters retry UNAVAILABLE, and
 * RESOURCE_EXHAUSTED only when RetryInfo is present, so: backpressure and a full disk are UNAVAILABLE with
 * RetryInfo; rate limits are RESOURCE_EXHAUSTED with RetryInfo; oversized requests RESOURCE_EXHAUSTED without
 * (resending them cannot succeed). Unexpected errors become INTERNAL with a generic message.
 */
export function grpcFailureOf(err: unknown): GrpcFailure {
  if (!(err instanceof MeshlogError)) return { code: GrpcCode.INTERNAL, message: "internal error", httpStatus: 500, retryAfterSeconds: undefined };
  const status = httpStatusOf(err);
  const hinted = (): number => {
    const r = err.details?.retryAfterSeconds;
    return typeof r === "number" && Number.isFinite(r) ? Math.max(1, Math.ceil(r)) : 1;
  };
  const f = (code: number, retryAfterSeconds?: number): GrpcFailure => ({ code, message: err.message, httpStatus: status, retryAfterSeconds });
  if (status === 401) return f(GrpcCode.UNAUTHENTICATED);
  if (status === 403) return f(GrpcCode.PERMISSION_DENIED);
  if (status === 413) return f(GrpcCode.RESOURCE_EXHAUSTED);
  if (status === 429) return f(GrpcCode.RESOURCE_EXHAUSTED, hinted());
  if (status === 503 || status === 502 || status === 504) return f(GrpcCode.UNAVAILABLE, hinted());
  if (status === 507) return f(GrpcCode.UNAVAILABLE, DISK_FULL_RETRY_SECONDS);
  if (status >= 500) return f(GrpcCode.INTERNAL);
  return f(GrpcCode.INVALID_ARGUMENT);
}

/** The HTTP status equivalent of a gRPC code raised outside the handler (size limit, decompression). */
export function httpStatusOfGrpcCode(code: number): number {
  if (code === GrpcCode.OK) return 200;
  if (code === GrpcCode.UNAUTHENTICATED) return 401;
  if (code === GrpcCode.PERMISSION_DENIED) return 403;
  if (code === GrpcCode.RESOURCE_EXHAUSTED) return 413;
  if (code === GrpcCode.UNAVAILABLE) return 503;
  if (code === GrpcCode.INVALID_ARGUMENT) return 400;
  return 500;
}

const RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";

/**
 * The google.rpc.Status message sent in the `grpc-status-details-bin` trailer:
 * Status{code=1, message=2, details=3 (Any{type_url=1, value=2})}, with RetryInfo{retry_delay=1 (Duration{seconds=1})}.
 */
export function encodeStatusDetails(code: number, message: string, retryAfterSeconds: number | undefined): Buffer {
  const w = new ProtoWriter().varintField(1, code).stringField(2, message);
  if (retryAfterSeconds !== undefined) {
    const delay = new ProtoWriter().varintField(1, retryAfterSeconds).finish();
    const retryInfo = new ProtoWriter().bytesField(1, delay).finish();
    w.bytesField(3, new ProtoWriter().stringField(1, RETRY_INFO_TYPE).bytesField(2, retryInfo).finish());
  }
  return w.finish();
}

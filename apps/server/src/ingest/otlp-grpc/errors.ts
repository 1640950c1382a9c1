// Error codes of the OTLP/gRPC receiver (malformed requests reuse OTLP_PAYLOAD_INVALID of the HTTP receiver).

import { defineErrors } from "@meshlog/core";

export const OtlpGrpcErrors = defineErrors("ingest/otlp-grpc", {
  OTLP_GRPC_MESSAGE_TOO_LARGE: {
    status: 413,
    description: "An OTLP/gRPC export request is larger than otlpGrpc.maxMessageBytes (after decompression); answered RESOURCE_EXHAUSTED.",
  },
});

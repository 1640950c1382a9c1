// Error codes of the OTLP/HTTP receiver.

import { defineErrors } from "@meshlog/core";

export const OtlpErrors = defineErrors("ingest/otlp", {
  OTLP_PAYLOAD_INVALID: { status: 400, description: "An OTLP export request (protobuf or JSON) is malformed; the message names the field path." },
  OTLP_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The Content-Type is neither application/x-protobuf nor application/json." },
});

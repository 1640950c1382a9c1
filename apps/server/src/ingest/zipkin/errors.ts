// Error codes of the Zipkin v2 span receiver.

import { defineErrors } from "@meshlog/core";

export const ZipkinErrors = defineErrors("ingest/zipkin", {
  ZIPKIN_SPANS_INVALID: { status: 400, description: "A Zipkin v2 span list (JSON or proto3) is malformed; the message names the span and field." },
  ZIPKIN_V1_UNSUPPORTED: { status: 400, description: "The body is Zipkin v1 (binaryAnnotations / annotation endpoints); only v2 is accepted." },
  ZIPKIN_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The Content-Type is neither application/json nor application/x-protobuf." },
});

// Error codes of the Loki push receiver.

import { defineErrors } from "@meshlog/core";

export const LokiErrors = defineErrors("ingest/loki", {
  LOKI_PUSH_INVALID: { status: 400, description: "A Loki push body (protobuf, snappy or JSON) is malformed; the message names the stream and entry." },
  LOKI_LABELS_INVALID: { status: 400, description: 'A Loki stream label string such as {app="api"} does not parse; the message gives the position.' },
  LOKI_ENTRIES_REJECTED: { status: 400, description: "Some entries of a push were rejected (line too long, bad labels); the others were stored." },
  LOKI_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The push Content-Type is neither application/x-protobuf nor application/json." },
});

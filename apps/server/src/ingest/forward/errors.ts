// Error codes of the Fluentd forward receiver.

import { defineErrors } from "@meshlog/core";

export const ForwardErrors = defineErrors("forward", {
  FORWARD_FRAME_INVALID: { status: 400, description: "A forward-protocol msgpack object is malformed or has an unknown shape; the connection is closed." },
  FORWARD_FRAME_TOO_LARGE: { status: 413, description: "A forward-protocol object (or its decompressed entries) exceeds ingest.maxBodyBytes." },
  FORWARD_DECOMPRESS_FAILED: { status: 400, description: "A CompressedPackedForward payload does not decompress (gzip or zstd)." },
  FORWARD_SIZE_MISMATCH: { status: 400, description: "The `size` option matches neither the event count nor the payload length." },
  FORWARD_AUTH_FAILED: { status: 401, description: "The forward handshake failed (shared key, token or protocol) or was skipped." },
  FORWARD_ENTRY_INVALID: { status: 400, description: "One event entry (time or record) is malformed; the entry is skipped." },
});

// Error codes of the Beats (Lumberjack v1/v2) receiver.

import { defineErrors } from "@meshlog/core";

export const BeatsErrors = defineErrors("beats", {
  BEATS_FRAME_INVALID: {
    status: 400,
    description: "A Lumberjack frame is malformed (unknown version or frame type, a frame out of place, truncated); the connection is closed.",
  },
  BEATS_FRAME_TOO_LARGE: {
    status: 413,
    description: "A Lumberjack frame, or a compressed frame once inflated, exceeds ingest.maxBodyBytes; the connection is closed.",
  },
  BEATS_WINDOW_INVALID: { status: 400, description: "A window frame announces more events than beats.maxWindowSize; the connection is closed." },
  BEATS_DECOMPRESS_FAILED: { status: 400, description: "A compressed frame is not a valid zlib stream; the connection is closed." },
  BEATS_EVENT_INVALID: { status: 400, description: "A JSON data frame is not valid JSON or not a JSON object; the connection is closed." },
  BEATS_AUTH_FAILED: { status: 403, description: "A client certificate maps to a principal without the ingest role; the connection is closed." },
});

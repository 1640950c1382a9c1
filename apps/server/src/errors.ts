// Error codes raised at the HTTP edge and by server features.

import { defineErrors } from "@meshlog/core";

export const ServerErrors = defineErrors("server", {
  AUTH_MISSING: { status: 401, description: "No credentials were sent." },
  AUTH_INVALID: { status: 401, description: "The credentials are unknown, expired or revoked." },
  AUTH_FORBIDDEN: { status: 403, description: "The principal lacks the role or scope for this action." },
  AUTH_RATE_LIMITED: { status: 429, description: "Too many failed authentication attempts from this address." },
  TENANT_INVALID: { status: 400, description: "The tenant id is malformed or not allowed for this principal." },
  INGEST_PAYLOAD_TOO_LARGE: { status: 413, description: "The request body (after decompression) exceeds the limit." },
  INGEST_BAD_ENCODING: { status: 400, description: "The Content-Encoding is unsupported or the body does not decode." },
  INGEST_BAD_REQUEST: { status: 400, description: "The ingest payload is malformed; the message names the field." },
  INGEST_RATE_LIMITED: { status: 429, description: "The tenant's ingest rate limit is exceeded." },
  REQUEST_INVALID: { status: 400, description: "A request parameter is invalid; the message names it." },
  NOT_FOUND: { status: 404, description: "The resource does not exist." },
});

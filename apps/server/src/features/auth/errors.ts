// Error codes of the security features (tokens, principals, TLS, limits, admin API).

import { defineErrors } from "@meshlog/core";

export const SecurityErrors = defineErrors("security", {
  SECURITY_FIELD_INVALID: { status: 400, description: "A field of a token or principal request is invalid; the message names the field." },
  SECURITY_SCOPE_INVALID: { status: 400, description: "A scope is not a valid LogQL stream selector; the message names the position." },
  SECURITY_TOKEN_NOT_FOUND: { status: 404, description: "No token has this id." },
  SECURITY_PRINCIPAL_NOT_FOUND: { status: 404, description: "No principal has this id." },
  SECURITY_PRINCIPAL_EXISTS: { status: 409, description: "A principal with this id already exists." },
  SECURITY_GRANT_FORBIDDEN: { status: 403, description: "The caller tried to grant roles, tenants or scope it does not hold itself." },
  SECURITY_BOOTSTRAP_IMMUTABLE: {
    status: 400,
    description: "The bootstrap admin token cannot be changed through the API (rotate it via MESHLOG_ADMIN_TOKEN or DATA/admin.token).",
  },
  SECURITY_FILE_INSECURE: { status: 500, description: "A key or token file is readable by group or others; the server refuses to start." },
  SECURITY_STATE_CORRUPT: { status: 500, description: "A security state file (tokens.json, principals.json) cannot be parsed." },
  SECURITY_TLS_INVALID: { status: 500, description: "The TLS certificate, key or CA cannot be loaded." },
  SECURITY_QUERY_CONCURRENCY: { status: 429, description: "The principal already runs query.maxConcurrentPerPrincipal queries." },
});

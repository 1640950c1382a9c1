// Error codes of retention: policies, legal holds, deletion certificates and enforcement (storage/retention).

import { defineErrors } from "@meshlog/core";

export const RetentionErrors = defineErrors("storage-retention", {
  RETENTION_POLICY_INVALID: {
    status: 400,
    description: "A retention policy is malformed, or shorter than the audit window for audit streams; the message names the rule.",
  },
  RETENTION_HOLD_INVALID: { status: 400, description: "A legal hold request is malformed (selector, reason or end date); the message names the field." },
  RETENTION_HOLD_UNKNOWN: { status: 404, description: "No legal hold has the given id." },
  RETENTION_CERTIFICATE_UNKNOWN: { status: 404, description: "No deletion certificate has the given id." },
  RETENTION_FILE_CORRUPT: { status: 500, description: "A retention file (policies, holds, certificate) cannot be parsed; the message names the file." },
  RETENTION_REQUEST_INVALID: { status: 400, description: "A deletion request is malformed (selector, time range or reason); the message names the field." },
  RETENTION_HELD: { status: 409, description: "A deletion request covers data under an active legal hold; release the hold first." },
  RETENTION_COMPACTION_INVALID: {
    status: 409,
    description: "Blocks named for compaction cannot be merged (fewer than two, another stream, retention class or key period); the message names the block.",
  },
  RETENTION_DELETE_UNKNOWN: { status: 404, description: "No deletion request has the given request_id (Loki delete API)." },
  RETENTION_DELETE_PROCESSED: { status: 400, description: "A deletion request that is already processed or cancelled cannot be cancelled." },
  RETENTION_BUSY: { status: 409, description: "A retention run or deletion is already in progress; retry when it has finished." },
});

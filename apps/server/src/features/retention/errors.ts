// Error codes of the server's retention feature (policies, holds, deletions API) beyond the storage retention codes.

import { defineErrors } from "@meshlog/core";

export const RetentionServerErrors = defineErrors("server-retention", {
  RETENTION_UNAVAILABLE: { status: 501, description: "The configured store does not support retention management (it is not the embedded engine)." },
});

// Error codes of the tamper-evident ledger (storage/ledger), beyond the shared storage codes.

import { defineErrors } from "@meshlog/core";

export const LedgerErrors = defineErrors("storage-ledger", {
  LEDGER_FILE_CORRUPT: {
    status: 500,
    description: "A ledger file is inconsistent (bad magic, checksum, framing or content); the message names file and offset.",
  },
  LEDGER_ARGUMENT_INVALID: { status: 400, description: "A ledger append or proof request has an invalid field, index or tree size." },
  LEDGER_WRITE_FAILED: { status: 503, description: "A ledger append or its fsync failed; the entry was not recorded." },
  LEDGER_SIGNING_KEY_INSECURE: { status: 500, description: "The checkpoint signing key file is readable by group or others." },
  LEDGER_SIGNING_KEY_INVALID: { status: 500, description: "The checkpoint signing key file cannot be parsed as an Ed25519 key." },
  LEDGER_CANONICAL_JSON: { status: 400, description: "A value cannot be encoded as canonical JSON (cycle, undefined, non-finite number, non-plain object)." },
});

// Error codes of the embedded engine (WAL, head, block, index, verify) beyond the shared storage codes.

import { defineErrors } from "@meshlog/core";

export const EngineErrors = defineErrors("storage-engine", {
  WAL_WRITE_FAILED: { status: 503, description: "A WAL write or fsync failed; the batch was not acknowledged." },
  WAL_SEGMENT_INVALID: { status: 500, description: "A WAL segment has a bad magic or an unsupported format version." },
  BLOCK_FORMAT_UNSUPPORTED: { status: 500, description: "A block file has a bad magic or an unsupported format version." },
  CATALOG_CORRUPT: { status: 500, description: "The catalog file failed its checksum or could not be decoded (it is rebuilt)." },
  STORAGE_RECORD_INVALID: { status: 400, description: "A record handed to the store is not storable (tenant or fields)." },
  STORAGE_BLOCK_UNKNOWN: { status: 404, description: "A block named in a request does not exist in the tenant's catalog." },
  STORAGE_LEGAL_HOLD: { status: 409, description: "A block under legal hold cannot be deleted." },
  VERIFY_FAILED: { status: 500, description: "Offline verification of a data folder found problems." },
});

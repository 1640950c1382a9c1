// Error codes of the storage package.

import { defineErrors } from "@meshlog/core";

export const StorageErrors = defineErrors("storage", {
  STORAGE_BACKPRESSURE: { status: 503, description: "The write path is saturated; retry after the indicated delay." },
  STORAGE_CLOSED: { status: 503, description: "The store is closed or shutting down." },
  STORAGE_DISK_FULL: { status: 507, description: "Free disk space is under the threshold; new data is refused." },
  WAL_FRAME_CORRUPT: { status: 500, description: "A WAL frame failed its checksum." },
  BLOCK_CORRUPT: { status: 500, description: "A block failed its checksum, hash or decryption." },
  KEY_UNAVAILABLE: { status: 500, description: "A key needed to read or write data is missing or destroyed." },
  LEDGER_INVALID: { status: 500, description: "The ledger failed verification." },
});

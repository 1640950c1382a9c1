// Error codes of the key ring and envelope encryption (storage/crypto), beyond the shared storage codes.

import { defineErrors } from "@meshlog/core";

export const CryptoErrors = defineErrors("storage-crypto", {
  KEY_MASTER_INSECURE: { status: 500, description: "The master key file is readable by group or others; the message names the chmod to run." },
  KEY_MASTER_INVALID: { status: 500, description: "A master key is malformed (not 32 bytes of hex or base64, or a bad key file)." },
  KEY_MASTER_MISMATCH: { status: 500, description: "The master key in use is not the one the key ring is wrapped under." },
  KEY_RING_CORRUPT: { status: 500, description: "The key ring file has a bad magic, version, checksum or content." },
  KEY_ARGUMENT_INVALID: { status: 400, description: "A key request names an invalid tenant, retention class, period, key id or key length." },
});

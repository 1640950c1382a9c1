// Exports a checkpoint as a C2SP signed note (tlog-checkpoint body + Ed25519 signature line) for external tools.

import { createHash, createPublicKey } from "node:crypto";
import { checkpointBody, type Checkpoint } from "./ledger-format.js";

/** The C2SP signed-note key hint of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw public key), first 4 bytes. */
export function noteKeyHint(name: string, publicKeyPem: string): Buffer {
  const der = createPublicKey(publicKeyPem).export({ format: "der", type: "spki" });
  const raw = der.subarray(der.length - 32);
  return createHash("sha256")
    .update(Buffer.concat([Buffer.from(name, "utf8"), Buffer.from([0x0a, 0x01]), raw]))
    .digest()
    .subarray(0, 4);
}

/**
 * The checkpoint as a C2SP signed note: the signed body (which is a tlog-checkpoint with extension lines),
 * a blank line, and `— <origin> base64(keyHint ‖ signature)`. The signature is the checkpoint's own, so
 * tools that verify signed notes (with the origin as key name) accept it.
 */
export function checkpointNote(cp: Checkpoint, publicKeyPem: string): string {
  const { signature, ...unsigned } = cp;
  const sig = Buffer.concat([noteKeyHint(cp.origin, publicKeyPem), Buffer.from(signature, "base64")]);
  return `${checkpointBody(unsigned).toString("utf8")}\n\u2014 ${cp.origin} ${sig.toString("base64")}\n`;
}

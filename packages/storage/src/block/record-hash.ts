// Record leaf hashes (SHA-256(0x00 ‖ salt ‖ canonical JSON)) and the block's plaintext Merkle root.

import type { LogRecord } from "@meshlog/core";
import { leafHash, merkleRoot } from "../ledger/merkle.js";

function sortedObject(o: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as string;
  return out;
}

/**
 * Canonical JSON of a record: keys in alphabetical order at every level, timestamps as decimal strings.
 * Stable across encoders, so a record can be hashed again from any copy of it.
 */
export function canonicalRecordJson(r: LogRecord): string {
  return JSON.stringify({
    attributes: sortedObject(r.attributes),
    body: r.body,
    labels: sortedObject(r.labels),
    observedTimestamp: r.observedTimestamp.toString(),
    resource: sortedObject(r.resource),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    spanId: r.spanId,
    tenant: r.tenant,
    timestamp: r.timestamp.toString(),
    traceId: r.traceId,
  });
}

/** Leaf hash of a record in a block: SHA-256(0x00 ‖ salt ‖ canonical JSON), as in RFC 6962 leaves. */
export function recordLeafHash(salt: Uint8Array, r: LogRecord): Buffer {
  return leafHash(Buffer.concat([salt, Buffer.from(canonicalRecordJson(r), "utf8")]));
}

/** RFC 6962 Merkle tree hash over leaf hashes (the ledger's implementation). */
export function merkleRootOf(leaves: readonly Buffer[]): Buffer {
  return merkleRoot(leaves);
}

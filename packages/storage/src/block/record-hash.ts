// Record leaf hashes (SHA-256(0x00 ‖ salt ‖ canonical JSON)) and the block's plaintext Merkle root.

import { createHash } from "node:crypto";
import type { LogRecord } from "@meshlog/core";
import { merkleRoot } from "../ledger/merkle.js";

/** JSON object text with keys in code-unit order (as Array.prototype.sort orders strings). */
function sortedJson(o: Readonly<Record<string, string>>): string {
  const keys = Object.keys(o);
  if (keys.length === 0) return "{}";
  if (keys.length > 1) keys.sort();
  let s = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    s += (i === 0 ? "" : ",") + JSON.stringify(k) + ":" + JSON.stringify(o[k]);
  }
  return s + "}";
}

/**
 * Canonical JSON of a record: keys in alphabetical order at every level, timestamps as decimal strings,
 * no whitespace. Stable across encoders, so a record can be hashed again from any copy of it.
 * `labelsJson` may pass the precomputed `sortedJson(r.labels)` (the same for a whole block).
 */
export function canonicalRecordJson(r: LogRecord, labelsJson?: string): string {
  return (
    `{"attributes":${sortedJson(r.attributes)},"body":${JSON.stringify(r.body)},"labels":${labelsJson ?? sortedJson(r.labels)},` +
    `"observedTimestamp":"${r.observedTimestamp}","resource":${sortedJson(r.resource)},"severityNumber":${r.severityNumber},` +
    `"severityText":${JSON.stringify(r.severityText)},"spanId":${JSON.stringify(r.spanId)},"tenant":${JSON.stringify(r.tenant)},` +
    `"timestamp":"${r.timestamp}","traceId":${JSON.stringify(r.traceId)}}`
  );
}

const ZERO = Buffer.from([0]);

/** Leaf hash of a record in a block: SHA-256(0x00 ‖ salt ‖ canonical JSON), as in RFC 6962 leaves. */
export function recordLeafHash(salt: Uint8Array, r: LogRecord, labelsJson?: string): Buffer {
  return createHash("sha256").update(ZERO).update(salt).update(canonicalRecordJson(r, labelsJson), "utf8").digest();
}

/** Leaf hashes of records that share one label set (the records of a block). */
export function recordLeafHashes(salt: Uint8Array, records: readonly LogRecord[]): Buffer[] {
  const first = records[0];
  const labelsJson = first === undefined ? "" : sortedJson(first.labels);
  return records.map((r) => recordLeafHash(salt, r, r.labels === first?.labels ? labelsJson : undefined));
}

/** RFC 6962 Merkle tree hash over leaf hashes (the ledger's implementation). */
export function merkleRootOf(leaves: readonly Buffer[]): Buffer {
  return merkleRoot(leaves);
}

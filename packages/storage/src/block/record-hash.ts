// Record leaf hashes (SHA-256(0x00 ‖ salt ‖ canonical JSON)) and the block's plaintext Merkle root.

import * as nodeCrypto from "node:crypto";
import { createHash } from "node:crypto";
import type { LogRecord } from "@meshlog/core";
import { merkleRoot } from "../ledger/merkle.js";
import { CanonicalJsonWriter } from "./canonical-json-writer.js";

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

type OneShot = (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;
/** crypto.hash where the runtime has it (Node >= 20.12), else a Hash object. */
const oneShotSha256 = (data: Uint8Array): Buffer => (oneShot !== undefined ? oneShot("sha256", data, "buffer") : createHash("sha256").update(data).digest());

/** Leaf hash of a record in a block: SHA-256(0x00 ‖ salt ‖ canonical JSON), as in RFC 6962 leaves. */
export function recordLeafHash(salt: Uint8Array, r: LogRecord, labelsJson?: string): Buffer {
  return createHash("sha256").update(ZERO).update(salt).update(canonicalRecordJson(r, labelsJson), "utf8").digest();
}

/**
 * Leaf hashes of records that share one label set (the records of a block). Same bytes as recordLeafHash:
 * the canonical JSON is written straight into a reused buffer (CanonicalJsonWriter) and hashed one-shot.
 */
export function recordLeafHashes(salt: Uint8Array, records: readonly LogRecord[]): Buffer[] {
  const first = records[0];
  const labelsJson = Buffer.from(first === undefined ? "" : sortedJson(first.labels), "utf8");
  const head = 1 + salt.length;
  const w = new CanonicalJsonWriter(head + 4096);
  const out: Buffer[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord;
    w.pos = 0;
    w.raw(ZERO);
    w.raw(salt);
    w.record(r, r.labels === first?.labels ? labelsJson : Buffer.from(sortedJson(r.labels), "utf8"));
    out[i] = oneShotSha256(w.buf.subarray(0, w.pos));
  }
  return out;
}

type OneShotText = (algorithm: string, data: Uint8Array, encoding: "latin1") => string;
const oneShotLatin1 = oneShot as unknown as OneShotText | undefined;

/**
 * The block's plaintext Merkle root over its records: the same value as
 * `merkleRootOf(recordLeafHashes(salt, records))`. Every digest (leaves and interior nodes) is taken
 * one-shot as a latin1 string (one byte per char), which costs about half of a Buffer result, and
 * interior nodes are hashed from one reused 65-byte buffer.
 */
export function recordsMerkleRoot(salt: Uint8Array, records: readonly LogRecord[]): Buffer {
  const hash = oneShotLatin1;
  if (hash === undefined || records.length < 2) return merkleRootOf(recordLeafHashes(salt, records));
  const first = records[0] as LogRecord;
  const labelsJson = Buffer.from(sortedJson(first.labels), "utf8");
  const w = new CanonicalJsonWriter(1 + salt.length + 4096);
  const leaves: string[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord;
    w.pos = 0;
    w.raw(ZERO);
    w.raw(salt);
    w.record(r, r.labels === first.labels ? labelsJson : Buffer.from(sortedJson(r.labels), "utf8"));
    leaves[i] = hash("sha256", w.buf.subarray(0, w.pos), "latin1");
  }
  const node = Buffer.allocUnsafe(65);
  node[0] = 1;
  const mth = (lo: number, hi: number): string => {
    const n = hi - lo;
    if (n === 1) return leaves[lo] as string;
    let k = 1;
    while (k * 2 < n) k *= 2;
    const left = mth(lo, lo + k);
    const right = mth(lo + k, hi);
    node.write(left, 1, 32, "latin1");
    node.write(right, 33, 32, "latin1");
    return hash("sha256", node, "latin1");
  };
  return Buffer.from(mth(0, leaves.length), "latin1");
}

/**
 * RFC 6962 Merkle tree hash over leaf hashes: the same value as the ledger's merkleRoot, with each interior
 * node hashed one-shot from a reused 65-byte buffer (no Hash object per node).
 */
export function merkleRootOf(leaves: readonly Buffer[]): Buffer {
  if (oneShot === undefined || leaves.length < 2 || leaves.some((l) => l.length !== 32)) return merkleRoot(leaves);
  const node = Buffer.allocUnsafe(65);
  node[0] = 1;
  const mth = (lo: number, hi: number): Buffer => {
    const n = hi - lo;
    if (n === 1) return leaves[lo] as Buffer;
    let k = 1;
    while (k * 2 < n) k *= 2;
    const left = mth(lo, lo + k);
    const right = mth(lo + k, hi);
    left.copy(node, 1);
    right.copy(node, 33);
    return oneShotSha256(node);
  };
  return mth(0, leaves.length);
}

// Deletion certificates: what was deleted, why, when, by whom, anchored to a ledger leaf and a signed checkpoint.

import { formatRfc3339Ns } from "@meshlog/core";
import { canonicalJsonBytes } from "../ledger/canonical-json.js";
import type { Checkpoint, LedgerEntry } from "../ledger/ledger-format.js";
import { leafHash, verifyInclusion } from "../ledger/merkle.js";
import { MerkleTree } from "../ledger/merkle-tree.js";

/** Ledger event kind recorded when a KEK is crypto-shredded. */
export const KEK_DESTROYED_EVENT = "kek.destroyed";

export type CertificateKind = "retention" | "deletion-request" | "kek-destroyed" | "other";

export interface CertifiedBlock {
  readonly blockId: string;
  readonly headerHash: string;
  readonly keyId: string;
  readonly records: number;
  /** RFC 3339 (from the ledger's block entry). */
  readonly minTime: string;
  readonly maxTime: string;
}

export interface DeletionCertificate {
  /** "<tenant>.<leaf index>": one certificate per ledger entry. */
  readonly id: string;
  readonly kind: CertificateKind;
  readonly tenant: string;
  readonly what: {
    readonly blocks: readonly CertifiedBlock[];
    readonly records: number;
    /** Overall time range of the deleted records (absent when no block is involved). */
    readonly minTime?: string;
    readonly maxTime?: string;
    /** Key ids involved (the KEK destroyed, for kek-destroyed). */
    readonly keyIds: readonly string[];
  };
  readonly why: { readonly reason: string; readonly policy?: string };
  /** When the deletion was executed (RFC 3339). */
  readonly when: string;
  readonly by: string;
  readonly ledger: {
    readonly leafIndex: number;
    /** Hex RFC 6962 leaf hash of the entry. */
    readonly leafHash: string;
    readonly checkpoint: Pick<Checkpoint, "seq" | "treeSize" | "rootHash" | "time" | "keyId" | "signature">;
    /** Hex audit path from the leaf to the checkpoint's root. */
    readonly inclusionProof: readonly string[];
  };
  readonly issuedAt: string;
}

/** What certificates need from a tenant ledger (ledger/ledger.ts Ledger satisfies it). */
export interface CertificateLedger {
  entries(): readonly LedgerEntry[];
  latestCheckpoint(): Checkpoint | undefined;
  checkpoint(): Promise<Checkpoint>;
  inclusionProofFor(index: number, treeSize?: number): string[];
  leafHashOf(index: number): string;
}

export function certificateId(tenant: string, leafIndex: number): string {
  return `${tenant}.${leafIndex}`;
}

const nsText = (ns: string): string => {
  try {
    return formatRfc3339Ns(BigInt(ns));
  } catch {
    return ns;
  }
};

/** True for ledger entries that call for a certificate: tombstones and KEK destructions; not compactions, which delete no record. */
export function isCertifiable(e: LedgerEntry): boolean {
  if (e.type === "tombstone") return !isCompactionTombstone(e.tombstone.reason);
  return e.type === "event" && e.event.kind === KEK_DESTROYED_EVENT;
}

/** Tombstone reasons of compaction ("compaction", and "compaction-rollback" for a withdrawn merged block). */
export function isCompactionTombstone(reason: string): boolean {
  return reason === "compaction" || reason === "compaction-rollback";
}

/**
 * Builds the certificate of ledger entry `index` (a tombstone or a kek.destroyed event), anchored to the
 * latest checkpoint when it covers the entry, else to a new one. Record counts and time ranges come from
 * the ledger's block entries, which are kept after the blocks are gone.
 */
export async function buildCertificate(tenant: string, ledger: CertificateLedger, index: number, issuedAtNs: bigint): Promise<DeletionCertificate> {
  const entries = ledger.entries();
  const e = entries[index];
  if (e === undefined || !isCertifiable(e)) throw new Error(`BUG: ledger entry ${index} of tenant ${tenant} is not a tombstone or KEK destruction`);
  let cp = ledger.latestCheckpoint();
  if (cp === undefined || cp.treeSize <= index) cp = await ledger.checkpoint();
  const anchor = {
    leafIndex: index,
    leafHash: ledger.leafHashOf(index),
    checkpoint: { seq: cp.seq, treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, keyId: cp.keyId, signature: cp.signature },
    inclusionProof: ledger.inclusionProofFor(index, cp.treeSize),
  };
  const base = { id: certificateId(tenant, index), tenant, ledger: anchor, issuedAt: formatRfc3339Ns(issuedAtNs) };
  if (e.type === "tombstone") {
    const t = e.tombstone;
    const byId = new Map<string, { records: number; minTime: string; maxTime: string }>();
    for (const x of entries) if (x.type === "block") byId.set(x.block.blockId, x.block);
    const blocks: CertifiedBlock[] = t.blockIds.map((blockId, i) => {
      const b = byId.get(blockId);
      return {
        blockId,
        headerHash: t.headerHashes[i] ?? "",
        keyId: t.keyIds[i] ?? "",
        records: b?.records ?? 0,
        minTime: b === undefined ? "" : nsText(b.minTime),
        maxTime: b === undefined ? "" : nsText(b.maxTime),
      };
    });
    const mins = t.blockIds
      .map((id) => byId.get(id)?.minTime)
      .filter((x): x is string => x !== undefined)
      .map(BigInt);
    const maxs = t.blockIds
      .map((id) => byId.get(id)?.maxTime)
      .filter((x): x is string => x !== undefined)
      .map(BigInt);
    const kind: CertificateKind = t.reason === "retention" ? "retention" : t.reason.startsWith("deletion-request") ? "deletion-request" : "other";
    return {
      ...base,
      kind,
      what: {
        blocks,
        records: blocks.reduce((n, b) => n + b.records, 0),
        ...(mins.length === 0 ? {} : { minTime: formatRfc3339Ns(mins.reduce((a, b) => (b < a ? b : a))) }),
        ...(maxs.length === 0 ? {} : { maxTime: formatRfc3339Ns(maxs.reduce((a, b) => (b > a ? b : a))) }),
        keyIds: [...new Set(t.keyIds)],
      },
      why: { reason: t.reason, ...(t.policy === undefined ? {} : { policy: t.policy }) },
      when: t.time,
      by: t.principal ?? "retention-job",
    };
  }
  const d = (e.type === "event" ? e.event.data : {}) as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof d[k] === "string" ? (d[k] as string) : undefined);
  return {
    ...base,
    kind: "kek-destroyed",
    what: { blocks: [], records: 0, keyIds: [str("keyId") ?? ""] },
    why: { reason: str("reason") ?? "crypto-shredding", ...(str("policy") === undefined ? {} : { policy: str("policy") as string }) },
    when: str("destroyedAt") ?? e.time,
    by: str("principal") ?? "retention-job",
  };
}

/**
 * Problems of a certificate against the verified entries of its tenant's ledger (empty = it checks):
 * the entry at the leaf index exists, is the certified tombstone/event with the listed hashes and key
 * ids, hashes to the recorded leaf hash, and is included under the recorded root, which must be the
 * root the entries give at that tree size.
 */
export function certificateProblems(cert: DeletionCertificate, entries: readonly LedgerEntry[]): string[] {
  const where = `Deletion certificate ${cert.id}`;
  const i = cert.ledger?.leafIndex;
  const e = typeof i === "number" ? entries[i] : undefined;
  if (e === undefined) return [`${where}: its ledger entry ${String(i)} does not exist in the ledger of tenant ${cert.tenant} (${entries.length} entries)`];
  const problems: string[] = [];
  if (e.type === "tombstone") {
    const t = e.tombstone;
    const blocks = cert.what.blocks;
    const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, k) => x === b[k]);
    if (
      !same(
        t.blockIds,
        blocks.map((b) => b.blockId),
      )
    )
      problems.push(`${where}: block ids differ from the tombstone at ledger entry ${i}`);
    if (
      !same(
        t.headerHashes,
        blocks.map((b) => b.headerHash),
      )
    )
      problems.push(`${where}: header hashes differ from the tombstone at ledger entry ${i}`);
    if (
      !same(
        t.keyIds,
        blocks.map((b) => b.keyId),
      )
    )
      problems.push(`${where}: key ids differ from the tombstone at ledger entry ${i}`);
  } else if (e.type === "event" && e.event.kind === KEK_DESTROYED_EVENT) {
    if (cert.kind !== "kek-destroyed" || cert.what.keyIds[0] !== e.event.data.keyId)
      problems.push(`${where}: ledger entry ${i} destroys key ${String(e.event.data.keyId)}, not ${cert.what.keyIds.join(", ")}`);
  } else {
    problems.push(`${where}: ledger entry ${i} is a ${e.type} entry, not a tombstone or KEK destruction`);
  }
  const leaf = leafHash(canonicalJsonBytes(e));
  if (leaf.toString("hex") !== cert.ledger.leafHash)
    problems.push(`${where}: leaf hash ${cert.ledger.leafHash} differs from the ledger entry's ${leaf.toString("hex")}`);
  const size = cert.ledger.checkpoint.treeSize;
  if (!(Number.isSafeInteger(size) && size > (i as number) && size <= entries.length)) {
    problems.push(`${where}: checkpoint tree size ${size} does not cover entry ${i} within the ledger's ${entries.length} entries`);
    return problems;
  }
  const tree = new MerkleTree();
  for (let k = 0; k < size; k++) tree.append(leafHash(canonicalJsonBytes(entries[k])));
  const root = tree.root(size).toString("hex");
  if (root !== cert.ledger.checkpoint.rootHash)
    problems.push(`${where}: checkpoint root ${cert.ledger.checkpoint.rootHash} is not the ledger's root ${root} at tree size ${size}`);
  const proof = cert.ledger.inclusionProof.map((h) => Buffer.from(h, "hex"));
  if (!verifyInclusion(i as number, size, leaf, proof, Buffer.from(cert.ledger.checkpoint.rootHash, "hex")))
    problems.push(`${where}: the inclusion proof does not lead from entry ${i} to the checkpoint root`);
  return problems;
}

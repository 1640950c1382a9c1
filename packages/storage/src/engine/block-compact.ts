// Compaction: merges small sealed blocks of one stream and key period into one block, ledgered as replace-with-proof.

import { formatRfc3339Ns, MeshlogError, type LogRecord } from "@meshlog/core";
import { readBlockHeader, sortByTime } from "../block/block-codec.js";
import { parseBlockHeader } from "../block/block-format.js";
import { blockRefOf, type BlockRef } from "../index/catalog.js";
import { saveCatalog } from "../index/catalog-store.js";
import { quarantineFile } from "../index/quarantine-file.js";
import type { BlockRewriteDeps } from "./block-rewrite.js";
import { RetentionErrors } from "../retention/errors.js";
import { EngineErrors } from "./errors.js";
import { periodMonthOf } from "./sealer.js";

/** Tombstone reason of a compaction (not a deletion: no certificate, not listed as one). */
export const COMPACTION_REASON = "compaction";

/** The steps of a compaction, in order; a crash test kills the process at each. */
export type CompactionStep = "written" | "ledgered" | "tombstoned" | "swapped";

export interface CompactionRequest {
  /** Source blocks: same stream, retention class and key (period), none under legal hold; at least two. */
  readonly sourceIds: readonly string[];
  /** Id of the merged block (journalled by the caller before the call, so a crash can be resolved). */
  readonly newBlockId: string;
  readonly policy?: string;
  readonly principal?: string;
  /** Delay before the source files are removed, so queries that snapshotted them still read them (default 0). */
  readonly unlinkDelayMs?: number;
  /** Takes the removal of the source files instead (the caller runs it later; precedes unlinkDelayMs). */
  readonly deferUnlink?: (unlink: () => Promise<void>) => void;
  /** Called after each durable step (tests stop or kill the process there). */
  readonly onStep?: (step: CompactionStep) => void | Promise<void>;
}

export interface CompactedBlock {
  readonly newBlockId: string;
  readonly headerHash: string;
  readonly sourceIds: readonly string[];
  readonly records: number;
  /** File bytes of the sources and of the merged block. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Leaf index of the compaction tombstone. */
  readonly tombstoneIndex: number;
}

export interface CompactionDeps extends BlockRewriteDeps {
  readonly nowMs: () => number;
}

/** Why a group of blocks cannot be merged, or undefined when it can. */
export function compactionProblem(refs: readonly BlockRef[]): string | undefined {
  if (refs.length < 2) return "at least two blocks are needed";
  const first = refs[0] as BlockRef;
  for (const r of refs) {
    if (r.legalHold) return `block "${r.blockId}" is under legal hold`;
    if (r.streamId !== first.streamId) return `block "${r.blockId}" belongs to another stream`;
    if (r.retentionClass !== first.retentionClass) return `block "${r.blockId}" has retention class ${r.retentionClass}, not ${first.retentionClass}`;
    if (r.keyId !== first.keyId || periodMonthOf(r.maxTime) !== periodMonthOf(first.maxTime))
      return `block "${r.blockId}" is under key ${r.keyId} (period ${periodMonthOf(r.maxTime)}), not ${first.keyId}`;
  }
  return undefined;
}

/**
 * Merges `sourceIds` into one block `newBlockId`. Order (each step durable before the next): every source is
 * read in full (or nothing happens); the merged block is sealed under a new data key of the sources' KEK
 * period and class, written, and ledgered as a block entry chained to the stream's tail; one tombstone
 * (reason "compaction", the sources' ids, header hashes and key ids, `replacedBy` naming the merged block,
 * its header hash and the record count) is appended and checkpointed; then the catalog swaps sources for the
 * merged block in one synchronous step, so queries see every record exactly once; the source files go last.
 */
export async function compactBlocks(d: CompactionDeps, tenant: string, req: CompactionRequest): Promise<CompactedBlock> {
  const refs = req.sourceIds.map((id) => {
    const ref = d.catalog.block(id);
    if (ref === undefined) throw new MeshlogError(EngineErrors.STORAGE_BLOCK_UNKNOWN, `Cannot compact block "${id}" of tenant ${tenant}: no such block`);
    return ref;
  });
  const problem = compactionProblem(refs);
  if (problem !== undefined)
    throw new MeshlogError(
      problem.includes("legal hold") ? EngineErrors.STORAGE_LEGAL_HOLD : RetentionErrors.RETENTION_COMPACTION_INVALID,
      `Cannot compact blocks of tenant ${tenant}: ${problem}`,
    );
  const first = refs[0] as BlockRef;
  const records: LogRecord[] = [];
  let expected = 0;
  for (const ref of refs) {
    const entries = await d.reader.load(tenant, ref, [], () => true, undefined);
    if (entries.length !== ref.rows)
      throw new MeshlogError(
        EngineErrors.STORAGE_BLOCK_UNKNOWN,
        `Cannot compact block "${ref.blockId}" of tenant ${tenant}: read ${entries.length} of its ${ref.rows} records (missing, corrupt or its key destroyed)`,
      );
    expected += ref.rows;
    for (const e of entries) records.push(e.record);
  }
  const merged = sortByTime(records);
  if (merged.length !== expected) throw new Error(`BUG: merged ${merged.length} records of ${expected}`);
  const labels = d.catalog.stream(first.streamId)?.labels ?? {};
  const maxTime = (merged[merged.length - 1] as LogRecord).timestamp;
  const key = await d.keyRing.newDataKey(tenant, first.retentionClass, periodMonthOf(maxTime));
  let bytes: Buffer;
  try {
    bytes = await d.pool.seal(merged, {
      blockId: req.newBlockId,
      tenant,
      streamId: first.streamId,
      labels,
      keyId: key.keyId,
      dataKey: key.dataKey,
      wrappedKey: key.wrappedKey,
      retentionClass: first.retentionClass,
      legalHold: false,
      prevBlockHash: d.catalog.lastHeaderHash(first.streamId),
      createdAt: d.clock.nowNs(),
      walSeqMax: refs.reduce((m, r) => Math.max(m, r.walSeqMax), 0),
    });
  } finally {
    key.dataKey.fill(0);
  }
  const header = parseBlockHeader(bytes);
  await d.fs.writeFileAtomic(d.layout.blockFile(tenant, req.newBlockId), bytes);
  await req.onStep?.("written");
  const m = header.meta;
  await d.ledger.appendBlock({
    blockId: req.newBlockId,
    headerHash: header.headerHash,
    streamId: first.streamId,
    records: m.rows,
    minTime: m.minTime.toString(),
    maxTime: m.maxTime.toString(),
  });
  await req.onStep?.("ledgered");
  const index = await appendCompactionTombstone(d, refs, { blockId: req.newBlockId, headerHash: header.headerHash, rows: m.rows }, req);
  await req.onStep?.("tombstoned");
  swap(d, refs, blockRefOf(header, bytes.length), labels);
  await saveCatalog(d.fs, d.layout, d.catalog);
  await req.onStep?.("swapped");
  await removeFiles(d, tenant, refs, req.unlinkDelayMs ?? 0, req.deferUnlink);
  return {
    newBlockId: req.newBlockId,
    headerHash: header.headerHash,
    sourceIds: refs.map((r) => r.blockId),
    records: m.rows,
    bytesBefore: refs.reduce((n, r) => n + r.bytes, 0),
    bytesAfter: bytes.length,
    tombstoneIndex: index,
  };
}

async function appendCompactionTombstone(
  d: CompactionDeps,
  refs: readonly BlockRef[],
  merged: { blockId: string; headerHash: string; rows: number },
  req: { policy?: string; principal?: string },
): Promise<number> {
  const records = refs.reduce((n, r) => n + r.rows, 0);
  if (records !== merged.rows) throw new Error(`BUG: compaction sources hold ${records} records, the merged block ${merged.rows}`);
  const index = await d.ledger.appendTombstone({
    reason: COMPACTION_REASON,
    policy: (req.policy ?? `compaction: ${refs.length} small blocks merged into block ${merged.blockId} (${records} records)`).slice(0, 4096),
    blockIds: refs.map((r) => r.blockId),
    headerHashes: refs.map((r) => r.headerHash),
    keyIds: refs.map((r) => r.keyId),
    principal: req.principal ?? "retention-job",
    time: formatRfc3339Ns(d.clock.nowNs()),
    replacedBy: { blockIds: [merged.blockId], headerHashes: [merged.headerHash], records },
  });
  await d.ledger.checkpoint();
  return index;
}

/** Sources out, merged block in: one synchronous step (no await), so a query sees either all sources or the merged block. */
function swap(d: CompactionDeps, sources: readonly BlockRef[], merged: BlockRef | undefined, labels: Record<string, string>): void {
  for (const r of sources) d.catalog.remove(r.blockId);
  if (merged !== undefined && d.catalog.block(merged.blockId) === undefined) d.catalog.add(merged, labels);
}

async function removeFiles(
  d: CompactionDeps,
  tenant: string,
  refs: readonly BlockRef[],
  delayMs: number,
  defer?: (unlink: () => Promise<void>) => void,
): Promise<void> {
  const unlink = async (): Promise<void> => {
    for (const r of refs) {
      d.reader.forget(tenant, r.blockId);
      const file = d.layout.blockFile(tenant, r.blockId);
      if ((await d.fs.stat(file)) !== undefined) await d.fs.unlink(file);
    }
    await d.fs.syncDir(d.layout.blocksDir(tenant));
  };
  // The sources are tombstoned: if the process stops before they are removed, the next open removes them (tenant recovery).
  if (defer !== undefined) return defer(unlink);
  if (delayMs <= 0) return unlink();
  const t = setTimeout(() => void unlink().catch(() => undefined), delayMs);
  t.unref();
}

/** A compaction as journalled before it starts (retention/block-compactor.ts). */
export interface CompactionPlan {
  readonly sourceIds: readonly string[];
  readonly sourceHashes: readonly string[];
  readonly newBlockId: string;
  readonly policy?: string;
  readonly principal?: string;
}

export type CompactionRecovery = "finished" | "rolled-forward" | "rolled-back" | "not-started";

/**
 * Resolves a compaction interrupted by a crash (run at start, alone). After its tombstone: finish the swap
 * (the merged block is served, sources removed). Merged block ledgered but no tombstone: roll forward
 * (tombstone, swap), unless a source is gone, then the merged block is tombstoned as a rollback. Merged block
 * not ledgered: it is set aside in quarantine and the stream's chain goes on from its last ledgered block.
 */
export async function recoverCompaction(d: CompactionDeps, tenant: string, plan: CompactionPlan): Promise<CompactionRecovery> {
  const file = d.layout.blockFile(tenant, plan.newBlockId);
  const exists = (await d.fs.stat(file)) !== undefined;
  const header = exists ? await readBlockHeader(d.fs, file).catch(() => undefined) : undefined;
  const tombstoned = d.ledger.tombstonedBlockIds();
  const ledgered = header !== undefined && d.ledger.blockHeaderHashes().has(header.headerHash);
  const sources = plan.sourceIds.map((id) => d.catalog.block(id)).filter((r): r is BlockRef => r !== undefined);
  if (compactionTombstoned(d.ledger.raw, plan, tombstoned) && !tombstoned.has(plan.newBlockId)) {
    // The tombstone is durable: the merged block is authoritative.
    if (header !== undefined) swap(d, sources, blockRefOf(header, (await d.fs.stat(file))?.size ?? 0), header.meta.labels);
    else swap(d, sources, undefined, {});
    await saveCatalog(d.fs, d.layout, d.catalog);
    await removeFiles(d, tenant, sources, 0);
    return "finished";
  }
  if (ledgered && header !== undefined) {
    const complete = sources.length === plan.sourceIds.length && sources.every((r, i) => r.headerHash === plan.sourceHashes[i]);
    if (complete && sources.reduce((n, r) => n + r.rows, 0) === header.meta.rows) {
      await appendCompactionTombstone(d, sources, { blockId: plan.newBlockId, headerHash: header.headerHash, rows: header.meta.rows }, plan);
      swap(d, sources, blockRefOf(header, (await d.fs.stat(file))?.size ?? 0), header.meta.labels);
      await saveCatalog(d.fs, d.layout, d.catalog);
      await removeFiles(d, tenant, sources, 0);
      return "rolled-forward";
    }
    // A source went away meanwhile (quarantined): the merged copy would duplicate the rest; withdraw it.
    const ref = d.catalog.block(plan.newBlockId) ?? blockRefOf(header, 0);
    await d.ledger.appendTombstone({
      reason: `${COMPACTION_REASON}-rollback`,
      policy: `merged block of an interrupted compaction withdrawn: its sources changed before the swap`,
      blockIds: [plan.newBlockId],
      headerHashes: [header.headerHash],
      keyIds: [ref.keyId],
      principal: plan.principal ?? "retention-job",
      time: formatRfc3339Ns(d.clock.nowNs()),
    });
    await d.ledger.checkpoint();
    d.catalog.remove(plan.newBlockId);
    await saveCatalog(d.fs, d.layout, d.catalog);
    await removeFiles(d, tenant, [ref], 0);
    return "rolled-back";
  }
  // Not ledgered: the merged block never existed for the ledger. Set its file aside and re-anchor the chain.
  const streamId = header?.meta.streamId ?? sources[0]?.streamId;
  if (d.catalog.block(plan.newBlockId) !== undefined) d.catalog.remove(plan.newBlockId);
  if (exists)
    await quarantineFile(d.fs, d.layout.blocksDir(tenant), `${plan.newBlockId}.blk`, d.layout.quarantineDir(tenant), "orphan", d.nowMs()).catch(
      () => undefined,
    );
  if (streamId !== undefined) {
    const last = lastLedgerHashOf(d.ledger.raw, streamId);
    if (last !== undefined && last !== d.catalog.lastHeaderHash(streamId)) d.catalog.setTailHash(streamId, last);
  }
  await saveCatalog(d.fs, d.layout, d.catalog);
  return "not-started";
}

/**
 * Sets each stream's chain tail (the hash its next block chains to) to its last block in the ledger, where
 * they differ: a block file written but never ledgered (a seal or rewrite interrupted between the two) is
 * quarantined at open, but a catalog rebuilt from block headers may have taken it as the tail. Verify checks
 * exactly this link. Resolves with the number of streams re-anchored (the catalog is saved when any).
 */
export async function alignChainTails(d: Pick<CompactionDeps, "fs" | "layout" | "catalog" | "ledger">): Promise<number> {
  const last = new Map<string, string>();
  for (const b of ledgerBlocksOf(d.ledger.raw)) last.set(b.streamId, b.headerHash);
  let fixed = 0;
  for (const s of [...d.catalog.streams()]) {
    const want = last.get(s.id);
    if (want !== undefined && want !== d.catalog.lastHeaderHash(s.id)) {
      d.catalog.setTailHash(s.id, want);
      fixed++;
    }
  }
  if (fixed > 0) await saveCatalog(d.fs, d.layout, d.catalog);
  return fixed;
}

/** Header hash of the last block entry of a stream in a ledger (ledger/ledger.ts Ledger or a test MemoryLedger). */
function lastLedgerHashOf(raw: unknown, streamId: string): string | undefined {
  let last: string | undefined;
  for (const b of ledgerBlocksOf(raw)) if (b.streamId === streamId) last = b.headerHash;
  return last;
}

/** True when the ledger holds the plan's compaction tombstone (its sources replaced by its merged block). */
function compactionTombstoned(raw: unknown, plan: CompactionPlan, tombstoned: ReadonlySet<string>): boolean {
  const r = raw as { entries?: unknown };
  if (typeof r.entries !== "function") return plan.sourceIds.some((id) => tombstoned.has(id)); // test ledgers keep no tombstone bodies
  const all = (r.entries as () => { type: string; tombstone?: { reason: string; replacedBy?: { blockIds: readonly string[] } } }[]).call(raw);
  return all.some(
    (e) => e.type === "tombstone" && e.tombstone?.reason === COMPACTION_REASON && e.tombstone.replacedBy?.blockIds.includes(plan.newBlockId) === true,
  );
}

/** Block entries of a ledger in leaf order. */
function ledgerBlocksOf(raw: unknown): { streamId: string; headerHash: string }[] {
  const r = raw as { entries?: unknown };
  if (typeof r.entries === "function") {
    const all = (r.entries as () => { type: string; block?: { streamId: string; headerHash: string } }[]).call(raw);
    return all.flatMap((e) => (e.type === "block" && e.block !== undefined ? [e.block] : []));
  }
  return Array.isArray(r.entries) ? (r.entries as { streamId: string; headerHash: string }[]) : [];
}

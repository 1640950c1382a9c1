// Rewrites sealed blocks without selected records (deletion requests): seal replacements, tombstone the originals.

import { formatRfc3339Ns, MeshlogError, type Clock, type LogRecord } from "@meshlog/core";
import { sortByTime } from "../block/block-codec.js";
import { parseBlockHeader } from "../block/block-format.js";
import type { DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { blockRefOf, type BlockRef, type TenantCatalog } from "../index/catalog.js";
import { saveCatalog } from "../index/catalog-store.js";
import type { BlockReader } from "./block-reader.js";
import { EngineErrors } from "./errors.js";
import type { SealPool } from "./seal-pool.js";
import { periodMonthOf } from "./sealer.js";
import type { BlockKeyRing, BlockLedger } from "./security-ports.js";

export interface BlockRewriteDeps {
  readonly fs: FileSystem;
  readonly layout: DataLayout;
  readonly clock: Clock;
  readonly pool: SealPool;
  readonly keyRing: BlockKeyRing;
  readonly reader: BlockReader;
  readonly catalog: TenantCatalog;
  readonly ledger: BlockLedger;
}

export interface BlockReplacement {
  readonly oldBlockId: string;
  /** Absent when every record of the block was dropped. */
  readonly newBlockId?: string;
  readonly dropped: number;
  readonly kept: number;
}

/**
 * Replaces `blockIds` of a tenant by copies without the records `drop` selects. Replacement i is sealed
 * under `newBlockIds[i]` (chosen by the caller, who journals them first so an interrupted rewrite can be
 * rolled back), keeps the original's retention class, written and ledgered; then one tombstone covers the
 * originals (checkpointed), and the catalog swaps originals for replacements in one synchronous step, so
 * queries see every record exactly once. Blocks without a dropped record are left alone. A block that
 * cannot be read in full aborts the rewrite before anything is tombstoned.
 */
export async function rewriteBlocks(
  d: BlockRewriteDeps,
  tenant: string,
  blockIds: readonly string[],
  newBlockIds: readonly string[],
  drop: (r: LogRecord, ref: BlockRef) => boolean,
  tombstone: (summary: readonly BlockReplacement[]) => { reason: string; policy?: string; principal?: string },
): Promise<{ index: number; replacements: BlockReplacement[] }> {
  const replacements: BlockReplacement[] = [];
  const olds: BlockRef[] = [];
  const news: { ref: BlockRef; labels: Record<string, string> }[] = [];
  const tails = new Map<string, string>();
  for (let i = 0; i < blockIds.length; i++) {
    const id = blockIds[i] as string;
    const ref = d.catalog.block(id);
    if (ref === undefined) throw new MeshlogError(EngineErrors.STORAGE_BLOCK_UNKNOWN, `Cannot rewrite block "${id}" of tenant ${tenant}: no such block`);
    if (ref.legalHold) throw new MeshlogError(EngineErrors.STORAGE_LEGAL_HOLD, `Cannot rewrite block "${id}" of tenant ${tenant}: it is under legal hold`);
    const entries = await d.reader.load(tenant, ref, [], () => true, undefined);
    if (entries.length !== ref.rows)
      throw new MeshlogError(
        EngineErrors.STORAGE_BLOCK_UNKNOWN,
        `Cannot rewrite block "${id}" of tenant ${tenant}: read ${entries.length} of its ${ref.rows} records (missing, corrupt or its key destroyed)`,
      );
    const kept = sortByTime(entries.map((e) => e.record).filter((r) => !drop(r, ref)));
    if (kept.length === ref.rows) continue;
    olds.push(ref);
    if (kept.length === 0) {
      replacements.push({ oldBlockId: id, dropped: ref.rows, kept: 0 });
      continue;
    }
    const newId = newBlockIds[i];
    if (newId === undefined) throw new Error(`BUG: no new block id planned for block ${id}`);
    const labels = d.catalog.stream(ref.streamId)?.labels ?? {};
    const maxTime = (kept[kept.length - 1] as LogRecord).timestamp;
    const key = await d.keyRing.newDataKey(tenant, ref.retentionClass, periodMonthOf(maxTime));
    const bytes = await d.pool.seal(kept, {
      blockId: newId,
      tenant,
      streamId: ref.streamId,
      labels,
      keyId: key.keyId,
      dataKey: key.dataKey,
      wrappedKey: key.wrappedKey,
      retentionClass: ref.retentionClass,
      legalHold: false,
      prevBlockHash: tails.get(ref.streamId) ?? d.catalog.lastHeaderHash(ref.streamId),
      createdAt: d.clock.nowNs(),
      walSeqMax: ref.walSeqMax,
    });
    key.dataKey.fill(0);
    const header = parseBlockHeader(bytes);
    await d.fs.writeFileAtomic(d.layout.blockFile(tenant, newId), bytes);
    const m = header.meta;
    await d.ledger.appendBlock({
      blockId: newId,
      headerHash: header.headerHash,
      streamId: ref.streamId,
      records: m.rows,
      minTime: m.minTime.toString(),
      maxTime: m.maxTime.toString(),
    });
    tails.set(ref.streamId, header.headerHash);
    news.push({ ref: blockRefOf(header, bytes.length), labels });
    replacements.push({ oldBlockId: id, newBlockId: newId, dropped: ref.rows - kept.length, kept: kept.length });
  }
  if (olds.length === 0) return { index: -1, replacements };
  const index = await d.ledger.appendTombstone({
    ...tombstone(replacements),
    blockIds: olds.map((r) => r.blockId),
    headerHashes: olds.map((r) => r.headerHash),
    keyIds: olds.map((r) => r.keyId),
    time: formatRfc3339Ns(d.clock.nowNs()),
  });
  await d.ledger.checkpoint();
  for (const r of olds) d.catalog.remove(r.blockId);
  for (const n of news) d.catalog.add(n.ref, n.labels);
  await saveCatalog(d.fs, d.layout, d.catalog);
  for (const r of olds) await d.fs.unlink(d.layout.blockFile(tenant, r.blockId));
  await d.fs.syncDir(d.layout.blocksDir(tenant));
  return { index, replacements };
}

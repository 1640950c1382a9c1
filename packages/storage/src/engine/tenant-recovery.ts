// Open-time repair of a tenant: quarantine blocks missing from the ledger, finish interrupted deletions.

import type { Logger } from "@meshlog/core";
import type { DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import type { TenantCatalog } from "../index/catalog.js";
import { saveCatalog } from "../index/catalog-store.js";
import { quarantineFile } from "../index/quarantine-file.js";
import { alignChainTails } from "./block-compact.js";
import type { BlockLedger } from "./security-ports.js";

export interface RecoveryDeps {
  readonly fs: FileSystem;
  readonly layout: DataLayout;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

/**
 * Reconciles a tenant's catalog with its ledger. A block whose header hash is not in the ledger comes from
 * a seal interrupted between writing the file and the ledger append (its records are still in the WAL): it
 * is quarantined, and the streams whose chain tail it had become chain again to their last ledgered block (so
 * the next seal links to what verify can see). A block covered by a tombstone whose removal was interrupted is
 * removed. Returns the quarantined files with a message each.
 */
export async function recoverTenant(
  d: RecoveryDeps,
  tenant: string,
  catalog: TenantCatalog,
  ledger: BlockLedger,
): Promise<{ file: string; message: string }[]> {
  const quarantined: { file: string; message: string }[] = [];
  const known = ledger.blockHeaderHashes();
  let changed = false;
  for (const b of [...catalog.blocks()]) {
    if (known.has(b.headerHash)) continue;
    const message = `Block "${b.blockId}" of tenant ${tenant} is not in the ledger (unfinished seal); moved to quarantine`;
    d.logger.warn("orphan block quarantined", { tenant, block: b.blockId });
    catalog.remove(b.blockId, { keepFloor: true });
    await quarantineFile(d.fs, d.layout.blocksDir(tenant), `${b.blockId}.blk`, d.layout.quarantineDir(tenant), "orphan", d.nowMs());
    quarantined.push({ file: `${b.blockId}.blk`, message });
    changed = true;
  }
  const gone = ledger.tombstonedBlockIds();
  const unfinished = [...catalog.blocks()].filter((b) => gone.has(b.blockId));
  for (const b of unfinished) {
    catalog.remove(b.blockId);
    const file = d.layout.blockFile(tenant, b.blockId);
    if ((await d.fs.stat(file)) !== undefined) await d.fs.unlink(file);
  }
  if (unfinished.length > 0) {
    await d.fs.syncDir(d.layout.blocksDir(tenant));
    changed = true;
  }
  if (changed) await saveCatalog(d.fs, d.layout, catalog);
  if (quarantined.length > 0) await alignChainTails({ fs: d.fs, layout: d.layout, catalog, ledger });
  return quarantined;
}

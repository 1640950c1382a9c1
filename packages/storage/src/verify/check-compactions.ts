// Verify: every compaction tombstone names ledgered replacement blocks holding exactly the records of its sources.

import type { LedgerEntry } from "../ledger/ledger-format.js";

export interface CompactionProblem {
  /** compaction-replacement-missing or compaction-count-mismatch. */
  readonly kind: string;
  readonly block?: string;
  readonly message: string;
}

/**
 * Checks the compaction tombstones (reason "compaction") of one tenant's verified ledger entries: each names
 * its replacement blocks (`replacedBy`), which must be block entries appended before the tombstone with the
 * named header hashes; the sources' record counts (from their block entries, with the header hashes the
 * tombstone names) must add up to `replacedBy.records`, and so must the replacements'. Whether the files of
 * the replacements are present (or tombstoned later) is the general block-missing check.
 */
export function checkCompactions(tenant: string, entries: readonly LedgerEntry[]): CompactionProblem[] {
  const problems: CompactionProblem[] = [];
  const blocks = new Map<string, { headerHash: string; records: number; index: number }>();
  for (const e of entries) {
    if (e.type === "block") {
      blocks.set(e.block.blockId, { headerHash: e.block.headerHash, records: e.block.records, index: e.index });
      continue;
    }
    if (e.type !== "tombstone" || e.tombstone.reason !== "compaction") continue;
    const t = e.tombstone;
    const where = `Compaction tombstone (entry ${e.index}) of tenant ${tenant}`;
    const r = t.replacedBy;
    if (r === undefined) {
      problems.push({ kind: "compaction-replacement-missing", message: `${where} names no replacement block (replacedBy is missing)` });
      continue;
    }
    let sources = 0;
    t.blockIds.forEach((id, i) => {
      const b = blocks.get(id);
      if (b === undefined || b.headerHash !== t.headerHashes[i])
        problems.push({
          kind: "compaction-count-mismatch",
          block: id,
          message: `${where}: source block "${id}" with header hash ${t.headerHashes[i]} is not in the ledger`,
        });
      else sources += b.records;
    });
    let replaced = 0;
    r.blockIds.forEach((id, i) => {
      const b = blocks.get(id);
      if (b === undefined || b.headerHash !== r.headerHashes[i] || b.index > e.index)
        problems.push({
          kind: "compaction-replacement-missing",
          block: id,
          message: `${where}: replacement block "${id}" with header hash ${r.headerHashes[i]} is not recorded in the ledger before the tombstone`,
        });
      else replaced += b.records;
    });
    if (sources !== r.records || replaced !== r.records)
      problems.push({
        kind: "compaction-count-mismatch",
        message: `${where}: the sources hold ${sources} records and the replacements ${replaced}, the tombstone says ${r.records}`,
      });
  }
  return problems;
}

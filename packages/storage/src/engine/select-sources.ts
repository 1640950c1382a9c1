// Builds the ordered sources of a select: catalogued blocks (pruned by time) and head buffers of each stream.

import type { LogRecord } from "@meshlog/core";
import type { SelectRequest, SelectStats, StoredEntry } from "../contract.js";
import type { Head } from "../head/head.js";
import type { TenantCatalog } from "../index/catalog.js";
import type { BlockReader } from "./block-reader.js";
import type { EntrySource } from "./block-source.js";

/**
 * Snapshots, synchronously, the blocks and head buffers that may hold records of the request, so a
 * concurrent seal can neither hide nor duplicate records. Blocks outside the time range are counted in
 * `blocksPrunedByTime`; bloom pruning happens when a block source is loaded.
 */
export function selectSources(req: SelectRequest, catalog: TenantCatalog, head: Head, reader: BlockReader, stats: SelectStats | undefined): EntrySource[] {
  const substrings = req.requiredSubstrings ?? [];
  const sources: EntrySource[] = [];
  const inRange = (r: LogRecord): boolean => r.timestamp >= req.start && r.timestamp < req.end;
  for (const id of new Set(req.streamIds)) {
    const s = catalog.stream(id);
    if (s === undefined) continue;
    for (const b of s.blocks) {
      if (stats !== undefined) stats.blocksTotal++;
      if (b.maxTime < req.start || b.minTime >= req.end) {
        if (stats !== undefined) stats.blocksPrunedByTime++;
        continue;
      }
      sources.push({ minTime: b.minTime, maxTime: b.maxTime, load: () => reader.load(req.tenant, b, substrings, inRange, stats) });
    }
    for (const hb of head.buffersOf(req.tenant, id)) {
      if (hb.count === 0 || hb.maxTime < req.start || hb.minTime >= req.end) continue;
      const snapshot = hb.snapshot();
      sources.push({
        minTime: hb.minTime,
        maxTime: hb.maxTime,
        load: async () => {
          const view = snapshot();
          if (stats !== undefined) stats.headRecordsScanned += view.length;
          const out: StoredEntry[] = [];
          for (const record of view) if (inRange(record)) out.push({ streamId: id, record });
          return out;
        },
      });
    }
  }
  return sources;
}

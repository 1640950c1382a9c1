// Loads a tenant catalog from its file, or rebuilds it from block headers when missing, corrupt or stale.

import { silentLogger, type Logger } from "@meshlog/core";
import { readBlockHeader } from "../block/block-codec.js";
import type { BlockHeader } from "../block/block-format.js";
import { parseBlockFileName, type DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { blockRefOf, TenantCatalog } from "./catalog.js";
import { quarantineFile } from "./quarantine-file.js";

export interface CatalogLoad {
  readonly catalog: TenantCatalog;
  /** Why the catalog was rebuilt from block headers, or undefined when the file was used as is. */
  readonly rebuiltBecause: string | undefined;
  /** Block files that could not be read and were quarantined. */
  readonly quarantined: { file: string; message: string }[];
}

type Entry = { h: BlockHeader; size: number };

const byCreation = (a: Entry, b: Entry): number =>
  a.h.meta.createdAt < b.h.meta.createdAt ? -1 : a.h.meta.createdAt > b.h.meta.createdAt ? 1 : a.h.meta.blockId < b.h.meta.blockId ? -1 : 1;

/**
 * Orders blocks of each stream along their prevBlockHash chain: blocks sealed in the same millisecond have
 * random id suffixes, so creation time alone cannot order them. Chain starts (a predecessor that is not present)
 * are taken in creation order; blocks left over by a broken chain follow in creation order.
 */
function chainOrder(headers: Entry[]): Entry[] {
  const byStream = new Map<string, Entry[]>();
  for (const e of headers) {
    const list = byStream.get(e.h.meta.streamId) ?? [];
    list.push(e);
    byStream.set(e.h.meta.streamId, list);
  }
  const out: Entry[] = [];
  for (const list of byStream.values()) {
    const present = new Set(list.map((e) => e.h.headerHash));
    const next = new Map<string, Entry[]>();
    for (const e of list) {
      const succ = next.get(e.h.meta.prevBlockHash) ?? [];
      succ.push(e);
      next.set(e.h.meta.prevBlockHash, succ);
    }
    const placed = new Set<Entry>();
    const walk = (e: Entry): void => {
      for (let cur: Entry | undefined = e; cur !== undefined && !placed.has(cur);) {
        placed.add(cur);
        out.push(cur);
        cur = (next.get(cur.h.headerHash) ?? []).filter((x) => !placed.has(x)).sort(byCreation)[0];
      }
    };
    for (const root of list.filter((e) => !present.has(e.h.meta.prevBlockHash)).sort(byCreation)) walk(root);
    for (const rest of list.filter((e) => !placed.has(e)).sort(byCreation)) walk(rest);
  }
  return out;
}

/**
 * Opens the catalog of `tenant`. The file is trusted only when it decodes, passes its CRC and lists
 * exactly the block files present; otherwise every block header is read (unreadable blocks are moved to
 * quarantine and reported) and a fresh catalog is written.
 */
export async function loadCatalog(
  fs: FileSystem,
  layout: DataLayout,
  tenant: string,
  opts: { logger?: Logger; nowMs?: () => number } = {},
): Promise<CatalogLoad> {
  const logger = opts.logger ?? silentLogger;
  const nowMs = opts.nowMs ?? Date.now;
  const blocksDir = layout.blocksDir(tenant);
  await fs.mkdirp(blocksDir);
  const names = (await fs.readdir(blocksDir)).filter((n) => parseBlockFileName(n) !== undefined);
  const ids = new Set(names.map((n) => parseBlockFileName(n) as string));
  let reason: string | undefined;
  let previous: TenantCatalog | undefined;
  const file = layout.catalogFile(tenant);
  if ((await fs.stat(file)) === undefined) reason = "catalog file is missing";
  else {
    try {
      const c = TenantCatalog.decode(await fs.readFile(file), tenant);
      previous = c;
      const listed = new Set([...c.blocks()].map((b) => b.blockId));
      const same = listed.size === ids.size && [...ids].every((id) => listed.has(id));
      if (same) return { catalog: c, rebuiltBecause: undefined, quarantined: [] };
      reason = `catalog lists ${listed.size} blocks but ${ids.size} block files exist`;
    } catch (e) {
      reason = `catalog file is corrupt: ${(e as Error).message}`;
    }
  }
  logger.warn("rebuilding catalog from block headers", { tenant, reason });
  const quarantined: { file: string; message: string }[] = [];
  const headers: { h: BlockHeader; size: number }[] = [];
  for (const name of names.sort()) {
    const path = fs.join(blocksDir, name);
    try {
      const h = await readBlockHeader(fs, path);
      if (h.meta.blockId !== parseBlockFileName(name) || h.meta.tenant !== tenant) {
        throw new Error(`header names block ${h.meta.blockId} of tenant ${h.meta.tenant}`);
      }
      headers.push({ h, size: (await fs.stat(path))?.size ?? 0 });
    } catch (e) {
      const message = `Cannot read block "${name}" of tenant ${tenant}: ${(e as Error).message}`;
      logger.error("quarantining unreadable block", { tenant, file: name, error: message });
      await quarantineFile(fs, blocksDir, name, layout.quarantineDir(tenant), "corrupt", nowMs());
      quarantined.push({ file: name, message });
    }
  }
  const catalog = new TenantCatalog(tenant);
  for (const { h, size } of chainOrder(headers)) catalog.add(blockRefOf(h, size), h.meta.labels);
  // Keep the sealed floors of deleted blocks from a readable (if stale) catalog, so WAL replay cannot resurrect them.
  // Likewise keep a deleted tail hash (one no present block is or chains to), so new blocks continue the chain.
  const present = new Set(headers.map((x) => x.h.headerHash));
  const chained = new Set(headers.map((x) => x.h.meta.prevBlockHash));
  for (const s of previous?.streams() ?? []) {
    if ((s.sealedFloor ?? 0) > 0) {
      catalog.ensureStream(s.id, s.labels);
      catalog.raiseSealedFloor(s.id, s.sealedFloor ?? 0);
    }
    if (s.tailHash !== undefined && !present.has(s.tailHash) && !chained.has(s.tailHash)) {
      catalog.ensureStream(s.id, s.labels);
      catalog.setTailHash(s.id, s.tailHash);
    }
  }
  await saveCatalog(fs, layout, catalog);
  return { catalog, rebuiltBecause: reason, quarantined };
}

export async function saveCatalog(fs: FileSystem, layout: DataLayout, catalog: TenantCatalog): Promise<void> {
  await fs.mkdirp(layout.tenantDir(catalog.tenant));
  await fs.writeFileAtomic(layout.catalogFile(catalog.tenant), catalog.encode());
}

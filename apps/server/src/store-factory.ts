// Opens the configured log store: the embedded engine on the data folder (DESIGN §3).

import type { Logger } from "@meshlog/core";
import { EmbeddedStore, parseMasterKey, type EmbeddedStoreOptions, type LogStore } from "@meshlog/storage";
import type { ServerConfig } from "./config/server-config.js";

export async function openStore(config: ServerConfig, dataDir: string, log: Logger, extra: Partial<EmbeddedStoreOptions> = {}): Promise<LogStore> {
  const masterKeyText = process.env.MESHLOG_MASTER_KEY;
  const store = await EmbeddedStore.open({
    dataDir,
    logger: log,
    sealMaxBytes: config.storage.sealMaxBytes,
    sealMaxAgeMs: config.storage.sealMaxAgeSeconds * 1000,
    maxHeadBytes: config.storage.maxHeadBytes,
    blockCacheBytes: config.storage.blockCacheBytes,
    scanWorkers: config.storage.scanWorkers,
    ...(masterKeyText !== undefined && masterKeyText !== "" ? { masterKey: parseMasterKey(masterKeyText) } : {}),
    ...extra,
  });
  const report = store.openReport();
  if (report.wal.problems.length > 0 || report.catalogsRebuilt.length > 0 || report.quarantined.length > 0) {
    log.warn("data folder repaired at open", { wal: report.wal, catalogsRebuilt: report.catalogsRebuilt, quarantined: report.quarantined });
  }
  return store;
}

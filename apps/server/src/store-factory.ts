// Opens the configured log store (the embedded engine by default).

import type { Logger } from "@meshlog/core";
import { MemoryStore, type LogStore } from "@meshlog/storage";
import type { ServerConfig } from "./config/server-config.js";

export async function openStore(_config: ServerConfig, _dataDir: string, _log: Logger): Promise<LogStore> {
  return new MemoryStore();
}

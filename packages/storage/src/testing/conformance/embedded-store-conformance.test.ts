// Runs the LogStore conformance suite against the embedded engine on a real temp folder: with default block
// sizes (reads mostly from the head) and with tiny blocks (reads merge many sealed blocks and the head).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedStore, type EmbeddedStoreOptions } from "../../engine/embedded-store.js";
import type { MakeStore } from "./conformance-kit.js";
import { runLogStoreConformance } from "./log-store-conformance.js";

function embedded(extra: Partial<EmbeddedStoreOptions>): MakeStore {
  return async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "meshlog-conformance-"));
    const open = (): Promise<EmbeddedStore> => EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false, ...extra });
    return { store: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  };
}

await runLogStoreConformance("EmbeddedStore", embedded({}), { persistent: true });
await runLogStoreConformance("EmbeddedStore with 4 KiB blocks", embedded({ sealMaxBytes: 4096 }), { persistent: true });

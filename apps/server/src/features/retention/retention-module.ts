// Server module "retention": policies, holds, deletions, the periodic retention + compaction job and the free-disk-space ingest guard.

import { NodeFileSystem } from "@meshlog/storage";
import type { ServerModule } from "../../modules.js";
import { DiskSpaceGuard } from "./disk-space-guard.js";
import { managedStoreOf, RETENTION_SERVICE, RetentionService } from "./retention-service.js";

/** ctx.services key of the DiskSpaceGuard. */
export const DISK_GUARD_SERVICE = "retention.diskGuard";

export const retentionModule: ServerModule = {
  name: "retention",
  deps: [],
  async start(ctx) {
    const cfg = ctx.config.retention;
    const fs = new NodeFileSystem();
    const guard = new DiskSpaceGuard({ minFreeBytes: cfg.minFreeDiskBytes, dataDir: ctx.dataDir, freeBytes: () => fs.freeBytes(ctx.dataDir), log: ctx.log });
    ctx.services.set(DISK_GUARD_SERVICE, guard);
    const timers: NodeJS.Timeout[] = [];
    if (cfg.minFreeDiskBytes > 0) {
      await guard.sample();
      ctx.ingest.guard(() => guard.check());
      const t = setInterval(() => void guard.sample(), cfg.diskCheckSeconds * 1000);
      t.unref();
      timers.push(t);
    }
    const store = managedStoreOf(ctx.store);
    let service: RetentionService | undefined;
    let running: Promise<unknown> | undefined;
    if (store !== undefined) {
      service = await RetentionService.open({
        store,
        dataDir: ctx.dataDir,
        config: cfg,
        clock: ctx.clock,
        log: ctx.log,
        audit: ctx.audit,
        fs,
        targetBlockBytes: ctx.config.storage.sealMaxBytes,
      });
      ctx.services.set(RETENTION_SERVICE, service);
      if (cfg.enabled) {
        const tick = (): void => {
          if (running !== undefined || service?.enforcer.running === true) return;
          running = (service as RetentionService)
            .run()
            .catch((e: unknown) => ctx.log.error("retention run failed", { error: e as Error }))
            .finally(() => {
              running = undefined;
            });
        };
        const t = setInterval(tick, cfg.intervalSeconds * 1000);
        t.unref();
        timers.push(t);
        // A first run shortly after start: data that expired while the server was down goes without waiting an interval.
        const first = setTimeout(tick, Math.min(cfg.intervalSeconds * 1000, 5000));
        first.unref();
        timers.push(first);
      }
    } else ctx.log.warn("retention is not available: the store is not the embedded engine");
    return {
      async stop() {
        for (const t of timers) clearInterval(t);
        await running;
        // Compacted source files wait 30 s for running queries; remove them now, before the store closes.
        await service?.compactor.flushPendingUnlinks();
      },
    };
  },
};

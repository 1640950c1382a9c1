// Refuses ingest with STORAGE_DISK_FULL (507) while the data folder's filesystem is under its free-space threshold.

import { MeshlogError, type Logger } from "@meshlog/core";
import { StorageErrors } from "@meshlog/storage";

/**
 * Samples free space periodically (the ingest path is synchronous and must not stat the disk per request)
 * and throws from `check()` while the last sample is under the threshold. It never deletes anything:
 * unexpired data is not removed to make room.
 */
export class DiskSpaceGuard {
  readonly #minFree: number;
  readonly #freeBytes: () => Promise<number>;
  readonly #dataDir: string;
  readonly #log: Logger;
  #free: number | undefined;

  constructor(opts: { minFreeBytes: number; dataDir: string; freeBytes: () => Promise<number>; log: Logger }) {
    this.#minFree = opts.minFreeBytes;
    this.#freeBytes = opts.freeBytes;
    this.#dataDir = opts.dataDir;
    this.#log = opts.log;
  }

  /** Last sampled free bytes (undefined before the first sample). */
  get freeBytes(): number | undefined {
    return this.#free;
  }

  /** Takes a sample; a failing statfs keeps the previous sample and is logged. */
  async sample(): Promise<void> {
    try {
      const free = await this.#freeBytes();
      const wasLow = this.#low();
      this.#free = free;
      if (this.#low() !== wasLow) {
        if (this.#low())
          this.#log.error("free disk space under the threshold: refusing ingest", { dataDir: this.#dataDir, freeBytes: free, minFreeBytes: this.#minFree });
        else this.#log.info("free disk space back over the threshold: accepting ingest", { dataDir: this.#dataDir, freeBytes: free });
      }
    } catch (e) {
      this.#log.error("cannot read free disk space", { dataDir: this.#dataDir, error: e as Error });
    }
  }

  #low(): boolean {
    return this.#minFree > 0 && this.#free !== undefined && this.#free < this.#minFree;
  }

  /** Throws STORAGE_DISK_FULL while free space is under the threshold. */
  check(): void {
    if (!this.#low()) return;
    throw new MeshlogError(
      StorageErrors.STORAGE_DISK_FULL,
      `Cannot accept new data: the filesystem of the data folder has ${this.#free} bytes free, under the ${this.#minFree}-byte threshold (retention.minFreeDiskBytes); free space or add disk (expired data is deleted by retention, unexpired data never is)`,
      { details: { freeBytes: this.#free, minFreeBytes: this.#minFree } },
    );
  }
}

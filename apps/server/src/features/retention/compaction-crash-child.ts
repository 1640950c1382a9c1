// Child process of the compaction crash test: compacts a data folder, pausing after each durable step, until killed.

import { systemClock } from "@meshlog/core";
import { Compactor, EmbeddedStore, HoldStore, NodeFileSystem } from "@meshlog/storage";
import { compileSelector } from "./selector-compiler.js";

const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write("usage: compaction-crash-child DATA_DIR\n");
  process.exit(2);
}
const fs = new NodeFileSystem();
const store = await EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false });
const compactor = new Compactor({
  fs,
  dataDir,
  target: store,
  holds: await HoldStore.open(fs, dataDir, systemClock, compileSelector),
  clock: systemClock,
  targetBlockBytes: 4096,
  maxSpanMs: 365 * 86_400_000,
  onStep: async (tenant, step) => {
    process.stdout.write(`step ${tenant} ${step}\n`);
    await new Promise((r) => setTimeout(r, 250)); // the parent kills during this pause
  },
});
const report = await compactor.run();
process.stdout.write(`done ${report.merged}\n`);
await store.close();

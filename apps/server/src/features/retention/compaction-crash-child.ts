// Child process of the compaction crash test: compacts a data folder, pausing after each durable step, until killed.

import { EmbeddedStore } from "@meshlog/storage";
import { crashTestCompactor } from "./crash-test-kit.js";

const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write("usage: compaction-crash-child DATA_DIR\n");
  process.exit(2);
}
const store = await EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false });
const compactor = await crashTestCompactor(store, dataDir, async (tenant, step) => {
  process.stdout.write(`step ${tenant} ${step}\n`);
  await new Promise((r) => setTimeout(r, 250)); // the parent kills during this pause
});
const report = await compactor.run();
process.stdout.write(`done ${report.merged}\n`);
await store.close();

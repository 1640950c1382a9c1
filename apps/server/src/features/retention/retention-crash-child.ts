// Child process of the retention crash test: runs retention on a data folder, one block per batch, slowly, until killed.

import { systemClock } from "@meshlog/core";
import { CertificateStore, EmbeddedStore, HoldStore, NodeFileSystem, RetentionEnforcer, RetentionPolicies } from "@meshlog/storage";
import { compileSelector } from "./selector-compiler.js";

const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write("usage: retention-crash-child DATA_DIR\n");
  process.exit(2);
}
const fs = new NodeFileSystem();
const policies = new RetentionPolicies({ defaultDays: 90, auditWindowDays: 400 }, compileSelector);
const store = await EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false, retentionClassFor: (t, l) => policies.classFor(t, l) });
const enforcer = new RetentionEnforcer({
  target: store,
  policies,
  holds: await HoldStore.open(fs, dataDir, systemClock, compileSelector),
  certificates: new CertificateStore(fs, dataDir),
  clock: systemClock,
  batchSize: 1,
  onBatch: async (tenant, index) => {
    process.stdout.write(`batch ${tenant} ${index}\n`);
    await new Promise((r) => setTimeout(r, 15));
  },
});
const report = await enforcer.run();
process.stdout.write(`done ${report.deletedBlocks}\n`);
await store.close();

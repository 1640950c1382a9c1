// Crash test: a retention run killed with SIGKILL mid-way loses nothing, half-deletes nothing, and verify passes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { streamIdOf, systemClock, type LogRecord } from "@meshlog/core";
import { CertificateStore, EmbeddedStore, HoldStore, NodeFileSystem, RetentionEnforcer, RetentionPolicies, verifyDataDir } from "@meshlog/storage";
import { compileSelector } from "./selector-compiler.js";
import { testRecord } from "@meshlog/testkit";
import { runAndKill } from "./crash-test-kit.js";

const CHILD = fileURLToPath(new URL("./retention-crash-child.js", import.meta.url));
const OLD = BigInt(Date.UTC(2020, 0, 15)) * 1_000_000n;
const OLD_STREAMS = 12;

const rec = (service: string, ts: bigint, body: string): LogRecord => testRecord({ timestamp: ts, body, labels: { service } });

function parts(dataDir: string) {
  const fs = new NodeFileSystem();
  const policies = new RetentionPolicies({ defaultDays: 90, auditWindowDays: 400 }, compileSelector);
  return {
    fs,
    policies,
    open: () => EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false, retentionClassFor: (t, l) => policies.classFor(t, l) }),
  };
}

for (const killAfter of [1, 4, 9]) {
  test(`a retention run killed after ${killAfter} batch(es) is finished safely on restart`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "meshlog-retention-crash-"));
    try {
      const { fs, policies, open } = parts(dataDir);
      let store = await open();
      const now = BigInt(Date.now()) * 1_000_000n;
      const old: LogRecord[] = [];
      for (let i = 0; i < OLD_STREAMS; i++) for (let j = 0; j < 3; j++) old.push(rec(`old-${i}`, OLD + BigInt(j), `old ${i}.${j}`));
      await store.append("t1", [...old, rec("fresh-a", now, "fresh a"), rec("fresh-b", now, "fresh b")]);
      await store.flush();
      assert.equal([...(store.catalog("t1")?.blocks() ?? [])].length, OLD_STREAMS + 2);
      await store.close();

      const printed = await runAndKill(CHILD, dataDir, "batch ", killAfter);
      assert.ok(!printed.includes("done"), "the child was killed mid-run");

      // Reopen after the crash: whatever the kill interrupted is either finished (tombstoned) or untouched.
      store = await open();
      const ledger = (await store.ledger("t1")).raw as { entries(): { type: string; tombstone?: { blockIds: string[] } }[] };
      const tombstoned = new Set(ledger.entries().flatMap((e) => e.tombstone?.blockIds ?? []));
      assert.ok(tombstoned.size >= killAfter, `at least ${killAfter} batches were durable before the kill`);
      for (const b of store.catalog("t1")?.blocks() ?? []) assert.ok(!tombstoned.has(b.blockId), "no tombstoned block is still served");
      const onDisk = (await readdir(join(dataDir, "tenants", "t1", "blocks"))).filter((n) => n.endsWith(".blk"));
      assert.equal(onDisk.length, OLD_STREAMS + 2 - tombstoned.size, "every block is either on disk and served, or tombstoned");
      await store.close();
      assert.deepEqual((await verifyDataDir({ dataDir })).problems, [], "verify passes right after the crash");

      // Finish the run: everything expired goes, the fresh data stays, every tombstone gets its certificate.
      store = await open();
      const certificates = new CertificateStore(fs, dataDir);
      const enforcer = new RetentionEnforcer({
        target: store,
        policies,
        holds: await HoldStore.open(fs, dataDir, systemClock, compileSelector),
        certificates,
        clock: systemClock,
        batchSize: 1,
      });
      const report = await enforcer.run();
      assert.equal(report.deletedBlocks, OLD_STREAMS - tombstoned.size);
      const left = [...(store.catalog("t1")?.blocks() ?? [])];
      assert.deepEqual(left.map((b) => b.streamId).sort(), [streamIdOf("t1", { service: "fresh-a" }), streamIdOf("t1", { service: "fresh-b" })].sort());
      const bodies: string[] = [];
      for await (const batch of store.select({ tenant: "t1", streamIds: left.map((b) => b.streamId), start: 0n, end: now + 1n, direction: "forward" }))
        bodies.push(...batch.map((e) => e.record.body));
      assert.deepEqual(bodies.sort(), ["fresh a", "fresh b"]);
      const tombstones = ((await store.ledger("t1")).raw as { entries(): { type: string }[] }).entries().filter((e) => e.type === "tombstone").length;
      assert.ok(tombstones >= OLD_STREAMS);
      assert.equal((await certificates.list(["t1"])).filter((c) => c.kind === "retention").length, tombstones);
      await store.close();
      assert.deepEqual((await verifyDataDir({ dataDir })).problems, []);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}

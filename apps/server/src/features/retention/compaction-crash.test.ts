// Crash test: compaction killed with SIGKILL at several points loses and duplicates nothing, and verify passes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { streamIdOf, type LogRecord } from "@meshlog/core";
import { EmbeddedStore, verifyDataDir } from "@meshlog/storage";
import { testRecord } from "@meshlog/testkit";
import { crashTestCompactor, runAndKill } from "./crash-test-kit.js";

const CHILD = fileURLToPath(new URL("./compaction-crash-child.js", import.meta.url));
const T = BigInt(Date.UTC(2026, 0, 15)) * 1_000_000n;
const SERVICES = ["api", "web", "db"];
const BLOCKS_PER_STREAM = 4;

const rec = (service: string, ts: bigint, body: string): LogRecord => testRecord({ timestamp: ts, body, labels: { service } });

const open = (dataDir: string) => EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false });

async function bodies(store: EmbeddedStore): Promise<string[]> {
  const out: string[] = [];
  const ids = SERVICES.map((s) => streamIdOf("t1", { service: s }));
  for await (const b of store.select({ tenant: "t1", streamIds: ids, start: 0n, end: T * 2n, direction: "forward" })) out.push(...b.map((e) => e.record.body));
  return out.sort();
}

// Each merge has 4 steps (written, ledgered, tombstoned, swapped): kill after each step of the first merge and mid-second.
const OUTCOME: Record<number, string> = { 1: "not-started", 2: "rolled-forward", 3: "finished", 4: "finished", 6: "rolled-forward" };
for (const killAfter of [1, 2, 3, 4, 6]) {
  test(`compaction killed after ${killAfter} step(s) is resolved on restart: every record once, verify passes`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "meshlog-compaction-crash-"));
    try {
      let store = await open(dataDir);
      for (let b = 0; b < BLOCKS_PER_STREAM; b++) {
        await store.append(
          "t1",
          SERVICES.map((s) => rec(s, T + BigInt(b * 1000), `${s} ${b}`)),
        );
        await store.flush();
      }
      const expected = await bodies(store);
      assert.equal(expected.length, SERVICES.length * BLOCKS_PER_STREAM);
      await store.close();

      const printed = await runAndKill(CHILD, dataDir, "step ", killAfter);
      assert.ok(!printed.includes("done"), "the child was killed mid-run");

      store = await open(dataDir);
      const compactor = await crashTestCompactor(store, dataDir);
      const resumed = await compactor.resume();
      assert.equal(resumed.length, 1, "the interrupted merge was journalled and is resolved");
      assert.equal(resumed[0]?.outcome, OUTCOME[killAfter]);
      assert.deepEqual(await bodies(store), expected, "after resume: every record exactly once");
      await store.close();
      assert.deepEqual((await verifyDataDir({ dataDir })).problems, [], "verify passes after the crash");

      // Finish compacting: every stream ends as one block, still exact and verifiable.
      store = await open(dataDir);
      await (await crashTestCompactor(store, dataDir)).run();
      assert.equal([...(store.catalog("t1")?.blocks() ?? [])].length, SERVICES.length);
      assert.deepEqual(await bodies(store), expected);
      await store.append("t1", [rec("api", T + 99_000n, "api late")]);
      await store.close();
      assert.deepEqual((await verifyDataDir({ dataDir })).problems, []);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}

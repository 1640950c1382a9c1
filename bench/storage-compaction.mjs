#!/usr/bin/env node
// Compaction benchmark: a low-volume stream sealed into many tiny blocks, before vs after compaction: stored bytes, query time.
// Prints one JSON object. MESHLOG_BENCH_SCALE=N multiplies the block count (default 400 blocks of 25 lines).
import { mkdtemp, rm, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Compactor, EmbeddedStore, HoldStore, NodeFileSystem, verifyDataDir } from "../packages/storage/dist/index.js";
import { streamIdOf, systemClock } from "../packages/core/dist/index.js";
import { meshLine } from "./lib-mesh-lines.mjs";

const SCALE = Number(process.env.MESHLOG_BENCH_SCALE ?? "1");
const BLOCKS = Math.max(4, Math.round(400 * SCALE));
const LINES_PER_BLOCK = 25;
const SEAL_MAX_BYTES = 2 * 1024 * 1024;
const REPEAT = 5;

async function dirBytes(dir) {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return n;
}

const labels = { service: "billing", namespace: "prod", source: "native" };
const T0 = BigInt(Date.UTC(2026, 10, 1)) * 1_000_000n;
const dataDir = await mkdtemp(join(tmpdir(), "meshlog-bench-compaction-"));
try {
  const store = await EmbeddedStore.open({ dataDir, sealTimer: false, sealWorker: false, sealMaxBytes: SEAL_MAX_BYTES });
  let n = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const batch = [];
    for (let i = 0; i < LINES_PER_BLOCK; i++, n++) {
      const ts = T0 + BigInt(n) * 60_000_000_000n; // one line a minute: a quiet stream, one tiny block per seal
      const l = meshLine(Number(ts / 1_000_000n));
      batch.push({
        timestamp: ts,
        observedTimestamp: ts,
        severityNumber: 9,
        severityText: "INFO",
        body: l.body,
        attributes: {},
        resource: {},
        traceId: "",
        spanId: "",
        tenant: "t1",
        labels,
      });
    }
    await store.append("t1", batch);
    await store.flush();
  }
  const blocksDir = join(dataDir, "tenants", "t1", "blocks");
  const query = async () => {
    const t = process.hrtime.bigint();
    let rows = 0;
    for (let r = 0; r < REPEAT; r++)
      for await (const batch of store.select({ tenant: "t1", streamIds: [streamIdOf("t1", labels)], start: 0n, end: T0 * 2n, direction: "backward", limit: n }))
        rows += batch.length;
    return { ms: Number(process.hrtime.bigint() - t) / 1e6 / REPEAT, rows: rows / REPEAT };
  };
  const before = { blocks: store.catalog("t1").blockCount, blockBytes: await dirBytes(blocksDir), query: await query() };
  const fs = new NodeFileSystem();
  const compactor = new Compactor({
    fs,
    dataDir,
    target: store,
    holds: await HoldStore.open(fs, dataDir, systemClock, () => ({ matches: () => false, labelNames: [] })),
    clock: systemClock,
    targetBlockBytes: SEAL_MAX_BYTES,
    maxSpanMs: 365 * 86_400_000,
    maxBlocksPerRun: BLOCKS,
  });
  const t = process.hrtime.bigint();
  const report = await compactor.run();
  const compactMs = Number(process.hrtime.bigint() - t) / 1e6;
  const after = { blocks: store.catalog("t1").blockCount, blockBytes: await dirBytes(blocksDir), query: await query() };
  await store.close();
  const verify = await verifyDataDir({ dataDir });
  console.log(
    JSON.stringify({
      lines: n,
      blocksBefore: before.blocks,
      blocksAfter: after.blocks,
      blockBytesBefore: before.blockBytes,
      blockBytesAfter: after.blockBytes,
      storedBytesRatioAfterVsBefore: +(after.blockBytes / before.blockBytes).toFixed(3),
      fullQueryMsBefore: +before.query.ms.toFixed(1),
      fullQueryMsAfter: +after.query.ms.toFixed(1),
      querySpeedupAfterVsBefore: +(before.query.ms / after.query.ms).toFixed(2),
      rowsBefore: before.query.rows,
      rowsAfter: after.query.rows,
      compactionMs: +compactMs.toFixed(1),
      compactionLinesPerSecond: Math.round(n / (compactMs / 1000)),
      merged: report.merged,
      sourceBlocks: report.sourceBlocks,
      verifyOk: verify.ok,
    }),
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

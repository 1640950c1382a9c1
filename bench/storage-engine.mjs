#!/usr/bin/env node
// Storage engine benchmark: append rate, steady-state seal cost, stored bytes per line vs gzip -6, needle search vs full scan.
// Prints one JSON object. MESHLOG_BENCH_SCALE=N multiplies the line count (default 200 000 lines).
import { mkdtemp, rm, readdir, stat } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { EmbeddedStore, NodeFileSystem, emptySelectStats } from "../packages/storage/dist/index.js";
import { streamIdOf } from "../packages/core/dist/index.js";
import { meshLine } from "./lib-mesh-lines.mjs";
import { sealBlock, sortByTime } from "../packages/storage/dist/block/block-codec.js";
import { WalRecordWriter, decodeWalRecords } from "../packages/storage/dist/wal/wal-record-codec.js";
import { blockCipher } from "../packages/storage/dist/engine/block-cipher.js";

const SCALE = Number(process.env.MESHLOG_BENCH_SCALE ?? "1");
const LINES = Math.round(200_000 * SCALE);
const BATCH = 1000;
const IN_FLIGHT = 4;
const NEEDLE = "needle-7f3a9c1e0b5d";
const SCAN_NEEDLE = "~~~";
const WORD_NEEDLE = "Slow Query";
const ABSENT_NEEDLE = "needle-5e1c0d2b9a77";

async function dirBytes(dir) {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return n;
}

const T0 = BigInt(Date.UTC(2026, 10, 1)) * 1_000_000n;
const needleAt = Math.floor(LINES * 0.37);
const labelsCache = new Map();
const records = new Array(LINES);
const raw = [];
for (let i = 0; i < LINES; i++) {
  const ts = T0 + BigInt(i) * 5_000_000n; // 200 lines/s of event time
  const l = meshLine(Number(ts / 1_000_000n));
  if (i === needleAt) l.body = l.body.replace(/user-\d+|"-"|msg":"[^"]+/, (m) => `${m} ${NEEDLE}`);
  const key = `${l.service}/${l.source}`;
  let labels = labelsCache.get(key);
  if (labels === undefined) labelsCache.set(key, (labels = { service: l.service, namespace: "prod", source: l.source }));
  const sev = l.status >= 500 ? 17 : l.status >= 400 ? 13 : 9;
  records[i] = {
    timestamp: ts,
    observedTimestamp: ts + 2_000_000n,
    severityNumber: sev,
    severityText: "",
    body: l.body,
    attributes: {},
    resource: {},
    traceId: l.traceId,
    spanId: "",
    tenant: "bench",
    labels,
  };
  raw.push(l.body);
}
const rawText = raw.join("\n") + "\n";
const rawBytes = Buffer.byteLength(rawText);

const gz0 = performance.now();
const gzipBytes = gzipSync(rawText, { level: 6 }).length;
const gzipMs = performance.now() - gz0;

/**
 * Steady-state sealing on this thread, as a warm seal worker does it: blocks of 5000 lines of one stream,
 * WAL-encoded, decoded, sorted and sealed (columns, Merkle root, bloom, brotli, AES-GCM). One warm-up pass,
 * then one measured pass; process CPU per line (nothing else runs meanwhile).
 */
function sealSteady(blocks = 8, perBlock = 5000) {
  const open = new Map();
  const jobs = [];
  for (let i = 0; jobs.length < blocks; i++) {
    const ts = T0 + BigInt(i) * 5_000_000n;
    const l = meshLine(Number(ts / 1_000_000n));
    const key = `${l.service}/${l.source}`;
    let b = open.get(key);
    if (b === undefined) open.set(key, (b = { labels: { service: l.service, namespace: "prod", source: l.source }, w: new WalRecordWriter(), n: 0 }));
    const r = {
      timestamp: ts,
      observedTimestamp: ts + 2_000_000n,
      severityNumber: 9,
      severityText: "",
      body: l.body,
      attributes: {},
      resource: {},
      traceId: l.traceId,
      spanId: "",
    };
    b.w.record({ ...r, tenant: "bench", labels: b.labels });
    if (++b.n === perBlock) {
      jobs.push({ bytes: Buffer.from(b.w.view()), n: b.n, labels: b.labels });
      open.delete(key);
    }
  }
  const input = (labels) => ({
    blockId: "0",
    tenant: "bench",
    streamId: "s",
    labels,
    keyId: "k",
    dataKey: randomBytes(32),
    wrappedKey: randomBytes(40),
    retentionClass: "default",
    legalHold: false,
    prevBlockHash: "",
    createdAt: 1n,
    walSeqMax: 1,
  });
  const pass = () => {
    let bytes = 0;
    for (const j of jobs) bytes += sealBlock(sortByTime(decodeWalRecords(j.bytes, j.n, "bench", j.labels)), input(j.labels), blockCipher).bytes.length;
    return bytes;
  };
  pass();
  const c0 = process.cpuUsage();
  const bytes = pass();
  const c = process.cpuUsage(c0);
  const lines = blocks * perBlock;
  const cpu = (c.user + c.system) / 1e6;
  return {
    lines,
    cpuSeconds: +cpu.toFixed(3),
    microsecondsPerLine: +((cpu * 1e6) / lines).toFixed(2),
    linesPerCpuSecond: Math.round(lines / cpu),
    blockBytesPerLine: +(bytes / lines).toFixed(2),
  };
}

const dir = await mkdtemp(join(tmpdir(), "meshlog-bench-"));
try {
  const masterKey = randomBytes(32);
  const store = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false });
  const cpuSec = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const t0 = performance.now();
  const c0 = cpuSec();
  let next = 0;
  const worker = async () => {
    while (next < LINES) {
      const start = next;
      next += BATCH;
      const batch = records.slice(start, Math.min(start + BATCH, LINES));
      // At large scales sealing can fall behind: wait on backpressure as a client would.
      for (;;) {
        try {
          await store.append("bench", batch);
          break;
        } catch (e) {
          if (e?.code !== "STORAGE_BACKPRESSURE") throw e;
          await store.sealsIdle();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const appendSec = (performance.now() - t0) / 1000;
  const appendCpu = cpuSec() - c0;
  const f0 = performance.now();
  await store.flush();
  // The generated records are not needed any more; dropping them keeps garbage collection out of the read timings.
  records.fill(undefined);
  raw.length = 0;
  const flushSec = (performance.now() - f0) / 1000;
  const totalSec = (performance.now() - t0) / 1000;
  // Process CPU (all threads: seal workers included): steadier than wall time on a shared machine.
  const totalCpu = cpuSec() - c0;
  const tenantDir = join(dir, "tenants", "bench");
  const blockBytes = await dirBytes(join(tenantDir, "blocks"));
  const storedBytes = blockBytes + (await dirBytes(join(tenantDir, "ledger"))) + (await stat(join(tenantDir, "catalog.bin"))).size;
  const streamIds = [...labelsCache.values()].map((l) => streamIdOf("bench", l));
  const req = { tenant: "bench", streamIds, start: T0, end: T0 + BigInt(LINES) * 5_000_000n + 1n, direction: "forward" };
  const search = async (s, needle) => {
    const stats = emptySelectStats();
    const s0 = performance.now();
    let hits = 0;
    const probe = (needle ?? NEEDLE).toLowerCase();
    for await (const batch of s.select(needle !== undefined ? { ...req, requiredSubstrings: [needle] } : req, stats))
      for (const e of batch) if (e.record.body.toLowerCase().includes(probe)) hits++;
    return { seconds: (performance.now() - s0) / 1000, hits, stats };
  };
  // Each phase starts from a freshly opened store, so the decrypted-block cache is cold; the read path is
  // run once first (other needles) so that cold means "data not cached", not "code not yet compiled".
  const st = await store.stats("bench");
  await search(store, "warm-up-needle");
  await search(store, "~~");
  await search(store, "user-1");
  await store.close();
  const reopen = () => EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false, sealWorker: false, prewarmBlooms: false });
  let s1 = await reopen();
  const needle = await search(s1, NEEDLE);
  // After a restart with blooms loaded in the background (the default): the needle block itself is not cached.
  const p0 = performance.now();
  const s2 = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false, sealWorker: false });
  await s2.bloomsLoaded();
  const prewarmSec = (performance.now() - p0) / 1000;
  const needlePrewarmed = await search(s2, NEEDLE);
  await s2.close();
  // Blooms are now in memory: an absent needle measures pruning alone; the needle again adds the cached block.
  const absent = await search(s1, ABSENT_NEEDLE);
  const needleWarm = await search(s1, NEEDLE);
  const scan = await search(s1, undefined);
  await s1.close();
  s1 = await reopen();
  // A needle too short for the bloom and absent from every line: every block is opened and its rows checked.
  const substring = await search(s1, SCAN_NEEDLE);
  const substringWarm = await search(s1, SCAN_NEEDLE);
  // A word needle with letters (case-insensitive), kept by the bloom in most blocks: rows are decided by their templates.
  const wordCold = await search(s1, WORD_NEEDLE);
  const wordWarm = await search(s1, WORD_NEEDLE);
  await s1.close();
  // The same cold scans with blocks decrypted, decompressed and searched on scan worker threads.
  const workers = Math.min(2, availableParallelism());
  s1 = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false, sealWorker: false, scanWorkers: workers });
  await new Promise((r) => setTimeout(r, 500)); // let the workers start
  const substringPool = await search(s1, SCAN_NEEDLE);
  await s1.close();
  s1 = await EmbeddedStore.open({ dataDir: dir, fs: new NodeFileSystem(), masterKey, sealTimer: false, sealWorker: false, scanWorkers: workers });
  await new Promise((r) => setTimeout(r, 500));
  const wordPool = await search(s1, WORD_NEEDLE);
  await s1.close();
  const seal = sealSteady();
  const rawBuf = Buffer.from(rawText);
  const i0 = performance.now();
  let indexOfHits = 0;
  for (let at = rawBuf.indexOf(SCAN_NEEDLE); at >= 0; at = rawBuf.indexOf(SCAN_NEEDLE, at + 1)) indexOfHits++;
  const indexOfSec = (performance.now() - i0) / 1000;
  console.log(
    JSON.stringify({
      lines: LINES,
      rawBytes,
      streams: streamIds.length,
      blocks: st.blocks,
      append: {
        batch: BATCH,
        inFlight: IN_FLIGHT,
        seconds: +appendSec.toFixed(3),
        linesPerSecond: Math.round(LINES / appendSec),
        mbPerSecond: +(rawBytes / appendSec / 1e6).toFixed(1),
        cpuSeconds: +appendCpu.toFixed(3),
        linesPerCpuSecond: Math.round(LINES / appendCpu),
      },
      sealSteady: seal,
      appendAndSeal: {
        seconds: +totalSec.toFixed(3),
        flushSeconds: +flushSec.toFixed(3),
        linesPerSecond: Math.round(LINES / totalSec),
        cpuSeconds: +totalCpu.toFixed(3),
        linesPerCpuSecond: Math.round(LINES / totalCpu),
      },
      storage: {
        storedBytes,
        blockBytes,
        bytesPerLine: +(storedBytes / LINES).toFixed(2),
        gzip6Bytes: gzipBytes,
        gzip6BytesPerLine: +(gzipBytes / LINES).toFixed(2),
        ratioToGzip6: +(storedBytes / gzipBytes).toFixed(3),
        gzip6Ms: Math.round(gzipMs),
      },
      needleSearch: {
        seconds: +needle.seconds.toFixed(4),
        hits: needle.hits,
        blocksScanned: needle.stats.blocksScanned,
        blocksPrunedByBloom: needle.stats.blocksPrunedByBloom,
        bloomsCachedAbsentSeconds: +absent.seconds.toFixed(4),
        openAndLoadBloomsSeconds: +prewarmSec.toFixed(3),
        afterBloomsLoadedSeconds: +needlePrewarmed.seconds.toFixed(4),
        warmSeconds: +needleWarm.seconds.toFixed(4),
      },
      fullScan: {
        seconds: +scan.seconds.toFixed(4),
        hits: scan.hits,
        blocksScanned: scan.stats.blocksScanned,
        mbPerSecond: +(rawBytes / scan.seconds / 1e6).toFixed(1),
      },
      needleToScanRatio: +(needle.seconds / scan.seconds).toFixed(4),
      substringScan: {
        needle: SCAN_NEEDLE,
        seconds: +substring.seconds.toFixed(4),
        hits: substring.hits,
        blocksScanned: substring.stats.blocksScanned,
        gbPerSecond: +(rawBytes / substring.seconds / 1e9).toFixed(3),
      },
      substringScanWarm: {
        seconds: +substringWarm.seconds.toFixed(4),
        blockCacheHits: substringWarm.stats.blockCacheHits ?? 0,
        gbPerSecond: +(rawBytes / substringWarm.seconds / 1e9).toFixed(3),
      },
      scanWorkers: {
        workers,
        substringColdGbPerSecond: +(rawBytes / substringPool.seconds / 1e9).toFixed(3),
        wordColdGbPerSecond: +(rawBytes / wordPool.seconds / 1e9).toFixed(3),
        hits: wordPool.hits,
      },
      wordScan: {
        needle: WORD_NEEDLE,
        hits: wordCold.hits,
        blocksScanned: wordCold.stats.blocksScanned,
        coldGbPerSecond: +(rawBytes / wordCold.seconds / 1e9).toFixed(3),
        warmGbPerSecond: +(rawBytes / wordWarm.seconds / 1e9).toFixed(3),
      },
      bufferIndexOf: { seconds: +indexOfSec.toFixed(4), hits: indexOfHits, gbPerSecond: +(rawBytes / indexOfSec / 1e9).toFixed(3) },
      substringScanToIndexOf: +(indexOfSec / substring.seconds).toFixed(4),
      substringScanWarmToIndexOf: +(indexOfSec / substringWarm.seconds).toFixed(4),
    }),
  );
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

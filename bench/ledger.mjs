#!/usr/bin/env node
// Ledger and key ring micro-benchmark: appends (with and without fsync), checkpoints, proofs, verification, data keys.
// Prints one JSON object. MESHLOG_BENCH_SCALE=N multiplies the entry counts (default 2 000 with fsync, 100 000 without).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { FaultyFileSystem, KeyRing, Ledger, NodeFileSystem, Signer, verifyInclusion, verifyLedger } from "../packages/storage/dist/index.js";

const SCALE = Number(process.env.MESHLOG_BENCH_SCALE ?? "1");
const DISK_ENTRIES = Math.round(2_000 * SCALE);
const MEM_ENTRIES = Math.round(100_000 * SCALE);
const PROOFS = 20_000;

const sha = (s) => createHash("sha256").update(s).digest("hex");
const block = (i) => ({
  blockId: `b${String(i).padStart(12, "0")}`,
  headerHash: sha(String(i)),
  streamId: "stream-0001",
  records: 4096,
  minTime: "1764000000000000000",
  maxTime: "1764000060000000000",
});
const rate = (n, ms) => Math.round((n * 1000) / ms);
const time = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

async function onDisk() {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-bench-ledger-"));
  try {
    const fs = new NodeFileSystem();
    const signer = await Signer.open(fs, join(dir, "keys"));
    const ledger = await Ledger.open(fs, join(dir, "tenants", "t", "ledger"), "t", signer);
    const appendMs = await time(async () => {
      for (let i = 0; i < DISK_ENTRIES; i++) await ledger.appendBlock(block(i));
    });
    const cps = Math.max(10, Math.round(DISK_ENTRIES / 20));
    const checkpointMs = await time(async () => {
      for (let i = 0; i < cps; i++) await ledger.checkpoint();
    });
    await ledger.close();
    return { entries: DISK_ENTRIES, appendsPerSec: rate(DISK_ENTRIES, appendMs), checkpoints: cps, checkpointsPerSec: rate(cps, checkpointMs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** NodeFileSystem whose file fsyncs are no-ops: measures the ledger's own CPU cost. */
function noSync(inner) {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "open") {
        return async (...args) => {
          const h = await target.open(...args);
          return new Proxy(h, {
            get: (t, p) => {
              if (p === "sync") return async () => {};
              const v = t[p];
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
        };
      }
      const v = target[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function cpuOnly() {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-bench-ledger-"));
  try {
    return await cpuOnlyIn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function cpuOnlyIn(base) {
  const fs = noSync(new NodeFileSystem());
  const signer = await Signer.open(fs, join(base, "keys"));
  const ledgerDir = join(base, "tenants", "t", "ledger");
  const ledger = await Ledger.open(fs, ledgerDir, "t", signer);
  const appendMs = await time(async () => {
    const pending = [];
    for (let i = 0; i < MEM_ENTRIES; i++) {
      pending.push(ledger.appendBlock(block(i)));
      if (pending.length === 1000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  });
  let cp;
  const checkpointMs = await time(async () => {
    for (let i = 0; i < 1000; i++) cp = await ledger.checkpoint();
  });
  const n = ledger.size();
  let proofBytes = 0;
  const inclusionMs = await time(async () => {
    for (let i = 0; i < PROOFS; i++) proofBytes += ledger.inclusionProofFor((i * 7919) % n).length * 32;
  });
  const consistencyMs = await time(async () => {
    for (let i = 0; i < PROOFS; i++) ledger.consistencyProof(1 + ((i * 104729) % (n - 1)));
  });
  const root = Buffer.from(cp.rootHash, "hex");
  const verifyProofMs = await time(async () => {
    for (let i = 0; i < PROOFS; i++) {
      const idx = (i * 7919) % n;
      const ok = verifyInclusion(
        idx,
        n,
        Buffer.from(ledger.leafHashOf(idx), "hex"),
        ledger.inclusionProofFor(idx).map((h) => Buffer.from(h, "hex")),
        root,
      );
      if (!ok) throw new Error(`proof ${idx} failed`);
    }
  });
  await ledger.close();
  let result;
  const verifyMs = await time(async () => {
    result = await verifyLedger(fs, ledgerDir, "t", {});
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return {
    entries: n,
    appendsPerSec: rate(MEM_ENTRIES, appendMs),
    checkpointsPerSec: rate(1000, checkpointMs),
    inclusionProofsPerSec: rate(PROOFS, inclusionMs),
    avgInclusionProofBytes: Math.round(proofBytes / PROOFS),
    consistencyProofsPerSec: rate(PROOFS, consistencyMs),
    inclusionGenerateAndVerifyPerSec: rate(PROOFS, verifyProofMs),
    verifyLedgerEntriesPerSec: rate(n, verifyMs),
    verifyLedgerCheckpointsVerified: 1000,
    verifyLedgerMs: Math.round(verifyMs),
  };
}

async function keys() {
  const ring = await KeyRing.open(new FaultyFileSystem(), "/data/keys", {});
  const N = 20_000;
  const made = [];
  const newMs = await time(async () => {
    for (let i = 0; i < N; i++) made.push(await ring.newDataKey("t", "default", `2026-${String((i % 12) + 1).padStart(2, "0")}`));
  });
  const unwrapMs = await time(async () => {
    for (const k of made) await ring.unwrapDataKey(k.keyId, k.wrappedKey);
  });
  return { dataKeysPerSec: rate(N, newMs), unwrapsPerSec: rate(N, unwrapMs) };
}

const out = { benchmark: "ledger", disk: await onDisk(), withoutFsync: await cpuOnly(), keyRing: await keys() };
console.log(JSON.stringify(out));

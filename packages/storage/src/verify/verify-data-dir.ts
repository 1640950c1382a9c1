// Offline verification of a data folder: blocks vs ledger, block contents, checkpoints, WAL frames, rollback.

import { createHash } from "node:crypto";
import { isValidTenant } from "@meshlog/core";
import { openBlock, plaintextRootOf } from "../block/block-codec.js";
import { BlockFormatError, parseBlockHeader, type BlockHeader } from "../block/block-format.js";
import { KeyRing } from "../crypto/keyring.js";
import { KEY_RING_FILE } from "../crypto/key-files.js";
import { blockCipher } from "../engine/block-cipher.js";
import type { BlockKeyRing } from "../engine/security-ports.js";
import { dataLayout, parseBlockFileName, parseWalSegmentName, type DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { NodeFileSystem } from "../io/node-file-system.js";
import type { BlockEntry, Checkpoint, LedgerEntry } from "../ledger/ledger-format.js";
import { checkCertificates } from "../retention/certificate-store.js";
import { verifyLedger } from "../ledger/verify-ledger.js";
import { scanSegment } from "../wal/wal-format.js";
import { readWitness, writeWitness } from "./witness-file.js";
import { checkCompactions } from "./check-compactions.js";

export interface VerifyProblem {
  /** Stable kind: ledger, block-corrupt, block-misplaced, block-not-in-ledger, block-header-mismatch, block-ciphertext-mismatch, block-content-mismatch, block-key-unavailable, block-chain-broken, block-missing, compaction-replacement-missing, compaction-count-mismatch, wal-corrupt, wal-torn-tail, keyring, witness, certificate. */
  readonly kind: string;
  readonly tenant?: string;
  readonly block?: string;
  readonly file?: string;
  readonly message: string;
}

export interface VerifyReport {
  ok: boolean;
  tenants: number;
  blocks: number;
  records: number;
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  readonly dataDir: string;
  readonly fs?: FileSystem;
  /** Master key (MESHLOG_MASTER_KEY); else DATA/keys/master.key. */
  readonly masterKey?: Buffer;
  /** File keeping the latest checkpoint seen per tenant; a later run fails when a ledger went back. */
  readonly witnessFile?: string;
  /** Public keys (SPKI PEM) trusted for checkpoints; default: the ones in DATA/keys. */
  readonly trustedPublicKeys?: readonly string[];
  /** Key ring to decrypt with (tests); default: the data folder's. */
  readonly keyRing?: BlockKeyRing;
}

async function openKeyRing(fs: FileSystem, layout: DataLayout, opts: VerifyOptions, problems: VerifyProblem[]): Promise<BlockKeyRing | undefined> {
  if (opts.keyRing !== undefined) return opts.keyRing;
  if ((await fs.stat(fs.join(layout.keysDir, KEY_RING_FILE))) === undefined) {
    problems.push({
      kind: "keyring",
      file: fs.join(layout.keysDir, KEY_RING_FILE),
      message: "the key ring file is missing: block contents cannot be decrypted and checked",
    });
    return undefined;
  }
  try {
    return await KeyRing.open(fs, layout.keysDir, opts.masterKey === undefined ? {} : { masterKey: opts.masterKey });
  } catch (e) {
    problems.push({ kind: "keyring", message: `Cannot open the key ring: ${(e as Error).message}` });
    return undefined;
  }
}

/**
 * Verifies a data folder without changing it (except the witness file). Every problem names the tenant,
 * block and file involved; `ok` is true only when nothing was found.
 */
export async function verifyDataDir(opts: VerifyOptions): Promise<VerifyReport> {
  const fs = opts.fs ?? new NodeFileSystem();
  const layout = dataLayout(opts.dataDir, (...p) => fs.join(...p));
  const problems: VerifyProblem[] = [];
  const report: VerifyReport = { ok: false, tenants: 0, blocks: 0, records: 0, problems };
  const keyRing = await openKeyRing(fs, layout, opts, problems);
  const witness = opts.witnessFile === undefined ? {} : await readWitness(fs, opts.witnessFile, problems);
  const latest: Record<string, Checkpoint> = {};
  const ledgerEntries = new Map<string, readonly LedgerEntry[]>();
  const tenants = (await fs.readdir(layout.tenantsDir)).filter(isValidTenant);
  for (const t of Object.keys(witness)) {
    if (!tenants.includes(t))
      problems.push({ kind: "witness", tenant: t, message: `tenant "${t}" was verified before (checkpoint seq ${witness[t]?.seq}) but its folder is gone` });
  }
  for (const tenant of tenants) {
    report.tenants++;
    const w = witness[tenant];
    const lv = await verifyLedger(fs, layout.ledgerDir(tenant), tenant, {
      keysDir: layout.keysDir,
      ...(w === undefined ? {} : { witness: w }),
      ...(opts.trustedPublicKeys === undefined ? {} : { trustedPublicKeys: opts.trustedPublicKeys }),
    });
    for (const p of lv.problems) problems.push({ kind: "ledger", tenant, file: layout.ledgerDir(tenant), message: p });
    ledgerEntries.set(tenant, lv.entries);
    if (lv.ok && lv.latest !== undefined) latest[tenant] = lv.latest;
    else if (w !== undefined) latest[tenant] = w;
    const inLedger = new Map<string, BlockEntry & { index: number }>();
    const tombstoned = new Set<string>();
    for (const e of lv.entries) {
      if (e.type === "block") inLedger.set(e.block.blockId, { ...e.block, index: e.index });
      else if (e.type === "tombstone") e.tombstone.blockIds.forEach((id) => tombstoned.add(id));
    }
    const blocksDir = layout.blocksDir(tenant);
    const present = new Set<string>();
    const headers: { h: BlockHeader; index: number }[] = [];
    for (const name of (await fs.readdir(blocksDir)).sort()) {
      const id = parseBlockFileName(name);
      if (id === undefined) continue;
      present.add(id);
      const file = fs.join(blocksDir, name);
      const fail = (kind: string, message: string): void =>
        void problems.push({ kind, tenant, block: id, file, message: `Block "${name}" of tenant ${tenant}: ${message}` });
      const bytes = await fs.readFile(file);
      let h: BlockHeader;
      try {
        h = parseBlockHeader(bytes);
      } catch (e) {
        fail("block-corrupt", e instanceof BlockFormatError ? `${e.message} (offset ${e.offset})` : (e as Error).message);
        continue;
      }
      if (h.meta.blockId !== id || h.meta.tenant !== tenant) {
        fail("block-misplaced", `header says block "${h.meta.blockId}" of tenant "${h.meta.tenant}" (file moved, renamed or swapped)`);
        continue;
      }
      const entry = inLedger.get(id);
      if (entry === undefined) fail("block-not-in-ledger", "no ledger entry records this block");
      else if (entry.headerHash !== h.headerHash)
        fail("block-header-mismatch", `header hash ${h.headerHash} differs from the ledger's ${entry.headerHash} (entry ${entry.index})`);
      else if (entry.streamId !== h.meta.streamId || entry.records !== h.meta.rows)
        fail("block-header-mismatch", "stream or record count differs from the ledger entry");
      const sealed = bytes.subarray(h.cipherOffset);
      if (createHash("sha256").update(sealed).digest("hex") !== h.ciphertextSha256) {
        fail(
          "block-ciphertext-mismatch",
          `ciphertext SHA-256 does not match the header (ciphertext starts at offset ${h.cipherOffset}, file is ${bytes.length} bytes)`,
        );
        continue;
      }
      report.blocks++;
      if (entry !== undefined) headers.push({ h, index: entry.index });
      if (keyRing === undefined) continue;
      try {
        const key = await keyRing.unwrapDataKey(h.meta.keyId, Buffer.from(h.meta.wrappedKey, "base64"));
        const opened = openBlock(bytes, h, key, blockCipher);
        key.fill(0);
        const root = plaintextRootOf(opened);
        if (root !== h.meta.plaintextRoot) fail("block-content-mismatch", `records hash to Merkle root ${root}, header says ${h.meta.plaintextRoot}`);
        else report.records += opened.records.length;
      } catch (e) {
        const err = e as Error & { code?: string };
        if (err.code === "KEY_UNAVAILABLE") fail("block-key-unavailable", err.message);
        else fail("block-content-mismatch", `cannot decrypt or decode: ${err.message}`);
      }
    }
    for (const [id, e] of inLedger) {
      if (!present.has(id) && !tombstoned.has(id)) {
        problems.push({
          kind: "block-missing",
          tenant,
          block: id,
          file: layout.blockFile(tenant, id),
          message: `Block "${id}.blk" of tenant ${tenant} is in the ledger (entry ${e.index}) but its file is missing and no tombstone covers it`,
        });
      }
    }
    checkChains(headers, inLedger, tenant, layout, problems);
    for (const p of checkCompactions(tenant, lv.entries))
      problems.push({
        kind: p.kind,
        tenant,
        ...(p.block === undefined ? {} : { block: p.block, file: layout.blockFile(tenant, p.block) }),
        message: p.message,
      });
  }
  for (const p of await checkCertificates(fs, opts.dataDir, ledgerEntries)) problems.push({ kind: "certificate", ...p });
  await checkWal(fs, layout, problems);
  report.ok = problems.length === 0;
  if (opts.witnessFile !== undefined) await writeWitness(fs, opts.witnessFile, latest);
  return report;
}

/**
 * Each block's prevBlockHash must be the header hash of the previous block of its stream in the ledger
 * (so a block missing from disk is reported once, and does not break its successor's link).
 */
function checkChains(
  headers: { h: BlockHeader; index: number }[],
  ledgerBlocks: ReadonlyMap<string, BlockEntry & { index: number }>,
  tenant: string,
  layout: DataLayout,
  problems: VerifyProblem[],
): void {
  const expected = new Map<string, string>();
  const last = new Map<string, string>();
  for (const e of [...ledgerBlocks.values()].sort((a, b) => a.index - b.index)) {
    expected.set(e.blockId, last.get(e.streamId) ?? "");
    last.set(e.streamId, e.headerHash);
  }
  for (const { h } of headers) {
    const id = h.meta.blockId;
    const want = expected.get(id);
    if (want === undefined || want === h.meta.prevBlockHash) continue;
    problems.push({
      kind: "block-chain-broken",
      tenant,
      block: id,
      file: layout.blockFile(tenant, id),
      message: `Block "${id}.blk" of tenant ${tenant}: previous-block hash ${h.meta.prevBlockHash || "(none)"} does not match the stream's previous block in the ledger ${want || "(none)"}`,
    });
  }
}

async function checkWal(fs: FileSystem, layout: DataLayout, problems: VerifyProblem[]): Promise<void> {
  for (const name of (await fs.readdir(layout.walDir)).sort()) {
    if (parseWalSegmentName(name) === undefined) continue;
    const file = fs.join(layout.walDir, name);
    const scan = scanSegment(await fs.readFile(file));
    const all = [
      ...(scan.headerProblem === undefined ? [] : [scan.headerProblem]),
      ...scan.corruptions,
      ...(scan.tornTail === undefined ? [] : [scan.tornTail]),
    ];
    for (const p of all) {
      problems.push({
        kind: p.kind === "torn-tail" ? "wal-torn-tail" : "wal-corrupt",
        file,
        message: `WAL segment "${name}": ${p.message} at offset ${p.offset}`,
      });
    }
  }
}

// Offline verification of one tenant's ledger: recomputes the tree and checks every checkpoint's root, signature and chain.

import type { FileSystem } from "../io/file-system.js";
import { KEYS_DIR } from "../file-names.js";
import { checkpointProblem, parseCheckpointPayload, parseEntryPayload } from "./ledger-entry.js";
import {
  GENESIS_CHECKPOINT_HASH,
  LEDGER_CHECKPOINTS_FILE,
  LEDGER_CHECKPOINTS_MAGIC,
  LEDGER_ENTRIES_FILE,
  LEDGER_ENTRIES_MAGIC,
  checkLedgerHeader,
  checkpointBody,
  checkpointHash,
  ledgerOrigin,
  scanLedgerFrames,
  type Checkpoint,
  type LedgerEntry,
} from "./ledger-format.js";
import { leafHash, verifyConsistency } from "./merkle.js";
import { MerkleTree } from "./merkle-tree.js";
import { Signer, signingKeyIdOf, trustedPublicKeysIn } from "./signer.js";

export interface VerifyLedgerOptions {
  /**
   * Public keys (SPKI PEM) whose signatures are accepted. When absent, the keys in `keysDir` are trusted
   * (`ledger-signing.pub` and retired `ledger-signing-<keyId>.pub`).
   */
  readonly trustedPublicKeys?: readonly string[];
  /** A checkpoint observed earlier (e.g. by the last verify run or an external witness): rollback detection. */
  readonly witness?: Checkpoint;
  /** Folder of the trusted public keys; default: the data folder's `keys` (dir is DATA/tenants/<tenant>/ledger). */
  readonly keysDir?: string;
}

export interface VerifyLedgerResult {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** What fails, each naming tenant, file and checkpoint seq or entry index. */
  readonly problems: string[];
  /** Conditions that do not break verification (torn tail, unsigned recent entries, clock going back). */
  readonly warnings: string[];
  /** Entries that parsed, in leaf order (up to the first unreadable frame). */
  readonly entries: LedgerEntry[];
  /** The last checkpoint in the file. */
  readonly latest?: Checkpoint;
  /** Tree size and hex root recomputed from the entries. */
  readonly treeSize: number;
  readonly rootHash: string;
}

async function readIfExists(fs: FileSystem, path: string): Promise<Buffer | undefined> {
  return (await fs.stat(path)) === undefined ? undefined : fs.readFile(path);
}

/**
 * Verifies `tenant`'s ledger in `dir` without modifying it. Checks: file headers and frame checksums;
 * every entry's index, tenant and canonical form; every checkpoint's origin, seq (1, 2, 3...),
 * prevCheckpointHash chain, non-decreasing treeSize, root hash against the recomputed tree, consistency
 * with the previous checkpoint, and Ed25519 signature by a trusted key; and, given a witness, that the
 * ledger still holds that very checkpoint (same seq, same hash): a ledger rolled back before it, or
 * rewritten since, fails.
 */
export async function verifyLedger(fs: FileSystem, dir: string, tenant: string, opts: VerifyLedgerOptions = {}): Promise<VerifyLedgerResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const entries: LedgerEntry[] = [];
  const entriesPath = fs.join(dir, LEDGER_ENTRIES_FILE);
  const checkpointsPath = fs.join(dir, LEDGER_CHECKPOINTS_FILE);
  const at = (path: string, where: string, msg: string): string => `tenant "${tenant}": ${path} ${where}: ${msg}`;
  const tree = new MerkleTree();

  const entriesData = await readIfExists(fs, entriesPath);
  const checkpointsData = await readIfExists(fs, checkpointsPath);
  if (entriesData === undefined && checkpointsData !== undefined) problems.push(at(entriesPath, "file", "missing while checkpoints exist"));
  if (checkpointsData === undefined && entriesData !== undefined) problems.push(at(checkpointsPath, "file", "missing while entries exist"));

  if (entriesData !== undefined) {
    const hp = checkLedgerHeader(entriesData, LEDGER_ENTRIES_MAGIC);
    if (hp !== undefined) problems.push(at(entriesPath, "header", hp));
    else {
      const scan = scanLedgerFrames(entriesData);
      scan.frames.forEach((f, i) => {
        const parsed = parseEntryPayload(f.payload, i, tenant);
        if ("problem" in parsed) problems.push(at(entriesPath, `entry ${i} (offset ${f.offset})`, parsed.problem));
        else entries.push(parsed.entry);
        tree.append(leafHash(f.payload));
      });
      if (scan.corrupt !== undefined) {
        problems.push(
          at(entriesPath, `entry ${scan.frames.length} (offset ${scan.corrupt.offset})`, `${scan.corrupt.problem}; the rest of the file cannot be read`),
        );
      } else if (scan.tornBytes > 0) {
        warnings.push(
          at(entriesPath, `offset ${scan.validEnd}`, `${scan.tornBytes} bytes of an interrupted append (truncated when the ledger is next opened)`),
        );
      }
    }
  }

  let trusted = opts.trustedPublicKeys;
  if (trusted === undefined) {
    const keysDir = opts.keysDir ?? fs.join(dir, "..", "..", "..", KEYS_DIR);
    trusted = await trustedPublicKeysIn(fs, keysDir);
    if (trusted.length === 0) problems.push(`tenant "${tenant}": no trusted public key found in ${keysDir}; checkpoint signatures cannot be checked`);
  }
  const keysById = new Map<string, string[]>();
  for (const pem of trusted) {
    try {
      const id = signingKeyIdOf(pem);
      keysById.set(id, [...(keysById.get(id) ?? []), pem]);
    } catch {
      problems.push(`tenant "${tenant}": a trusted public key is not a valid PEM public key`);
    }
  }

  const checkpoints: Checkpoint[] = [];
  if (checkpointsData !== undefined) {
    const hp = checkLedgerHeader(checkpointsData, LEDGER_CHECKPOINTS_MAGIC);
    if (hp !== undefined) problems.push(at(checkpointsPath, "header", hp));
    else {
      const scan = scanLedgerFrames(checkpointsData);
      let prev: Checkpoint | undefined;
      scan.frames.forEach((f, i) => {
        const parsed = parseCheckpointPayload(f.payload);
        if ("problem" in parsed) {
          problems.push(at(checkpointsPath, `checkpoint ${i + 1} (offset ${f.offset})`, parsed.problem));
          return;
        }
        const cp = parsed.checkpoint;
        checkpoints.push(cp);
        const where = `checkpoint seq ${cp.seq} (offset ${f.offset})`;
        const fail = (msg: string): void => void problems.push(at(checkpointsPath, where, msg));
        if (cp.seq !== (prev?.seq ?? 0) + 1)
          fail(`seq follows ${prev?.seq ?? "nothing"}; expected ${(prev?.seq ?? 0) + 1} (checkpoints removed, inserted or reordered)`);
        if (cp.tenant !== tenant || cp.origin !== ledgerOrigin(tenant)) fail(`belongs to another log (origin "${cp.origin}", tenant "${cp.tenant}")`);
        const expectedPrev = prev === undefined ? GENESIS_CHECKPOINT_HASH : checkpointHash(prev);
        if (cp.prevCheckpointHash !== expectedPrev) fail("prevCheckpointHash does not match the previous checkpoint (chain broken)");
        if (prev !== undefined && cp.treeSize < prev.treeSize) fail(`tree shrinks from ${prev.treeSize} to ${cp.treeSize} entries`);
        if (prev !== undefined && cp.time < prev.time)
          warnings.push(at(checkpointsPath, where, `time ${cp.time} is before the previous checkpoint's ${prev.time}`));
        const rootOk = cp.treeSize <= tree.size() && tree.root(cp.treeSize).toString("hex") === cp.rootHash;
        if (cp.treeSize > tree.size())
          fail(`covers ${cp.treeSize} entries but ${entriesPath} holds only ${tree.size()} readable entries (entries removed or truncated)`);
        else if (!rootOk) fail(`root hash does not match the entries at tree size ${cp.treeSize} (entries altered, removed, inserted or reordered)`);
        if (prev !== undefined && rootOk && prev.treeSize <= cp.treeSize && prev.treeSize <= tree.size()) {
          const proof = tree.consistencyProof(prev.treeSize, cp.treeSize);
          if (!verifyConsistency(prev.treeSize, cp.treeSize, Buffer.from(prev.rootHash, "hex"), Buffer.from(cp.rootHash, "hex"), proof)) {
            fail(`not consistent with checkpoint seq ${prev.seq} (tree size ${prev.treeSize})`);
          }
        }
        const keys = keysById.get(cp.keyId) ?? [];
        const { signature, ...unsigned } = cp;
        const sig = Buffer.from(signature, "base64");
        if (keys.length === 0) fail(`signed by key ${cp.keyId}, which is not a trusted key`);
        else if (!keys.some((k) => Signer.verify(k, checkpointBody(unsigned), sig))) fail(`signature does not verify with trusted key ${cp.keyId}`);
        prev = cp;
      });
      if (scan.corrupt !== undefined) {
        problems.push(
          at(
            checkpointsPath,
            `checkpoint ${scan.frames.length + 1} (offset ${scan.corrupt.offset})`,
            `${scan.corrupt.problem}; the rest of the file cannot be read`,
          ),
        );
      } else if (scan.tornBytes > 0) {
        warnings.push(
          at(checkpointsPath, `offset ${scan.validEnd}`, `${scan.tornBytes} bytes of an interrupted append (truncated when the ledger is next opened)`),
        );
      }
    }
  }

  const latest = checkpoints[checkpoints.length - 1];
  if (latest === undefined && tree.size() > 0) warnings.push(`tenant "${tenant}": ${tree.size()} entries and no signed checkpoint yet`);
  if (latest !== undefined && latest.treeSize < tree.size()) {
    warnings.push(`tenant "${tenant}": entries ${latest.treeSize}..${tree.size() - 1} are not covered by a signed checkpoint yet`);
  }

  if (opts.witness !== undefined) checkWitness(opts.witness, checkpoints, tenant, checkpointsPath, problems);

  return {
    ok: problems.length === 0,
    problems,
    warnings,
    entries,
    ...(latest === undefined ? {} : { latest }),
    treeSize: tree.size(),
    rootHash: tree.root().toString("hex"),
  };
}

function checkWitness(witness: Checkpoint, checkpoints: readonly Checkpoint[], tenant: string, path: string, problems: string[]): void {
  const shape = checkpointProblem(witness);
  if (shape !== undefined) {
    problems.push(`tenant "${tenant}": witness checkpoint is malformed: ${shape}`);
    return;
  }
  const latest = checkpoints[checkpoints.length - 1];
  const same = checkpoints.find((c) => c.seq === witness.seq);
  if (same === undefined) {
    const have = latest === undefined ? "no checkpoint" : `latest checkpoint seq ${latest.seq} (tree size ${latest.treeSize})`;
    problems.push(
      `tenant "${tenant}": ${path} checkpoint seq ${witness.seq}: missing; the ledger has ${have} but checkpoint seq ${witness.seq} (tree size ${witness.treeSize}) was witnessed earlier (rolled back)`,
    );
  } else if (checkpointHash(same) !== checkpointHash(witness)) {
    const digest = (c: Checkpoint): string => checkpointHash(c).slice(0, 12);
    problems.push(
      `tenant "${tenant}": ${path} checkpoint seq ${witness.seq}: differs from the witnessed checkpoint (tree size ${same.treeSize} vs ${witness.treeSize}, hash ${digest(same)} vs ${digest(witness)}): history was rewritten or forked`,
    );
  }
}

// Per-tenant tamper-evident ledger: append-only Merkle tree of block headers, tombstones and events, with signed checkpoints.

import { MeshlogError, formatRfc3339Ns, isValidTenant, systemClock, type Clock } from "@meshlog/core";
import type { FileHandle, FileSystem } from "../io/file-system.js";
import { canonicalJson, canonicalJsonBytes } from "./canonical-json.js";
import { LedgerErrors } from "./errors.js";
import { blockEntryProblem, eventProblem, parseCheckpointPayload, parseEntryPayload, tombstoneProblem } from "./ledger-entry.js";
import {
  GENESIS_CHECKPOINT_HASH,
  LEDGER_CHECKPOINTS_FILE,
  LEDGER_CHECKPOINTS_MAGIC,
  LEDGER_ENTRIES_FILE,
  LEDGER_ENTRIES_MAGIC,
  LEDGER_HEADER_SIZE,
  LEDGER_MAX_PAYLOAD,
  checkLedgerHeader,
  checkpointBody,
  checkpointHash,
  encodeLedgerFrame,
  encodeLedgerHeader,
  ledgerOrigin,
  scanLedgerFrames,
  type BlockEntry,
  type Checkpoint,
  type LedgerEntry,
  type LedgerEvent,
  type Tombstone,
} from "./ledger-format.js";
import { leafHash } from "./merkle.js";
import { MerkleTree } from "./merkle-tree.js";
import type { Signer } from "./signer.js";

/** What opening a ledger repaired: bytes of interrupted appends cut from each file's tail. */
export interface LedgerRecovery {
  readonly entriesTornBytes: number;
  readonly checkpointsTornBytes: number;
}

interface OpenedFile {
  handle: FileHandle;
  size: number;
  frames: Buffer[];
  offsets: number[];
  tornBytes: number;
}

function corrupt(path: string, offset: number, problem: string): MeshlogError {
  return new MeshlogError(LedgerErrors.LEDGER_FILE_CORRUPT, `Ledger file "${path}" is inconsistent at offset ${offset}: ${problem}`, {
    details: { file: path, offset },
  });
}

function badArgument(tenant: string, problem: string): MeshlogError {
  return new MeshlogError(LedgerErrors.LEDGER_ARGUMENT_INVALID, `Ledger of tenant "${tenant}": ${problem}`);
}

/** Opens (creating when missing) a framed ledger file, truncating a torn tail; corruption throws. */
async function openFramedFile(fs: FileSystem, path: string, magic: Buffer): Promise<OpenedFile> {
  const st = await fs.stat(path);
  if (st === undefined || st.size === 0) {
    await fs.writeFileAtomic(path, encodeLedgerHeader(magic), 0o600);
    return { handle: await fs.open(path, "r+"), size: LEDGER_HEADER_SIZE, frames: [], offsets: [], tornBytes: 0 };
  }
  const data = await fs.readFile(path);
  const header = encodeLedgerHeader(magic);
  if (data.length < LEDGER_HEADER_SIZE && header.subarray(0, data.length).equals(data)) {
    // Creation was interrupted inside the header: nothing was ever appended.
    await fs.writeFileAtomic(path, header, 0o600);
    return { handle: await fs.open(path, "r+"), size: LEDGER_HEADER_SIZE, frames: [], offsets: [], tornBytes: data.length };
  }
  const headerProblem = checkLedgerHeader(data, magic);
  if (headerProblem !== undefined) throw corrupt(path, 0, headerProblem);
  const scan = scanLedgerFrames(data);
  if (scan.corrupt !== undefined) throw corrupt(path, scan.corrupt.offset, scan.corrupt.problem);
  const handle = await fs.open(path, "r+");
  if (scan.tornBytes > 0) {
    await handle.truncate(scan.validEnd);
    await handle.sync();
  }
  return {
    handle,
    size: scan.validEnd,
    frames: scan.frames.map((f) => f.payload),
    offsets: scan.frames.map((f) => f.offset),
    tornBytes: scan.tornBytes,
  };
}

/**
 * The tamper-evident ledger of one tenant (DESIGN §3 "Ledger"). Every append is one Merkle leaf whose data
 * is the canonical JSON of the entry (index and tenant included), framed with a CRC and fsynced before the
 * returned promise resolves. Appends and checkpoints are serialized in call order. Checkpoints sign the
 * tree head and chain to the previous checkpoint by hash. After a failed write the file is cut back to its
 * last good length; if even that fails, the ledger refuses further appends until reopened.
 */
export class Ledger {
  readonly #tenant: string;
  readonly #signer: Signer;
  readonly #clock: Clock;
  readonly #entriesPath: string;
  readonly #checkpointsPath: string;
  readonly #entriesFile: OpenedFile;
  readonly #checkpointsFile: OpenedFile;
  readonly #entries: LedgerEntry[] = [];
  readonly #tree = new MerkleTree();
  #latest: Checkpoint | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #broken: Error | undefined;
  #closed = false;
  /** What open() repaired. */
  readonly recovery: LedgerRecovery;

  private constructor(fs: FileSystem, dir: string, tenant: string, signer: Signer, clock: Clock, entries: OpenedFile, checkpoints: OpenedFile) {
    this.#tenant = tenant;
    this.#signer = signer;
    this.#clock = clock;
    this.#entriesPath = fs.join(dir, LEDGER_ENTRIES_FILE);
    this.#checkpointsPath = fs.join(dir, LEDGER_CHECKPOINTS_FILE);
    this.#entriesFile = entries;
    this.#checkpointsFile = checkpoints;
    this.recovery = { entriesTornBytes: entries.tornBytes, checkpointsTornBytes: checkpoints.tornBytes };
  }

  /**
   * Opens the ledger in `dir` (created when missing). A torn tail (an interrupted append) is truncated
   * and reported in `recovery`; any other inconsistency throws LEDGER_FILE_CORRUPT naming file and offset:
   * bad header or checksum, an entry whose index or tenant does not match its position, checkpoints out
   * of sequence, or a latest checkpoint whose size or root does not match the entries.
   */
  static async open(fs: FileSystem, dir: string, tenant: string, signer: Signer, clock: Clock = systemClock): Promise<Ledger> {
    if (!isValidTenant(tenant)) throw badArgument(tenant, "invalid tenant name");
    await fs.mkdirp(dir, 0o700);
    const entriesPath = fs.join(dir, LEDGER_ENTRIES_FILE);
    const checkpointsPath = fs.join(dir, LEDGER_CHECKPOINTS_FILE);
    const checkpointsExisted = (await fs.stat(checkpointsPath)) !== undefined;
    const entries = await openFramedFile(fs, entriesPath, LEDGER_ENTRIES_MAGIC);
    let checkpoints: OpenedFile;
    try {
      // Both files are created together before any append, so entries without a checkpoints file mean it was removed.
      if (!checkpointsExisted && entries.frames.length > 0) {
        throw corrupt(checkpointsPath, 0, `file is missing while ${entriesPath} holds ${entries.frames.length} entries`);
      }
      checkpoints = await openFramedFile(fs, checkpointsPath, LEDGER_CHECKPOINTS_MAGIC);
    } catch (e) {
      await entries.handle.close();
      throw e;
    }
    const ledger = new Ledger(fs, dir, tenant, signer, clock, entries, checkpoints);
    try {
      ledger.#load();
    } catch (e) {
      await entries.handle.close();
      await checkpoints.handle.close();
      throw e;
    }
    return ledger;
  }

  #load(): void {
    const ef = this.#entriesFile;
    ef.frames.forEach((payload, i) => {
      const parsed = parseEntryPayload(payload, i, this.#tenant);
      if ("problem" in parsed) throw corrupt(this.#entriesPath, ef.offsets[i] as number, `entry ${i}: ${parsed.problem}`);
      this.#entries.push(parsed.entry);
      this.#tree.append(leafHash(payload));
    });
    const cf = this.#checkpointsFile;
    let prev: Checkpoint | undefined;
    cf.frames.forEach((payload, i) => {
      const at = cf.offsets[i] as number;
      const parsed = parseCheckpointPayload(payload);
      if ("problem" in parsed) throw corrupt(this.#checkpointsPath, at, parsed.problem);
      const cp = parsed.checkpoint;
      const expectedPrev = prev === undefined ? GENESIS_CHECKPOINT_HASH : checkpointHash(prev);
      if (cp.seq !== i + 1) throw corrupt(this.#checkpointsPath, at, `checkpoint at position ${i} has seq ${cp.seq}, expected ${i + 1}`);
      if (cp.prevCheckpointHash !== expectedPrev)
        throw corrupt(this.#checkpointsPath, at, `checkpoint seq ${cp.seq} does not chain to the previous checkpoint`);
      if (cp.tenant !== this.#tenant || cp.origin !== ledgerOrigin(this.#tenant))
        throw corrupt(this.#checkpointsPath, at, `checkpoint seq ${cp.seq} belongs to another log (${cp.origin})`);
      if (prev !== undefined && cp.treeSize < prev.treeSize)
        throw corrupt(this.#checkpointsPath, at, `checkpoint seq ${cp.seq} shrinks the tree from ${prev.treeSize} to ${cp.treeSize}`);
      prev = cp;
    });
    if (prev !== undefined) {
      const at = cf.offsets[cf.offsets.length - 1] as number;
      if (prev.treeSize > this.#entries.length) {
        throw corrupt(
          this.#checkpointsPath,
          at,
          `checkpoint seq ${prev.seq} covers ${prev.treeSize} entries but ${this.#entriesPath} holds only ${this.#entries.length}`,
        );
      }
      if (this.#tree.root(prev.treeSize).toString("hex") !== prev.rootHash) {
        throw corrupt(this.#checkpointsPath, at, `checkpoint seq ${prev.seq} root does not match the entries at tree size ${prev.treeSize}`);
      }
    }
    this.#latest = prev;
    ef.frames = [];
    cf.frames = [];
  }

  /** Records a sealed block (its header hash); resolves with the leaf index once durable. */
  appendBlock(e: BlockEntry): Promise<number> {
    const block: BlockEntry = {
      blockId: e.blockId,
      headerHash: e.headerHash,
      streamId: e.streamId,
      records: e.records,
      minTime: e.minTime,
      maxTime: e.maxTime,
    };
    const problem = blockEntryProblem(block);
    if (problem !== undefined) return Promise.reject(badArgument(this.#tenant, problem));
    return this.#append((base) => ({ ...base, type: "block", block }));
  }

  /** Records a deletion of blocks (retention, deletion request); resolves with the leaf index once durable. */
  appendTombstone(t: Tombstone): Promise<number> {
    const tombstone: Tombstone = {
      reason: t.reason,
      ...(t.policy === undefined ? {} : { policy: t.policy }),
      blockIds: [...t.blockIds],
      headerHashes: [...t.headerHashes],
      keyIds: [...t.keyIds],
      ...(t.principal === undefined ? {} : { principal: t.principal }),
      time: t.time,
      ...(t.replacedBy === undefined
        ? {}
        : { replacedBy: { blockIds: [...t.replacedBy.blockIds], headerHashes: [...t.replacedBy.headerHashes], records: t.replacedBy.records } }),
    };
    const problem = tombstoneProblem(tombstone);
    if (problem !== undefined) return Promise.reject(badArgument(this.#tenant, problem));
    return this.#append((base) => ({ ...base, type: "tombstone", tombstone }));
  }

  /** Records another fact (KEK destroyed, policy change, deletion request...); resolves with the leaf index. */
  appendEvent(e: LedgerEvent): Promise<number> {
    const problem = eventProblem(e);
    if (problem !== undefined) return Promise.reject(badArgument(this.#tenant, problem));
    const event: LedgerEvent = { kind: e.kind, data: JSON.parse(canonicalJson(e.data)) as Record<string, unknown> };
    return this.#append((base) => ({ ...base, type: "event", event }));
  }

  /** Signs the current tree head, chained to the previous checkpoint; resolves once durable. */
  checkpoint(): Promise<Checkpoint> {
    return this.#serialize(async () => {
      const prev = this.#latest;
      const unsigned: Omit<Checkpoint, "signature"> = {
        origin: ledgerOrigin(this.#tenant),
        tenant: this.#tenant,
        treeSize: this.#tree.size(),
        rootHash: this.#tree.root().toString("hex"),
        time: formatRfc3339Ns(this.#clock.nowNs()),
        seq: (prev?.seq ?? 0) + 1,
        prevCheckpointHash: prev === undefined ? GENESIS_CHECKPOINT_HASH : checkpointHash(prev),
        keyId: this.#signer.keyId(),
      };
      const cp: Checkpoint = { ...unsigned, signature: this.#signer.sign(checkpointBody(unsigned)).toString("base64") };
      await this.#write(this.#checkpointsFile, this.#checkpointsPath, canonicalJsonBytes(cp));
      this.#latest = cp;
      return cp;
    });
  }

  latestCheckpoint(): Checkpoint | undefined {
    return this.#latest;
  }

  /** Number of leaves (entries). */
  size(): number {
    return this.#tree.size();
  }

  /** Hex Merkle root of all entries. */
  rootHash(): string {
    return this.#tree.root().toString("hex");
  }

  entries(): readonly LedgerEntry[] {
    return this.#entries;
  }

  /** Hex leaf hash of entry `index`: SHA-256(0x00 ‖ canonicalJson(entry)). */
  leafHashOf(index: number): string {
    return this.#tree.leaf(index).toString("hex");
  }

  /** Hex audit path of entry `index` in the tree of the first `treeSize` entries (default: all). */
  inclusionProofFor(index: number, treeSize?: number): string[] {
    return this.#tree.inclusionProof(index, treeSize ?? this.#tree.size()).map((h) => h.toString("hex"));
  }

  /** Hex consistency proof from tree size `fromSize` to `toSize` (default: current size). */
  consistencyProof(fromSize: number, toSize?: number): string[] {
    return this.#tree.consistencyProof(fromSize, toSize ?? this.#tree.size()).map((h) => h.toString("hex"));
  }

  /** Waits for pending appends and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#entriesFile.handle.close();
    await this.#checkpointsFile.handle.close();
  }

  #append(make: (base: { index: number; tenant: string; time: string }) => LedgerEntry): Promise<number> {
    return this.#serialize(async () => {
      const index = this.#tree.size();
      const entry = make({ index, tenant: this.#tenant, time: formatRfc3339Ns(this.#clock.nowNs()) });
      const payload = canonicalJsonBytes(entry);
      await this.#write(this.#entriesFile, this.#entriesPath, payload);
      this.#entries.push(entry);
      this.#tree.append(leafHash(payload));
      return index;
    });
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new MeshlogError(LedgerErrors.LEDGER_WRITE_FAILED, `Ledger of tenant "${this.#tenant}" is closed`);
      if (this.#broken !== undefined) {
        throw new MeshlogError(
          LedgerErrors.LEDGER_WRITE_FAILED,
          `Ledger of tenant "${this.#tenant}" refuses appends after an unrecoverable write failure; reopen it`,
          { cause: this.#broken },
        );
      }
      return fn();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(file: OpenedFile, path: string, payload: Buffer): Promise<void> {
    if (payload.length > LEDGER_MAX_PAYLOAD) throw badArgument(this.#tenant, `entry of ${payload.length} bytes exceeds the ${LEDGER_MAX_PAYLOAD}-byte limit`);
    const frame = encodeLedgerFrame(payload);
    try {
      await file.handle.write(frame, file.size);
      await file.handle.sync();
    } catch (cause) {
      try {
        await file.handle.truncate(file.size);
        await file.handle.sync();
      } catch (e) {
        this.#broken = e as Error;
      }
      throw new MeshlogError(LedgerErrors.LEDGER_WRITE_FAILED, `Cannot append to ledger file "${path}" at offset ${file.size}: ${(cause as Error).message}`, {
        cause,
      });
    }
    file.size += frame.length;
  }
}

// Ledger on-disk format and entry model: file names, headers, CRC frames, entries, checkpoint body and hash.

import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { canonicalJson } from "./canonical-json.js";

/** Append-only file of ledger entries (one per Merkle leaf), in leaf order. */
export const LEDGER_ENTRIES_FILE = "entries.bin";
/** Append-only file of signed checkpoints, in seq order. */
export const LEDGER_CHECKPOINTS_FILE = "checkpoints.bin";
export const LEDGER_ENTRIES_MAGIC = Buffer.from("MLOGLDE\0", "latin1");
export const LEDGER_CHECKPOINTS_MAGIC = Buffer.from("MLOGLDC\0", "latin1");
export const LEDGER_FORMAT_VERSION = 1;
/** File header: 8-byte magic, u16 LE format version, u16 LE flags (0). */
export const LEDGER_HEADER_SIZE = 12;
/** Frame header: u32 LE payload length, u32 LE CRC32 over (length bytes ‖ payload). */
export const LEDGER_FRAME_HEADER_SIZE = 8;
/** Largest payload of one frame; longer frames are corrupt (and appends that large are refused). */
export const LEDGER_MAX_PAYLOAD = 16 * 1024 * 1024;
/** prevCheckpointHash of the first checkpoint. */
export const GENESIS_CHECKPOINT_HASH = "0".repeat(64);

/** A sealed block as recorded in the ledger (its header hash is what the tree commits to). */
export interface BlockEntry {
  readonly blockId: string;
  /** Hex SHA-256 of the block header (which commits to ciphertext hash, records root, key id...). */
  readonly headerHash: string;
  readonly streamId: string;
  readonly records: number;
  readonly minTime: string;
  readonly maxTime: string;
}

/** A signed statement that blocks were deleted (retention, deletion request), kept forever. */
export interface Tombstone {
  readonly reason: string;
  readonly policy?: string;
  readonly blockIds: readonly string[];
  /** Header hashes of the deleted blocks, in the order of blockIds. */
  readonly headerHashes: readonly string[];
  /** KEK ids of the deleted blocks (destroyed or about to be). */
  readonly keyIds: readonly string[];
  readonly principal?: string;
  /** When the deletion was executed. */
  readonly time: string;
  /** Replace-with-proof (compaction): the blocks now holding every record of the deleted ones. */
  readonly replacedBy?: TombstoneReplacement;
}

/** The replacement blocks of a compaction tombstone and the number of records they took over. */
export interface TombstoneReplacement {
  readonly blockIds: readonly string[];
  /** Header hashes of the replacement blocks, in the order of blockIds. */
  readonly headerHashes: readonly string[];
  /** Records moved: the deleted blocks' total, equal to the replacements' total. */
  readonly records: number;
}

/** Any other fact the ledger must make tamper-evident: KEK destroyed, policy change, deletion request... */
export interface LedgerEvent {
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
}

interface EntryBase {
  /** Leaf index (0-based position in the entries file). */
  readonly index: number;
  readonly tenant: string;
  /** When the entry was appended, RFC 3339 with nanoseconds, UTC. */
  readonly time: string;
}

/** One leaf of the tenant's Merkle tree. Leaf data = canonicalJson(entry) (the exact stored bytes). */
export type LedgerEntry =
  | (EntryBase & { readonly type: "block"; readonly block: BlockEntry })
  | (EntryBase & { readonly type: "tombstone"; readonly tombstone: Tombstone })
  | (EntryBase & { readonly type: "event"; readonly event: LedgerEvent });

/** A signed tree head, chained to the previous one. */
export interface Checkpoint {
  /** Unique name of the log: `meshlog.ledger/<tenant>`. */
  readonly origin: string;
  readonly tenant: string;
  readonly treeSize: number;
  /** Hex Merkle root at treeSize. */
  readonly rootHash: string;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly time: string;
  /** 1 for the first checkpoint, then +1 each. */
  readonly seq: number;
  /** Hex checkpointHash of the previous checkpoint; GENESIS_CHECKPOINT_HASH for seq 1. */
  readonly prevCheckpointHash: string;
  /** Signing key id (Signer.keyId()). */
  readonly keyId: string;
  /** Base64 Ed25519 signature over checkpointBody(). */
  readonly signature: string;
}

export function ledgerOrigin(tenant: string): string {
  return `meshlog.ledger/${tenant}`;
}

/**
 * The exact bytes that are signed: a C2SP tlog-checkpoint body (origin, tree size, base64 root) followed
 * by extension lines binding time, seq, the previous checkpoint and the key id. Every line ends with \n.
 */
export function checkpointBody(cp: Omit<Checkpoint, "signature">): Buffer {
  const root = Buffer.from(cp.rootHash, "hex").toString("base64");
  return Buffer.from(`${cp.origin}\n${cp.treeSize}\n${root}\ntime ${cp.time}\nseq ${cp.seq}\nprev ${cp.prevCheckpointHash}\nkey ${cp.keyId}\n`, "utf8");
}

/** Hex SHA-256 of the checkpoint's canonical JSON (signature included): what the next one chains to. */
export function checkpointHash(cp: Checkpoint): string {
  return createHash("sha256").update(canonicalJson(cp)).digest("hex");
}

export function encodeLedgerHeader(magic: Buffer): Buffer {
  const b = Buffer.alloc(LEDGER_HEADER_SIZE);
  magic.copy(b, 0);
  b.writeUInt16LE(LEDGER_FORMAT_VERSION, 8);
  return b;
}

/** Problem with a file header, or undefined when it is a supported header of this kind. */
export function checkLedgerHeader(data: Buffer, magic: Buffer): string | undefined {
  if (data.length < LEDGER_HEADER_SIZE) return `file is ${data.length} bytes, shorter than the ${LEDGER_HEADER_SIZE}-byte header`;
  if (!data.subarray(0, 8).equals(magic)) return `bad magic (expected "${magic.toString("latin1").replace("\0", "\\0")}")`;
  const v = data.readUInt16LE(8);
  if (v !== LEDGER_FORMAT_VERSION) return `unsupported format version ${v}`;
  return undefined;
}

function frameCrc(payload: Uint8Array, lenBytes: Uint8Array): number {
  return crc32(payload, crc32(lenBytes));
}

export function encodeLedgerFrame(payload: Uint8Array): Buffer {
  const b = Buffer.alloc(LEDGER_FRAME_HEADER_SIZE + payload.length);
  b.writeUInt32LE(payload.length, 0);
  b.set(payload, LEDGER_FRAME_HEADER_SIZE);
  b.writeUInt32LE(frameCrc(payload, b.subarray(0, 4)), 4);
  return b;
}

export interface ScannedFrame {
  readonly offset: number;
  readonly payload: Buffer;
}

/** Result of scanning a file's frames (after the header). */
export interface FrameScan {
  readonly frames: ScannedFrame[];
  /** End of the last valid frame: where the next frame goes. */
  readonly validEnd: number;
  /** Bytes after validEnd that look like an interrupted append (incomplete frame or zero fill). */
  readonly tornBytes: number;
  /** First corruption that is not a torn tail: offset and what is wrong. */
  readonly corrupt?: { readonly offset: number; readonly problem: string };
}

/**
 * Scans CRC frames from LEDGER_HEADER_SIZE. A trailing incomplete frame or an all-zero tail is a torn
 * append (reported in tornBytes); a complete frame with a bad checksum or an impossible length is
 * corruption, and scanning stops there.
 */
export function scanLedgerFrames(data: Buffer): FrameScan {
  const frames: ScannedFrame[] = [];
  let o = LEDGER_HEADER_SIZE;
  while (o < data.length) {
    const rest = data.length - o;
    const zeroTail = (): boolean => data.subarray(o).every((b) => b === 0);
    if (rest < LEDGER_FRAME_HEADER_SIZE) return { frames, validEnd: o, tornBytes: rest };
    const len = data.readUInt32LE(o);
    if (len > LEDGER_MAX_PAYLOAD) {
      if (zeroTail()) return { frames, validEnd: o, tornBytes: rest };
      return { frames, validEnd: o, tornBytes: 0, corrupt: { offset: o, problem: `frame length ${len} exceeds the ${LEDGER_MAX_PAYLOAD}-byte limit` } };
    }
    if (LEDGER_FRAME_HEADER_SIZE + len > rest) return { frames, validEnd: o, tornBytes: rest };
    const payload = data.subarray(o + LEDGER_FRAME_HEADER_SIZE, o + LEDGER_FRAME_HEADER_SIZE + len);
    if (frameCrc(payload, data.subarray(o, o + 4)) !== data.readUInt32LE(o + 4)) {
      if (zeroTail()) return { frames, validEnd: o, tornBytes: rest };
      return { frames, validEnd: o, tornBytes: 0, corrupt: { offset: o, problem: "frame checksum mismatch" } };
    }
    frames.push({ offset: o, payload: Buffer.from(payload) });
    o += LEDGER_FRAME_HEADER_SIZE + len;
  }
  return { frames, validEnd: o, tornBytes: 0 };
}

// What the engine needs from the key ring and the ledger, as narrow interfaces (adapters in default-security.ts).

/** Envelope keys for blocks (crypto/keyring.ts KeyRing satisfies this). */
export interface BlockKeyRing {
  newDataKey(tenant: string, retentionClass: string, periodMonth: string): Promise<{ keyId: string; dataKey: Buffer; wrappedKey: Buffer }>;
  /** Throws MeshlogError KEY_UNAVAILABLE when the key-encryption key was destroyed. */
  unwrapDataKey(keyId: string, wrappedKey: Buffer): Promise<Buffer>;
}

/** The entry the engine appends to a tenant ledger for each sealed block. */
export interface LedgerBlockEntry {
  readonly blockId: string;
  /** SHA-256 (hex) of the block header bytes. */
  readonly headerHash: string;
  readonly streamId: string;
  readonly records: number;
  /** Decimal nanoseconds. */
  readonly minTime: string;
  readonly maxTime: string;
}

/** A signed statement that blocks were deleted on purpose (same shape as the ledger's Tombstone). */
export interface LedgerTombstone {
  readonly reason: string;
  readonly policy?: string;
  readonly blockIds: readonly string[];
  readonly headerHashes: readonly string[];
  readonly keyIds: readonly string[];
  readonly principal?: string;
  /** RFC 3339 time of the deletion. */
  readonly time: string;
  /** Compaction (replace-with-proof): the blocks that took over every record, and how many records moved. */
  readonly replacedBy?: { readonly blockIds: readonly string[]; readonly headerHashes: readonly string[]; readonly records: number };
}

/** A tenant ledger as the engine uses it (ledger/ledger.ts Ledger, through an adapter). */
export interface BlockLedger {
  appendBlock(e: LedgerBlockEntry): Promise<number>;
  /** Records a deletion (ledger/ledger-format.ts Tombstone). */
  appendTombstone(t: LedgerTombstone): Promise<number>;
  /** Signs a checkpoint over the current tree. */
  checkpoint(): Promise<unknown>;
  /** Header hashes of every block entry in the ledger. */
  blockHeaderHashes(): ReadonlySet<string>;
  /** Block ids covered by tombstones (deleted on purpose). */
  tombstonedBlockIds(): ReadonlySet<string>;
  /** Waits for pending appends and releases files. */
  close(): Promise<void>;
  /** The underlying ledger object (for retention and proofs). */
  readonly raw: unknown;
}

/** Everything security-related the engine needs, injectable for tests. */
export interface SecurityProvider {
  readonly keyRing: BlockKeyRing;
  openLedger(tenant: string, dir: string): Promise<BlockLedger>;
}

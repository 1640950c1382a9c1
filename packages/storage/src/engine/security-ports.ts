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

/** A tenant ledger as the engine uses it (ledger/ledger.ts Ledger, through an adapter). */
export interface BlockLedger {
  appendBlock(e: LedgerBlockEntry): Promise<number>;
  /** Signs a checkpoint over the current tree. */
  checkpoint(): Promise<unknown>;
  /** Header hashes of every block entry in the ledger. */
  blockHeaderHashes(): ReadonlySet<string>;
  /** Block ids covered by tombstones (deleted on purpose). */
  tombstonedBlockIds(): ReadonlySet<string>;
  /** The underlying ledger object (for retention and proofs). */
  readonly raw: unknown;
}

/** Everything security-related the engine needs, injectable for tests. */
export interface SecurityProvider {
  readonly keyRing: BlockKeyRing;
  openLedger(tenant: string, dir: string): Promise<BlockLedger>;
}

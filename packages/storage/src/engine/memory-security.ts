// In-memory key ring and ledger for engine tests that do not exercise crypto/ and ledger/ themselves.

import { randomBytes } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { openAesGcm, sealAesGcm } from "../crypto/aead.js";
import type { BlockKeyRing, BlockLedger, LedgerBlockEntry, LedgerTombstone, SecurityProvider } from "./security-ports.js";

/** Keeps key-encryption keys in memory (lost with the object: use one instance across reopen in tests). */
export class MemoryKeyRing implements BlockKeyRing {
  readonly #keks = new Map<string, Buffer>();

  async newDataKey(tenant: string, retentionClass: string, periodMonth: string): Promise<{ keyId: string; dataKey: Buffer; wrappedKey: Buffer }> {
    const keyId = `${tenant}/${retentionClass}/${periodMonth}`;
    let kek = this.#keks.get(keyId);
    if (kek === undefined) this.#keks.set(keyId, (kek = randomBytes(32)));
    const dataKey = randomBytes(32);
    return { keyId, dataKey: Buffer.from(dataKey), wrappedKey: sealAesGcm(kek, dataKey, Buffer.from(keyId)) };
  }

  async unwrapDataKey(keyId: string, wrappedKey: Buffer): Promise<Buffer> {
    const kek = this.#keks.get(keyId);
    if (kek === undefined) throw new MeshlogError("KEY_UNAVAILABLE", `Key ${keyId} is not in the key ring`);
    return openAesGcm(kek, wrappedKey, Buffer.from(keyId));
  }

  destroy(keyId: string): void {
    this.#keks.delete(keyId);
  }
}

/** Ledger that only remembers block entries and counts checkpoints. */
export class MemoryLedger implements BlockLedger {
  readonly entries: LedgerBlockEntry[] = [];
  readonly tombstones: LedgerTombstone[] = [];
  checkpoints = 0;
  readonly raw: unknown = this;
  async appendTombstone(t: LedgerTombstone): Promise<number> {
    this.tombstones.push(t);
    return this.entries.length + this.tombstones.length - 1;
  }
  async appendBlock(e: LedgerBlockEntry): Promise<number> {
    this.entries.push(e);
    return this.entries.length - 1;
  }
  async checkpoint(): Promise<unknown> {
    return ++this.checkpoints;
  }
  blockHeaderHashes(): ReadonlySet<string> {
    return new Set(this.entries.map((e) => e.headerHash));
  }
  tombstonedBlockIds(): ReadonlySet<string> {
    return new Set(this.tombstones.flatMap((t) => t.blockIds));
  }
  async close(): Promise<void> {}
}

/** A SecurityProvider whose state survives store reopen as long as the same instance is passed. */
export class MemorySecurity implements SecurityProvider {
  readonly keyRing = new MemoryKeyRing();
  readonly ledgers = new Map<string, MemoryLedger>();
  async openLedger(tenant: string): Promise<MemoryLedger> {
    let l = this.ledgers.get(tenant);
    if (l === undefined) this.ledgers.set(tenant, (l = new MemoryLedger()));
    return l;
  }
}

// Adapts ledger/ledger.ts Ledger to the engine's BlockLedger port.

import type { Clock } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { Ledger } from "../ledger/ledger.js";
import type { Signer } from "../ledger/signer.js";
import type { BlockLedger, LedgerBlockEntry, LedgerTombstone } from "./security-ports.js";

export class LedgerAdapter implements BlockLedger {
  readonly raw: Ledger;

  constructor(ledger: Ledger) {
    this.raw = ledger;
  }

  static async open(fs: FileSystem, dir: string, tenant: string, signer: Signer, clock?: Clock): Promise<LedgerAdapter> {
    return new LedgerAdapter(await Ledger.open(fs, dir, tenant, signer, clock));
  }

  appendBlock(e: LedgerBlockEntry): Promise<number> {
    return this.raw.appendBlock(e);
  }

  appendTombstone(t: LedgerTombstone): Promise<number> {
    return this.raw.appendTombstone(t);
  }

  checkpoint(): Promise<unknown> {
    return this.raw.checkpoint();
  }

  blockHeaderHashes(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const e of this.raw.entries()) if (e.type === "block") out.add(e.block.headerHash);
    return out;
  }

  tombstonedBlockIds(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const e of this.raw.entries()) if (e.type === "tombstone") for (const id of e.tombstone.blockIds) out.add(id);
    return out;
  }

  close(): Promise<void> {
    return this.raw.close();
  }
}

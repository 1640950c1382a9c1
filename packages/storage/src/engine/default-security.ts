// Default SecurityProvider: the key ring of crypto/ and the ledger of ledger/ on the data folder.

import type { Clock } from "@meshlog/core";
import { KeyRing } from "../crypto/keyring.js";
import type { DataLayout } from "../file-names.js";
import type { FileSystem } from "../io/file-system.js";
import { Signer } from "../ledger/signer.js";
import { LedgerAdapter } from "./ledger-adapter.js";
import type { SecurityProvider } from "./security-ports.js";

/**
 * Opens DATA/keys: the key ring (master key from `masterKey`, else DATA/keys/master.key) and the Ed25519
 * checkpoint signer. Tenant ledgers open on first use in DATA/tenants/<tenant>/ledger.
 */
export async function defaultSecurity(fs: FileSystem, layout: DataLayout, masterKey: Buffer | undefined, clock: Clock | undefined): Promise<SecurityProvider> {
  const keyRing = await KeyRing.open(fs, layout.keysDir, { ...(masterKey === undefined ? {} : { masterKey }), ...(clock === undefined ? {} : { clock }) });
  const signer = await Signer.open(fs, layout.keysDir);
  return {
    keyRing,
    openLedger: (tenant, dir) => LedgerAdapter.open(fs, dir, tenant, signer, clock),
  };
}

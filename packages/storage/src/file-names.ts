// Every on-disk name of the embedded engine: folders, file names, magics and format versions (one place).

/**
 * Data folder layout:
 *   DATA/wal/<segment:020>.wal                      WAL segments
 *   DATA/wal/quarantine/                             segments with mid-file corruption
 *   DATA/keys/                                       key ring and signing key (crypto/ledger own the files)
 *   DATA/tenants/<tenant>/blocks/<blockId>.blk       sealed blocks
 *   DATA/tenants/<tenant>/catalog.bin                stream/block catalog (rebuildable from block headers)
 *   DATA/tenants/<tenant>/ledger/                    ledger (files named by the ledger code)
 *   DATA/tenants/<tenant>/quarantine/                corrupt or orphaned block files
 */
export interface DataLayout {
  readonly root: string;
  readonly walDir: string;
  readonly walQuarantineDir: string;
  readonly keysDir: string;
  readonly tenantsDir: string;
  tenantDir(tenant: string): string;
  blocksDir(tenant: string): string;
  blockFile(tenant: string, blockId: string): string;
  catalogFile(tenant: string): string;
  ledgerDir(tenant: string): string;
  quarantineDir(tenant: string): string;
  walSegmentFile(segment: number): string;
}

export const WAL_DIR = "wal";
export const KEYS_DIR = "keys";
export const TENANTS_DIR = "tenants";
export const BLOCKS_DIR = "blocks";
export const LEDGER_DIR = "ledger";
export const QUARANTINE_DIR = "quarantine";
export const CATALOG_FILE = "catalog.bin";
export const WAL_SUFFIX = ".wal";
export const BLOCK_SUFFIX = ".blk";
/** DATA/retention/: policies.json, holds.json and certificates/<id>.json of the retention feature. */
export const RETENTION_DIR = "retention";
export const RETENTION_CERTIFICATES_DIR = "certificates";
/** Default name of the file where `verifyDataDir` keeps the latest checkpoint it saw per tenant. */
export const VERIFY_WITNESS_FILE = "verify-witness.json";

/** 8-byte magics at the start of each file kind, followed by a little-endian u16 format version. */
export const WAL_MAGIC = Buffer.from("MLOGWAL\0", "latin1");
export const BLOCK_MAGIC = Buffer.from("MLOGBLK\0", "latin1");
export const CATALOG_MAGIC = Buffer.from("MLOGCAT\0", "latin1");
export const WAL_FORMAT_VERSION = 1;
export const BLOCK_FORMAT_VERSION = 1;
export const CATALOG_FORMAT_VERSION = 1;

/** Builds the layout of a data folder, joining paths with the given FileSystem's `join`. */
export function dataLayout(root: string, join: (...parts: string[]) => string): DataLayout {
  const walDir = join(root, WAL_DIR);
  const tenantsDir = join(root, TENANTS_DIR);
  const tenantDir = (t: string): string => join(tenantsDir, t);
  return {
    root,
    walDir,
    walQuarantineDir: join(walDir, QUARANTINE_DIR),
    keysDir: join(root, KEYS_DIR),
    tenantsDir,
    tenantDir,
    blocksDir: (t) => join(tenantDir(t), BLOCKS_DIR),
    blockFile: (t, id) => join(tenantDir(t), BLOCKS_DIR, blockFileName(id)),
    catalogFile: (t) => join(tenantDir(t), CATALOG_FILE),
    ledgerDir: (t) => join(tenantDir(t), LEDGER_DIR),
    quarantineDir: (t) => join(tenantDir(t), QUARANTINE_DIR),
    walSegmentFile: (n) => join(walDir, walSegmentName(n)),
  };
}

export function walSegmentName(segment: number): string {
  return `${String(segment).padStart(20, "0")}${WAL_SUFFIX}`;
}

/** The segment number of a WAL file name, or undefined when the name is not a WAL segment. */
export function parseWalSegmentName(name: string): number | undefined {
  const m = /^(\d{20})\.wal$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

export function blockFileName(blockId: string): string {
  return `${blockId}${BLOCK_SUFFIX}`;
}

/** The block id of a block file name, or undefined when the name is not a block file. */
export function parseBlockFileName(name: string): string | undefined {
  const m = /^([0-9a-z]{8,64})\.blk$/.exec(name);
  return m === null ? undefined : m[1];
}

/** Name for a quarantined copy of a file: keeps the original name, adds the reason and a time stamp. */
export function quarantineName(name: string, reason: string, nowMs: number): string {
  return `${name}.${reason.replace(/[^a-z0-9-]/gi, "-")}.${nowMs}`;
}

// Stores deletion certificates as DATA/retention/certificates/<id>.json and checks them against ledgers (verify).

import { MeshlogError } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import type { LedgerEntry } from "../ledger/ledger-format.js";
import { certificateProblems, type DeletionCertificate } from "./deletion-certificate.js";
import { RetentionErrors } from "./errors.js";
import { readJsonFile, retentionPaths, writeJsonFile, type RetentionPaths } from "./retention-files.js";

const CERT_FILE = /^([a-zA-Z0-9_][a-zA-Z0-9_.-]{0,63})\.(\d{1,15})\.json$/;

export class CertificateStore {
  readonly #fs: FileSystem;
  readonly #paths: RetentionPaths;
  #ids: Set<string> | undefined;

  constructor(fs: FileSystem, dataDir: string) {
    this.#fs = fs;
    this.#paths = retentionPaths(fs, dataDir);
  }

  async #index(): Promise<Set<string>> {
    this.#ids ??= new Set((await this.#fs.readdir(this.#paths.certificatesDir)).filter((n) => CERT_FILE.test(n)).map((n) => n.slice(0, -".json".length)));
    return this.#ids;
  }

  async has(id: string): Promise<boolean> {
    return (await this.#index()).has(id);
  }

  /** Writes a certificate durably (atomic, 0600). */
  async put(cert: DeletionCertificate): Promise<void> {
    if (!CERT_FILE.test(`${cert.id}.json`)) throw new Error(`BUG: certificate id ${JSON.stringify(cert.id)} is not a valid file name`);
    await writeJsonFile(this.#fs, this.#fs.join(this.#paths.certificatesDir, `${cert.id}.json`), this.#paths.certificatesDir, cert);
    (await this.#index()).add(cert.id);
  }

  /** The certificate with this id; RETENTION_CERTIFICATE_UNKNOWN when there is none. */
  async get(id: string): Promise<DeletionCertificate> {
    if (!CERT_FILE.test(`${id}.json`) || !(await this.has(id)))
      throw new MeshlogError(RetentionErrors.RETENTION_CERTIFICATE_UNKNOWN, `No deletion certificate has id ${JSON.stringify(id)}`);
    return (await readJsonFile(this.#fs, this.#fs.join(this.#paths.certificatesDir, `${id}.json`))) as DeletionCertificate;
  }

  /** Certificates (optionally of some tenants), newest first. */
  async list(tenants?: readonly string[]): Promise<DeletionCertificate[]> {
    const out: DeletionCertificate[] = [];
    for (const id of await this.#index()) {
      const m = CERT_FILE.exec(`${id}.json`);
      if (m === null || (tenants !== undefined && !tenants.includes(m[1] as string))) continue;
      out.push(await this.get(id));
    }
    return out.sort((a, b) => (a.when === b.when ? (a.id < b.id ? 1 : -1) : a.when < b.when ? 1 : -1));
  }
}

export interface CertificateCheckProblem {
  readonly tenant: string;
  readonly file: string;
  readonly message: string;
}

/**
 * Checks every certificate file of a data folder against the given verified ledger entries per tenant
 * (verify). A certificate whose tenant has no ledger, or that does not parse, is a problem too.
 */
export async function checkCertificates(
  fs: FileSystem,
  dataDir: string,
  entriesOf: ReadonlyMap<string, readonly LedgerEntry[]>,
): Promise<CertificateCheckProblem[]> {
  const dir = retentionPaths(fs, dataDir).certificatesDir;
  const problems: CertificateCheckProblem[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const m = CERT_FILE.exec(name);
    if (m === null) continue;
    const file = fs.join(dir, name);
    const tenant = m[1] as string;
    let cert: DeletionCertificate;
    try {
      cert = JSON.parse((await fs.readFile(file)).toString("utf8")) as DeletionCertificate;
      if (cert.tenant !== tenant || cert.ledger?.leafIndex !== Number(m[2]) || !Array.isArray(cert.what?.blocks) || !Array.isArray(cert.ledger?.inclusionProof))
        throw new Error("its id, tenant or leaf index does not match its file name, or fields are missing");
    } catch (e) {
      problems.push({ tenant, file, message: `Deletion certificate "${name}" cannot be read: ${(e as Error).message}` });
      continue;
    }
    const entries = entriesOf.get(tenant);
    if (entries === undefined) {
      problems.push({ tenant, file, message: `Deletion certificate "${name}" names tenant ${tenant}, which has no ledger` });
      continue;
    }
    try {
      for (const message of certificateProblems(cert, entries)) problems.push({ tenant, file, message });
    } catch (e) {
      problems.push({ tenant, file, message: `Deletion certificate "${name}" is malformed: ${(e as Error).message}` });
    }
  }
  return problems;
}

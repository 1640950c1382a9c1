// Persists the tenants' retention policies set through the API in DATA/retention/policies.json.

import { MeshlogError } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { RetentionErrors } from "./errors.js";
import type { RetentionPolicies, TenantPolicy } from "./retention-policy.js";
import { readJsonFile, retentionPaths, writeJsonFile, type RetentionPaths } from "./retention-files.js";

interface PoliciesFile {
  readonly version: 1;
  readonly policies: TenantPolicy[];
}

/** Loads and saves policies; the file wins over config for the tenants it lists (changes are made through the API). */
export class PolicyStore {
  readonly #fs: FileSystem;
  readonly #paths: RetentionPaths;

  constructor(fs: FileSystem, dataDir: string) {
    this.#fs = fs;
    this.#paths = retentionPaths(fs, dataDir);
  }

  /** Installs every stored policy into `into`; a stored policy that no longer validates throws naming the file. */
  async load(into: RetentionPolicies): Promise<number> {
    const raw = (await readJsonFile(this.#fs, this.#paths.policiesFile)) as PoliciesFile | undefined;
    if (raw === undefined) return 0;
    if (typeof raw !== "object" || raw === null || !Array.isArray(raw.policies)) {
      throw new MeshlogError(RetentionErrors.RETENTION_FILE_CORRUPT, `Retention file "${this.#paths.policiesFile}" must hold {"version":1,"policies":[...]}`);
    }
    for (const p of raw.policies) {
      try {
        into.set(p);
      } catch (e) {
        throw new MeshlogError(RetentionErrors.RETENTION_FILE_CORRUPT, `Retention file "${this.#paths.policiesFile}": ${(e as Error).message}`, { cause: e });
      }
    }
    return raw.policies.length;
  }

  async save(from: RetentionPolicies): Promise<void> {
    const body: PoliciesFile = { version: 1, policies: from.list() };
    await writeJsonFile(this.#fs, this.#paths.policiesFile, this.#paths.dir, body);
  }
}

// Principals (users and service accounts) with roles, tenants and scope, persisted in DATA/security/principals.json.

import type { Clock } from "@meshlog/core";
import { MeshlogError } from "@meshlog/core";
import { BOOTSTRAP_PRINCIPAL } from "./bootstrap-authenticator.js";
import { SecurityErrors } from "./errors.js";
import type { Principal, Role } from "./principal.js";
import { readPrivateJson, writePrivateJson } from "./secure-file.js";
import type { PrincipalCreateInput, PrincipalUpdateInput } from "./security-input.js";

/** A stored principal. Times are RFC 3339 (milliseconds). */
export interface PrincipalRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: "user" | "service" | "bootstrap";
  readonly tenant: string;
  readonly roles: readonly Role[];
  readonly scope?: string;
  readonly tenants: readonly string[] | "*";
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

const FILE_VERSION = 1;

/** The principal list. Invariant: ids are unique; the bootstrap principal is built in and read-only. */
export class PrincipalStore {
  readonly #file: string;
  readonly #clock: Clock;
  readonly #byId = new Map<string, PrincipalRecord>();
  readonly #bootstrap: PrincipalRecord;

  constructor(file: string, clock: Clock) {
    this.#file = file;
    this.#clock = clock;
    const epoch = new Date(0).toISOString();
    this.#bootstrap = { ...BOOTSTRAP_PRINCIPAL, disabled: false, createdAt: epoch, createdBy: "system", updatedAt: epoch, updatedBy: "system" };
    const raw = readPrivateJson(file);
    if (raw === undefined) return;
    const list = (raw as { principals?: unknown }).principals;
    if (!Array.isArray(list)) throw new MeshlogError(SecurityErrors.SECURITY_STATE_CORRUPT, `${file}: "principals" must be an array`);
    for (const p of list as PrincipalRecord[]) {
      if (typeof p?.id !== "string" || !Array.isArray(p.roles) || typeof p.tenant !== "string") {
        throw new MeshlogError(SecurityErrors.SECURITY_STATE_CORRUPT, `${file}: malformed principal entry ${JSON.stringify(p).slice(0, 120)}`);
      }
      this.#byId.set(p.id, p);
    }
  }

  /** All principals, the built-in bootstrap admin first. */
  list(): PrincipalRecord[] {
    return [this.#bootstrap, ...[...this.#byId.values()].sort((a, b) => a.id.localeCompare(b.id))];
  }

  get(id: string): PrincipalRecord | undefined {
    return id === this.#bootstrap.id ? this.#bootstrap : this.#byId.get(id);
  }

  create(input: PrincipalCreateInput, by: string): PrincipalRecord {
    if (this.get(input.id) !== undefined) throw new MeshlogError(SecurityErrors.SECURITY_PRINCIPAL_EXISTS, `principal "${input.id}" already exists`);
    const now = new Date(this.#clock.nowMs()).toISOString();
    const rec: PrincipalRecord = {
      id: input.id,
      name: input.name ?? input.id,
      kind: input.kind,
      tenant: input.tenant,
      roles: [...new Set(input.roles)],
      ...(input.scope !== undefined ? { scope: input.scope } : {}),
      tenants: input.tenants ?? [],
      disabled: input.disabled ?? false,
      createdAt: now,
      createdBy: by,
      updatedAt: now,
      updatedBy: by,
    };
    this.#byId.set(rec.id, rec);
    this.#save();
    return rec;
  }

  update(id: string, patch: PrincipalUpdateInput, by: string): PrincipalRecord {
    const cur = this.#mutable(id);
    const { scope: oldScope, ...rest } = cur;
    const scope = patch.scope === null ? undefined : (patch.scope ?? oldScope);
    const next: PrincipalRecord = {
      ...rest,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.tenant !== undefined ? { tenant: patch.tenant } : {}),
      ...(patch.roles !== undefined ? { roles: [...new Set(patch.roles)] } : {}),
      ...(patch.tenants !== undefined ? { tenants: patch.tenants } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(scope !== undefined ? { scope } : {}),
      updatedAt: new Date(this.#clock.nowMs()).toISOString(),
      updatedBy: by,
    };
    this.#byId.set(id, next);
    this.#save();
    return next;
  }

  delete(id: string): PrincipalRecord {
    const cur = this.#mutable(id);
    this.#byId.delete(id);
    this.#save();
    return cur;
  }

  /** The principal as the request layer sees it, or undefined when unknown or disabled. */
  toPrincipal(id: string): Principal | undefined {
    const p = this.get(id);
    if (p === undefined || p.disabled) return undefined;
    return { id: p.id, name: p.name, kind: p.kind, tenant: p.tenant, roles: p.roles, tenants: p.tenants, ...(p.scope !== undefined ? { scope: p.scope } : {}) };
  }

  #mutable(id: string): PrincipalRecord {
    if (id === this.#bootstrap.id)
      throw new MeshlogError(SecurityErrors.SECURITY_BOOTSTRAP_IMMUTABLE, `principal "${id}" is built in and cannot be changed or deleted`);
    const cur = this.#byId.get(id);
    if (cur === undefined) throw new MeshlogError(SecurityErrors.SECURITY_PRINCIPAL_NOT_FOUND, `no principal with id "${id}"`);
    return cur;
  }

  #save(): void {
    writePrivateJson(this.#file, { version: FILE_VERSION, principals: [...this.#byId.values()] });
  }
}

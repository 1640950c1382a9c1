// API tokens: random, shown once, stored as SHA-256 hashes in DATA/security/tokens.json (0600), scoped,
// expiring and revocable. Also the Authenticator that resolves a presented token to its principal.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { MeshlogError, silentLogger, type Clock, type Logger } from "@meshlog/core";
import { generateToken } from "../../bootstrap-token.js";
import { BOOTSTRAP_PRINCIPAL } from "./bootstrap-authenticator.js";
import { SecurityErrors } from "./errors.js";
import type { Authenticator, CredentialKind, Principal, Role } from "./principal.js";
import type { PrincipalStore } from "./principal-store.js";
import { intersectScopes } from "./scope-selector.js";
import { readPrivateJson, writePrivateJson } from "./secure-file.js";

/** Id of the token entry standing for the bootstrap admin token. */
export const BOOTSTRAP_TOKEN_ID = "bootstrap";

/** A stored token (the secret itself is never stored). Times are RFC 3339 (milliseconds). */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: "token" | "bootstrap";
  /** Principal the token acts for (a stored principal, the bootstrap admin, or its own service identity). */
  readonly principalId: string;
  readonly tenant: string;
  readonly roles: readonly Role[];
  readonly scope?: string;
  readonly tenants: readonly string[] | "*";
  /** Hex SHA-256 of the token. */
  readonly hash: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt?: string;
  readonly lastUsedAt?: string;
  readonly revokedAt?: string;
  readonly revokedBy?: string;
}

/** What listings show: everything but the hash. */
export type TokenView = Omit<TokenRecord, "hash"> & { readonly revoked: boolean; readonly expired: boolean };

export interface NewToken {
  readonly name?: string;
  readonly principalId?: string;
  readonly tenant: string;
  readonly roles: readonly Role[];
  readonly scope?: string;
  readonly tenants?: readonly string[] | "*";
  readonly expiresInNs?: bigint;
}

const FILE_VERSION = 1;
/** lastUsedAt is written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Pending lastUsedAt updates are written within this delay. */
const LAST_USED_FLUSH_MS = 5_000;

const sha256 = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

export class TokenStore implements Authenticator {
  readonly #file: string;
  readonly #clock: Clock;
  readonly #principals: PrincipalStore;
  readonly #byId = new Map<string, TokenRecord>();
  readonly #byHash = new Map<string, string>();
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;

  /** Loads tokens.json and upserts the bootstrap admin token's entry (its hash changes when it is rotated). */
  constructor(file: string, clock: Clock, principals: PrincipalStore, bootstrapToken: string, log: Logger = silentLogger) {
    this.#file = file;
    this.#log = log;
    this.#clock = clock;
    this.#principals = principals;
    const raw = readPrivateJson(file);
    if (raw !== undefined) {
      const list = (raw as { tokens?: unknown }).tokens;
      if (!Array.isArray(list)) throw new MeshlogError(SecurityErrors.SECURITY_STATE_CORRUPT, `${file}: "tokens" must be an array`);
      for (const t of list as TokenRecord[]) {
        if (typeof t?.id !== "string" || typeof t.hash !== "string" || !/^[0-9a-f]{64}$/.test(t.hash) || !Array.isArray(t.roles)) {
          throw new MeshlogError(SecurityErrors.SECURITY_STATE_CORRUPT, `${file}: malformed token entry ${JSON.stringify(t?.id ?? null)}`);
        }
        this.#put(t);
      }
    }
    const hash = sha256(bootstrapToken).toString("hex");
    const cur = this.#byId.get(BOOTSTRAP_TOKEN_ID);
    if (cur === undefined || cur.hash !== hash) {
      if (cur !== undefined) this.#byHash.delete(cur.hash);
      this.#put({
        id: BOOTSTRAP_TOKEN_ID,
        name: "bootstrap admin token",
        kind: "bootstrap",
        principalId: BOOTSTRAP_PRINCIPAL.id,
        tenant: BOOTSTRAP_PRINCIPAL.tenant,
        roles: BOOTSTRAP_PRINCIPAL.roles,
        tenants: "*",
        hash,
        createdAt: this.#now(),
        createdBy: "system",
      });
      this.#save();
    }
  }

  /** Creates a token; returns its record and the secret (the only time it is available). */
  create(spec: NewToken, by: string): { record: TokenRecord; token: string } {
    const token = generateToken();
    const id = `tk_${randomBytes(9).toString("base64url")}`;
    const nowMs = this.#clock.nowMs();
    const record: TokenRecord = {
      id,
      name: spec.name ?? id,
      kind: "token",
      principalId: spec.principalId ?? `svc-${id}`,
      tenant: spec.tenant,
      roles: [...new Set(spec.roles)],
      ...(spec.scope !== undefined ? { scope: spec.scope } : {}),
      tenants: spec.tenants ?? [],
      hash: sha256(token).toString("hex"),
      createdAt: new Date(nowMs).toISOString(),
      createdBy: by,
      ...(spec.expiresInNs !== undefined ? { expiresAt: new Date(nowMs + Number(spec.expiresInNs / 1_000_000n)).toISOString() } : {}),
    };
    this.#put(record);
    this.#save();
    return { record, token };
  }

  /** Every token, bootstrap entry first, never with secrets or hashes. */
  list(): TokenView[] {
    return [...this.#byId.values()]
      .sort((a, b) => (a.kind === b.kind ? a.createdAt.localeCompare(b.createdAt) : a.kind === "bootstrap" ? -1 : 1))
      .map((t) => this.#view(t));
  }

  get(id: string): TokenView | undefined {
    const t = this.#byId.get(id);
    return t === undefined ? undefined : this.#view(t);
  }

  /** Revokes a token (idempotent: the first revocation time is kept). */
  revoke(id: string, by: string): TokenView {
    if (id === BOOTSTRAP_TOKEN_ID) {
      throw new MeshlogError(
        SecurityErrors.SECURITY_BOOTSTRAP_IMMUTABLE,
        "the bootstrap admin token cannot be revoked through the API; rotate it by changing MESHLOG_ADMIN_TOKEN or replacing DATA/admin.token",
      );
    }
    const t = this.#byId.get(id);
    if (t === undefined) throw new MeshlogError(SecurityErrors.SECURITY_TOKEN_NOT_FOUND, `no token with id "${id}"`);
    if (t.revokedAt === undefined) {
      this.#byId.set(id, { ...t, revokedAt: this.#now(), revokedBy: by });
      this.#save();
    }
    return this.#view(this.#byId.get(id) as TokenRecord);
  }

  /** Resolves a token to its effective principal; undefined when unknown, revoked, expired or its principal is gone. */
  async authenticate(secret: string, _kind: CredentialKind): Promise<Principal | undefined> {
    return this.authenticateSync(secret);
  }

  /**
   * Why a secret that failed to authenticate was refused, when it is one of this store's tokens (for the
   * audit trail: a revoked or expired token in use is worth knowing). Undefined for unknown secrets.
   */
  refusalOf(secret: string): { tokenId: string; reason: "revoked" | "expired" | "principal" } | undefined {
    if (secret.length === 0 || secret.length > 1024) return undefined;
    const id = this.#byHash.get(sha256(secret).toString("hex"));
    const t = id === undefined ? undefined : this.#byId.get(id);
    if (t === undefined) return undefined;
    if (t.revokedAt !== undefined) return { tokenId: t.id, reason: "revoked" };
    if (t.expiresAt !== undefined && Date.parse(t.expiresAt) <= this.#clock.nowMs()) return { tokenId: t.id, reason: "expired" };
    return { tokenId: t.id, reason: "principal" };
  }

  authenticateSync(secret: string): Principal | undefined {
    if (secret.length === 0 || secret.length > 1024) return undefined;
    const digest = sha256(secret);
    const id = this.#byHash.get(digest.toString("hex"));
    const t = id === undefined ? undefined : this.#byId.get(id);
    // The lookup is by hash (no secret-dependent timing); compare again in constant time as a guard.
    if (t === undefined || !timingSafeEqual(digest, Buffer.from(t.hash, "hex"))) return undefined;
    const nowMs = this.#clock.nowMs();
    if (t.revokedAt !== undefined) return undefined;
    if (t.expiresAt !== undefined && Date.parse(t.expiresAt) <= nowMs) return undefined;
    const principal = this.#effective(t);
    if (principal === undefined) return undefined;
    if (t.lastUsedAt === undefined || nowMs - Date.parse(t.lastUsedAt) >= LAST_USED_RESOLUTION_MS) {
      this.#byId.set(t.id, { ...t, lastUsedAt: new Date(nowMs).toISOString() });
      this.#saveSoon();
    }
    return principal;
  }

  /**
   * The principal a token acts as. A token bound to a stored principal gets the intersection of both:
   * roles in both (an admin principal holds every role), tenants in both, and both scopes.
   */
  #effective(t: TokenRecord): Principal | undefined {
    if (t.kind === "bootstrap") return { ...BOOTSTRAP_PRINCIPAL, tokenId: t.id };
    const owner = this.#principals.get(t.principalId);
    if (owner === undefined) {
      if (!t.principalId.startsWith("svc-")) return undefined; // bound principal was deleted
      return {
        id: t.principalId,
        name: t.name,
        kind: "service",
        tenant: t.tenant,
        roles: t.roles,
        tenants: t.tenants,
        tokenId: t.id,
        ...(t.scope !== undefined ? { scope: t.scope } : {}),
      };
    }
    if (owner.disabled) return undefined;
    const roles = owner.roles.includes("admin") ? t.roles : t.roles.filter((r) => owner.roles.includes(r));
    if (roles.length === 0) return undefined;
    const tenantOk = (x: string): boolean => owner.tenant === x || owner.tenants === "*" || owner.tenants.includes(x);
    if (!tenantOk(t.tenant)) return undefined;
    const tenants = t.tenants === "*" ? (owner.tenants === "*" ? "*" : [owner.tenant, ...owner.tenants]) : t.tenants.filter(tenantOk);
    const scope = intersectScopes(owner.scope, t.scope);
    return { id: owner.id, name: owner.name, kind: owner.kind, tenant: t.tenant, roles, tenants, tokenId: t.id, ...(scope !== undefined ? { scope } : {}) };
  }

  #view(t: TokenRecord): TokenView {
    const { hash: _hash, ...rest } = t;
    return { ...rest, revoked: t.revokedAt !== undefined, expired: t.expiresAt !== undefined && Date.parse(t.expiresAt) <= this.#clock.nowMs() };
  }

  #put(t: TokenRecord): void {
    this.#byId.set(t.id, t);
    this.#byHash.set(t.hash, t.id);
  }

  #now(): string {
    return new Date(this.#clock.nowMs()).toISOString();
  }

  /** Writes pending lastUsedAt updates now (called at shutdown; creations and revocations are written at once). */
  flush(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#save();
  }

  /** lastUsedAt changes are batched: one write per LAST_USED_FLUSH_MS however many tokens were used. */
  #saveSoon(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#save();
      } catch (err) {
        this.#log.error("cannot write token last-use times; retrying", { err: err as Error, file: this.#file });
        this.#saveSoon();
      }
    }, LAST_USED_FLUSH_MS);
    this.#timer.unref();
  }

  #save(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    writePrivateJson(this.#file, { version: FILE_VERSION, tokens: [...this.#byId.values()] });
  }
}

// Resolves the bootstrap admin token (MESHLOG_ADMIN_TOKEN or DATA/admin.token) to the bootstrap admin principal.

import { createHash, timingSafeEqual } from "node:crypto";
import { DEFAULT_TENANT } from "@meshlog/core";
import type { Authenticator, Principal } from "./principal.js";

const sha256 = (s: string): Buffer => createHash("sha256").update(s).digest();

export const BOOTSTRAP_PRINCIPAL: Principal = {
  id: "bootstrap-admin",
  name: "bootstrap admin",
  kind: "bootstrap",
  tenant: DEFAULT_TENANT,
  roles: ["admin"],
  tenants: "*",
  tokenId: "bootstrap",
};

export class BootstrapAuthenticator implements Authenticator {
  readonly #hash: Buffer;
  constructor(adminToken: string) {
    this.#hash = sha256(adminToken);
  }
  async authenticate(secret: string): Promise<Principal | undefined> {
    return timingSafeEqual(sha256(secret), this.#hash) ? BOOTSTRAP_PRINCIPAL : undefined;
  }
}

/** Tries authenticators in order; the first that knows the secret wins. */
export class ChainAuthenticator implements Authenticator {
  readonly #chain: Authenticator[];
  constructor(chain: Authenticator[]) {
    this.#chain = chain;
  }
  async authenticate(secret: string, kind: Parameters<Authenticator["authenticate"]>[1]): Promise<Principal | undefined> {
    for (const a of this.#chain) {
      const p = await a.authenticate(secret, kind);
      if (p !== undefined) return p;
    }
    return undefined;
  }
}

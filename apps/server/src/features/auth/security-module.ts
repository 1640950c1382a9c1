// The security feature module: checks secret file modes, opens the token and principal stores and makes
// them the server's authenticator. Listed before the http module in serverModules.

import { join } from "node:path";
import type { ServerContext } from "../../context.js";
import type { ServerModule } from "../../modules.js";
import { auditConfigChange } from "../audit/config-change-audit.js";
import { ChainAuthenticator } from "./bootstrap-authenticator.js";
import { PrincipalStore } from "./principal-store.js";
import { assertPrivateFile } from "./secure-file.js";
import { TokenStore } from "./token-store.js";

export const SECURITY_SERVICE = "security";

/** What the security module shares through ctx.services.get("security"). */
export interface SecurityServices {
  readonly tokens: TokenStore;
  readonly principals: PrincipalStore;
}

/** The security services, or undefined when the module is not running (e.g. a bare test app). */
export function securityOf(ctx: ServerContext): SecurityServices | undefined {
  return ctx.services.get(SECURITY_SERVICE) as SecurityServices | undefined;
}

/** Files that hold secrets and must be 0600 (or at least not group/world-accessible) at start. */
export function secretFiles(dataDir: string): string[] {
  return [
    join(dataDir, "admin.token"),
    join(dataDir, "keys", "master.key"),
    join(dataDir, "security", "tokens.json"),
    join(dataDir, "security", "principals.json"),
  ];
}

export const securityModule: ServerModule = {
  name: "security",
  deps: [],
  async start(ctx) {
    for (const f of secretFiles(ctx.dataDir)) assertPrivateFile(f);
    const bootstrap = ctx.services.get("bootstrapToken");
    if (typeof bootstrap !== "string" || bootstrap === "") throw new Error("BUG: the bootstrap token is not in ctx.services");
    const principals = new PrincipalStore(join(ctx.dataDir, "security", "principals.json"), ctx.clock);
    const tokens = new TokenStore(join(ctx.dataDir, "security", "tokens.json"), ctx.clock, principals, bootstrap, ctx.log);
    ctx.auth = new ChainAuthenticator([tokens]);
    const services: SecurityServices = { tokens, principals };
    ctx.services.set(SECURITY_SERVICE, services);
    auditConfigChange(ctx.dataDir, ctx.config, ctx.audit);
    return {
      async stop() {
        tokens.flush();
        ctx.services.delete(SECURITY_SERVICE);
      },
    };
  },
};

// `meshlog token create|list|revoke`: manages API tokens through the server's admin API.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MeshlogClient } from "@meshlog/api";
import { checkFlags, flag, parseArgs, type ParsedArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";

/** Flags every admin command accepts to reach the server. */
export const CONNECTION_FLAGS = ["addr", "token", "data"] as const;

/**
 * The API client for --addr (env MESHLOG_ADDR, default http://127.0.0.1:3100) and --token (env
 * MESHLOG_TOKEN, else DATA/admin.token when --data is given, else MESHLOG_ADMIN_TOKEN, else
 * $MESHLOG_DATA/admin.token or ./data/admin.token when that file exists). `tenant` is sent as X-Scope-OrgID.
 */
export function clientFor(p: ParsedArgs, io: CliIo, tenant?: string): MeshlogClient {
  const addr = flag(p, "addr") ?? io.env.MESHLOG_ADDR ?? "http://127.0.0.1:3100";
  if (!/^https?:\/\//.test(addr)) throw new Error(`--addr must be an http:// or https:// URL, got ${JSON.stringify(addr)}`);
  let token = flag(p, "token") ?? io.env.MESHLOG_TOKEN;
  const data = flag(p, "data");
  if ((token === undefined || token === "") && data !== undefined) {
    const file = join(data, "admin.token");
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (token === undefined || token === "") token = io.env.MESHLOG_ADMIN_TOKEN;
  if ((token === undefined || token === "") && data === undefined) {
    // Like the server: the bootstrap token of MESHLOG_DATA, else of ./data (so `meshlog token create` works beside `npm start`).
    const file = join(io.env.MESHLOG_DATA !== undefined && io.env.MESHLOG_DATA !== "" ? io.env.MESHLOG_DATA : "data", "admin.token");
    if (existsSync(file)) token = readFileSync(file, "utf8").trim();
  }
  if (token === undefined || token === "")
    throw new Error(
      "no token: pass --token, set MESHLOG_TOKEN, or pass --data DIR to use DIR/admin.token (MESHLOG_ADMIN_TOKEN and ./data/admin.token are used when present)",
    );
  return new MeshlogClient({ baseUrl: addr, token, ...(tenant !== undefined ? { tenant } : {}) });
}

/** Output format from --output, checked against the allowed ones. */
export function outputOf<T extends string>(p: ParsedArgs, allowed: readonly T[], fallback: T): T {
  const o = flag(p, "output") ?? fallback;
  if (!(allowed as readonly string[]).includes(o)) throw new Error(`--output must be one of ${allowed.join(", ")}`);
  return o as T;
}

/** Renders rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

interface TokenListEntry {
  id: string;
  name?: string;
  principalId?: string;
  tenant: string;
  roles: string[];
  scope?: string;
  createdAt?: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revoked?: boolean;
  expired?: boolean;
}

const USAGE = `usage:
  meshlog token create --tenant T --role R [--role R ...] [--scope SELECTOR] [--expires-in 30d] [--name N]
                       [--principal ID] [--allow-tenant T ...] [--output text|json]
  meshlog token list [--output text|json]
  meshlog token revoke ID
common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)
`;

async function create(p: ParsedArgs, io: CliIo): Promise<number> {
  checkFlags(p, [...CONNECTION_FLAGS, "tenant", "role", "scope", "expires-in", "name", "principal", "allow-tenant", "output"]);
  const tenant = flag(p, "tenant");
  const roles = p.flags.get("role") ?? [];
  if (tenant === undefined) throw new Error("--tenant is required");
  if (roles.length === 0) throw new Error("at least one --role is required (admin, auditor, analyst, ingest)");
  const output = outputOf(p, ["text", "json"], "text");
  const scope = flag(p, "scope");
  const expiresIn = flag(p, "expires-in");
  const name = flag(p, "name");
  const principal = flag(p, "principal");
  const allow = p.flags.get("allow-tenant");
  const body = {
    tenant,
    roles,
    ...(scope !== undefined ? { scope } : {}),
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(principal !== undefined ? { principal } : {}),
    ...(allow !== undefined ? { tenants: allow.includes("*") ? "*" : allow } : {}),
  };
  const res = await clientFor(p, io).request<{ id: string; token: string; tenant: string; roles: string[]; expiresAt?: string; scope?: string }>(
    "POST",
    "/api/v1/tokens",
    { body },
  );
  if (output === "json") io.out(JSON.stringify(res) + "\n");
  else {
    io.out(res.token + "\n");
    io.err(
      `created token ${res.id} (tenant ${res.tenant}, roles ${res.roles.join(",")}${res.scope !== undefined ? `, scope ${res.scope}` : ""}${res.expiresAt !== undefined ? `, expires ${res.expiresAt}` : ""}); it is shown only once\n`,
    );
  }
  return 0;
}

async function list(p: ParsedArgs, io: CliIo): Promise<number> {
  checkFlags(p, [...CONNECTION_FLAGS, "output"]);
  const output = outputOf(p, ["text", "json"], "text");
  const res = await clientFor(p, io).request<{ tokens: TokenListEntry[] } | TokenListEntry[]>("GET", "/api/v1/tokens");
  const tokens = Array.isArray(res) ? res : res.tokens;
  if (output === "json") {
    io.out(JSON.stringify(tokens) + "\n");
    return 0;
  }
  const status = (t: TokenListEntry): string => (t.revoked === true ? "revoked" : t.expired === true ? "expired" : "active");
  io.out(
    table(
      ["ID", "NAME", "PRINCIPAL", "TENANT", "ROLES", "SCOPE", "CREATED", "EXPIRES", "LAST USED", "STATUS"],
      tokens.map((t) => [
        t.id,
        t.name ?? "",
        t.principalId ?? "",
        t.tenant,
        t.roles.join(","),
        t.scope ?? "",
        t.createdAt ?? "",
        t.expiresAt ?? "never",
        t.lastUsedAt ?? "never",
        status(t),
      ]),
    ),
  );
  return 0;
}

async function revoke(p: ParsedArgs, io: CliIo): Promise<number> {
  checkFlags(p, [...CONNECTION_FLAGS]);
  const id = p.positionals[1];
  if (id === undefined || p.positionals.length > 2) throw new Error("usage: meshlog token revoke ID");
  await clientFor(p, io).request("DELETE", `/api/v1/tokens/${encodeURIComponent(id)}`);
  io.err(`revoked token ${id}\n`);
  return 0;
}

export const tokenCommand: Command = {
  name: "token",
  summary: "create, list and revoke API tokens",
  async run(args, io) {
    const p = parseArgs(args);
    switch (p.positionals[0]) {
      case "create":
        return create(p, io);
      case "list":
        return list(p, io);
      case "revoke":
        return revoke(p, io);
      default:
        io.err(USAGE);
        return 2;
    }
  },
};

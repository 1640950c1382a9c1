// `meshlog principal list|get|create|update|delete`: manages users and service accounts through the admin API.

import { checkFlags, flag, parseArgs, type ParsedArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

interface PrincipalEntry {
  id: string;
  name: string;
  kind: string;
  tenant: string;
  roles: string[];
  scope?: string;
  tenants: string[] | "*";
  disabled: boolean;
  tokens?: { id: string; lastUsedAt?: string; revoked?: boolean; expired?: boolean }[];
}

const USAGE = `usage:
  meshlog principal list [--output text|json]
  meshlog principal get ID [--output text|json]
  meshlog principal create --id ID --tenant T --role R [--role R ...] [--kind user|service] [--name N]
                           [--scope SELECTOR] [--allow-tenant T ...] [--output text|json]
  meshlog principal update ID [--tenant T] [--role R ...] [--name N] [--scope SELECTOR | --clear-scope]
                           [--allow-tenant T ...] [--disable | --enable] [--output text|json]
  meshlog principal delete ID      (also revokes its tokens)
common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)
`;

const BOOLS = ["clear-scope", "disable", "enable"];

function render(io: CliIo, output: "text" | "json", list: PrincipalEntry[]): void {
  if (output === "json") {
    io.out(JSON.stringify(list.length === 1 ? list[0] : list) + "\n");
    return;
  }
  const lastUse = (p: PrincipalEntry): string =>
    (p.tokens ?? [])
      .map((t) => t.lastUsedAt ?? "")
      .filter((x) => x !== "")
      .sort()
      .pop() ?? "never";
  io.out(
    table(
      ["ID", "KIND", "NAME", "TENANT", "ROLES", "SCOPE", "TENANTS", "TOKENS", "LAST USED", "STATUS"],
      list.map((p) => [
        p.id,
        p.kind,
        p.name,
        p.tenant,
        p.roles.join(","),
        p.scope ?? "",
        p.tenants === "*" ? "*" : p.tenants.join(","),
        String((p.tokens ?? []).filter((t) => t.revoked !== true && t.expired !== true).length),
        lastUse(p),
        p.disabled ? "disabled" : "active",
      ]),
    ),
  );
}

function fields(p: ParsedArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = flag(p, "name");
  const tenant = flag(p, "tenant");
  const scope = flag(p, "scope");
  const kind = flag(p, "kind");
  const roles = p.flags.get("role");
  const allow = p.flags.get("allow-tenant");
  if (name !== undefined) out.name = name;
  if (tenant !== undefined) out.tenant = tenant;
  if (kind !== undefined) out.kind = kind;
  if (roles !== undefined) out.roles = roles;
  if (allow !== undefined) out.tenants = allow.includes("*") ? "*" : allow;
  if (scope !== undefined && p.bools.has("clear-scope")) throw new Error("use either --scope or --clear-scope");
  if (scope !== undefined) out.scope = scope;
  if (p.bools.has("clear-scope")) out.scope = null;
  if (p.bools.has("disable") && p.bools.has("enable")) throw new Error("use either --disable or --enable");
  if (p.bools.has("disable")) out.disabled = true;
  if (p.bools.has("enable")) out.disabled = false;
  return out;
}

export const principalCommand: Command = {
  name: "principal",
  summary: "list, create, update and delete principals (users, service accounts)",
  async run(args, io) {
    const p = parseArgs(args, BOOLS);
    const sub = p.positionals[0];
    const id = p.positionals[1];
    const common = [...CONNECTION_FLAGS, "output"];
    const enc = (s: string): string => encodeURIComponent(s);
    switch (sub) {
      case "list": {
        checkFlags(p, common);
        const output = outputOf(p, ["text", "json"], "text");
        const res = await clientFor(p, io).request<{ principals: PrincipalEntry[] }>("GET", "/api/v1/principals");
        if (output === "json") io.out(JSON.stringify(res.principals) + "\n");
        else render(io, output, res.principals);
        return 0;
      }
      case "get": {
        checkFlags(p, common);
        if (id === undefined) throw new Error("usage: meshlog principal get ID");
        render(io, outputOf(p, ["text", "json"], "text"), [await clientFor(p, io).request<PrincipalEntry>("GET", `/api/v1/principals/${enc(id)}`)]);
        return 0;
      }
      case "create": {
        checkFlags(p, [...common, "id", "tenant", "role", "kind", "name", "scope", "allow-tenant"]);
        const pid = flag(p, "id") ?? id;
        if (pid === undefined) throw new Error("--id is required");
        if (flag(p, "tenant") === undefined) throw new Error("--tenant is required");
        if (!p.flags.has("role")) throw new Error("at least one --role is required (admin, auditor, analyst, ingest)");
        const body = { id: pid, ...fields(p) };
        render(io, outputOf(p, ["text", "json"], "text"), [await clientFor(p, io).request<PrincipalEntry>("POST", "/api/v1/principals", { body })]);
        return 0;
      }
      case "update": {
        checkFlags(p, [...common, "tenant", "role", "name", "scope", "allow-tenant", ...BOOLS]);
        if (id === undefined) throw new Error("usage: meshlog principal update ID [options]");
        const body = fields(p);
        if (Object.keys(body).length === 0)
          throw new Error("nothing to update: pass --tenant, --role, --name, --scope, --clear-scope, --allow-tenant, --disable or --enable");
        render(io, outputOf(p, ["text", "json"], "text"), [await clientFor(p, io).request<PrincipalEntry>("PATCH", `/api/v1/principals/${enc(id)}`, { body })]);
        return 0;
      }
      case "delete": {
        checkFlags(p, [...CONNECTION_FLAGS]);
        if (id === undefined) throw new Error("usage: meshlog principal delete ID");
        await clientFor(p, io).request("DELETE", `/api/v1/principals/${enc(id)}`);
        io.err(`deleted principal ${id} and revoked its tokens\n`);
        return 0;
      }
      default:
        io.err(USAGE);
        return 2;
    }
  },
};

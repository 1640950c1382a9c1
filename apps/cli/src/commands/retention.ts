// `meshlog retention show|set|run|compact`: reads and changes retention policies, runs retention or compaction now.

import { checkFlags, flag, parseArgs } from "../args.js";
import type { Command } from "../command.js";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

interface Policy {
  tenant: string;
  default?: string;
  rules: { selector: string; retention: string }[];
  version: number;
  updatedAt: string;
  updatedBy: string;
}

const USAGE =
  "usage: meshlog retention show [--output text|json]\n" +
  "       meshlog retention set --tenant T [--default 90d] [--rule 'SELECTOR RETENTION' ...]   (e.g. --rule '{namespace=\"payments\"} 400d'; first match wins)\n" +
  "       meshlog retention run [--output text|json]\n" +
  "       meshlog retention compact [--output text|json]   (merge small blocks now; see docs/retention.md)\n" +
  "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n";

/** Splits 'SELECTOR RETENTION' at the last space. */
export function parseRuleFlag(text: string): { selector: string; retention: string } {
  const t = text.trim();
  const i = t.lastIndexOf(" ");
  if (i <= 0) throw new Error(`--rule ${JSON.stringify(text)} must be 'SELECTOR RETENTION', e.g. '{namespace="payments"} 400d'`);
  return { selector: t.slice(0, i).trim(), retention: t.slice(i + 1) };
}

export const retentionCommand: Command = {
  name: "retention",
  summary: "show or set retention policies, run retention or compaction now",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    const sub = p.positionals[0];
    if (p.bools.has("help") || sub === undefined || p.positionals.length > 1 || !["show", "set", "run", "compact"].includes(sub)) {
      io.err(USAGE);
      return p.bools.has("help") ? 0 : 2;
    }
    if (sub === "set") checkFlags(p, [...CONNECTION_FLAGS, "tenant", "default", "rule", "output"]);
    else checkFlags(p, [...CONNECTION_FLAGS, "output"]);
    const output = outputOf(p, ["text", "json"], "text");
    const client = clientFor(p, io);
    if (sub === "show") {
      const res = await client.request<{ defaultRetention: string; auditWindowDays: number; policies: Policy[] }>("GET", "/api/v1/retention/policies");
      if (output === "json") io.out(JSON.stringify(res) + "\n");
      else {
        io.out(`default retention ${res.defaultRetention}; audit window ${res.auditWindowDays} days\n`);
        const rows: string[][] = [];
        for (const pol of res.policies) {
          pol.rules.forEach((r, i) => rows.push([pol.tenant, String(i + 1), r.selector, r.retention, `v${pol.version} ${pol.updatedBy}`]));
          rows.push([pol.tenant, "default", "", pol.default ?? res.defaultRetention, `v${pol.version} ${pol.updatedBy}`]);
        }
        io.out(table(["TENANT", "RULE", "SELECTOR", "RETENTION", "VERSION"], rows));
      }
      return 0;
    }
    if (sub === "set") {
      const tenant = flag(p, "tenant");
      if (tenant === undefined) throw new Error("--tenant is required");
      const def = flag(p, "default");
      const rules = (p.flags.get("rule") ?? []).map(parseRuleFlag);
      const res = await client.request<Policy>("PUT", "/api/v1/retention/policies", {
        body: { tenant, ...(def === undefined ? {} : { default: def }), rules },
      });
      io.out(
        output === "json"
          ? JSON.stringify(res) + "\n"
          : `policy of tenant ${res.tenant} is now version ${res.version} (${res.rules.length} rules, default ${res.default ?? "global"})\n`,
      );
      return 0;
    }
    if (sub === "compact") {
      const res = await client.request<{ tenants: number; merged: number; sourceBlocks: number; newBlocks: number; bytesBefore: number; bytesAfter: number }>(
        "POST",
        "/api/v1/compaction/run",
      );
      io.out(
        output === "json"
          ? JSON.stringify(res) + "\n"
          : `merged ${res.sourceBlocks} small blocks into ${res.newBlocks} in ${res.tenants} tenants (${res.bytesBefore} -> ${res.bytesAfter} bytes)\n`,
      );
      return 0;
    }
    const res = await client.request<{ deletedBlocks: number; deletedRecords: number; heldBlocks: number; destroyedKeks: string[]; certificates: string[] }>(
      "POST",
      "/api/v1/retention/run",
    );
    io.out(
      output === "json"
        ? JSON.stringify(res) + "\n"
        : `deleted ${res.deletedBlocks} blocks (${res.deletedRecords} records), kept ${res.heldBlocks} held blocks, destroyed ${res.destroyedKeks.length} keys, issued ${res.certificates.length} certificates\n`,
    );
    return 0;
  },
};

// `meshlog holds list|create|release`: legal holds that keep matching data past its retention.

import { checkFlags, flag, parseArgs } from "../args.js";
import type { Command } from "../command.js";
import type { LegalHoldView } from "@meshlog/api";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

type Hold = LegalHoldView;

const USAGE =
  "usage: meshlog holds list [--output text|json]\n" +
  "       meshlog holds create --tenant T --selector SEL --reason TEXT [--until RFC3339] [--output text|json]\n" +
  "       meshlog holds release ID\n" +
  "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n";

export const holdsCommand: Command = {
  name: "holds",
  summary: "list, place or release legal holds",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    const sub = p.positionals[0];
    const arity = sub === "release" ? 2 : 1;
    if (p.bools.has("help") || sub === undefined || !["list", "create", "release"].includes(sub) || p.positionals.length !== arity) {
      io.err(USAGE);
      return p.bools.has("help") ? 0 : 2;
    }
    checkFlags(p, sub === "create" ? [...CONNECTION_FLAGS, "tenant", "selector", "reason", "until", "output"] : [...CONNECTION_FLAGS, "output"]);
    const output = outputOf(p, ["text", "json"], "text");
    const client = clientFor(p, io);
    if (sub === "list") {
      const res = await client.request<{ holds: Hold[] }>("GET", "/api/v1/holds");
      if (output === "json") io.out(JSON.stringify(res.holds) + "\n");
      else
        io.out(
          table(
            ["ID", "TENANT", "SELECTOR", "STATE", "REASON", "BY", "CREATED", "UNTIL"],
            res.holds.map((h) => [
              h.id,
              h.tenant,
              h.selector,
              h.active === true ? "active" : h.releasedAt !== undefined ? `released by ${h.releasedBy ?? "?"}` : "lapsed",
              h.reason,
              h.principal,
              h.createdAt,
              h.until ?? "",
            ]),
          ),
        );
      return 0;
    }
    if (sub === "create") {
      const need = (k: string): string => {
        const v = flag(p, k);
        if (v === undefined) throw new Error(`--${k} is required`);
        return v;
      };
      const until = flag(p, "until");
      const h = await client.request<Hold>("POST", "/api/v1/holds", {
        body: { tenant: need("tenant"), selector: need("selector"), reason: need("reason"), ...(until === undefined ? {} : { until }) },
      });
      io.out(output === "json" ? JSON.stringify(h) + "\n" : `placed legal hold ${h.id} on ${h.tenant} ${h.selector}\n`);
      return 0;
    }
    const id = p.positionals[1] as string;
    const h = await client.request<Hold>("DELETE", `/api/v1/holds/${encodeURIComponent(id)}`);
    io.out(output === "json" ? JSON.stringify(h) + "\n" : `released legal hold ${h.id} (${h.tenant} ${h.selector})\n`);
    return 0;
  },
};

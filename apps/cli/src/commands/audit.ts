// `meshlog audit`: reads the audit trail (admin or auditor token) with filters, as text, JSON or NDJSON.

import { checkFlags, flag, parseArgs } from "../args.js";
import type { Command } from "../command.js";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

interface AuditEntry {
  time: string;
  action: string;
  principal: string;
  tenant: string;
  result: string;
  remoteAddress?: string;
  method?: string;
  route?: string;
  status?: number;
  rows?: number;
  details?: Record<string, string | number | boolean>;
}

const FILTERS = ["since", "start", "end", "principal", "action", "result", "tenant", "limit", "direction"] as const;

export const auditCommand: Command = {
  name: "audit",
  summary: "read the audit trail (who did what, when, from where)",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    if (p.bools.has("help") || p.positionals.length > 0) {
      io.err(
        "usage: meshlog audit [--since 1h | --start T] [--end T] [--principal ID] [--action A] [--result ok|denied|error]\n" +
          "                     [--tenant T] [--limit N] [--direction forward|backward] [--output text|json|ndjson]\n" +
          "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n",
      );
      return p.bools.has("help") ? 0 : 2;
    }
    checkFlags(p, [...CONNECTION_FLAGS, ...FILTERS, "output"]);
    const output = outputOf(p, ["text", "json", "ndjson"], "text");
    const query: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = flag(p, k);
      if (v !== undefined) query[k] = v;
    }
    const client = clientFor(p, io);
    const res = await client.request<{ events: AuditEntry[] }>("GET", "/api/v1/audit", { query });
    if (output === "json") io.out(JSON.stringify(res.events) + "\n");
    else if (output === "ndjson") io.out(res.events.map((e) => JSON.stringify(e) + "\n").join(""));
    else {
      io.out(
        table(
          ["TIME", "ACTION", "PRINCIPAL", "TENANT", "RESULT", "FROM", "REQUEST", "ROWS"],
          res.events.map((e) => [
            e.time,
            e.action,
            e.principal,
            e.tenant,
            e.status !== undefined ? `${e.result} (${e.status})` : e.result,
            e.remoteAddress ?? "",
            [e.method, e.route].filter((x) => x !== undefined).join(" "),
            e.rows !== undefined ? String(e.rows) : "",
          ]),
        ),
      );
    }
    return 0;
  },
};

// `meshlog deletions [ID]`: lists deletion certificates (or shows one) from the server, as text or JSON.

import { checkFlags, parseArgs } from "../args.js";
import type { Command } from "../command.js";
import type { DeletionCertificateView } from "@meshlog/api";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

type Certificate = DeletionCertificateView;

export const deletionsCommand: Command = {
  name: "deletions",
  summary: "list deletion certificates (retention, KEK destruction, deletion requests), or show one",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    if (p.bools.has("help") || p.positionals.length > 1) {
      io.err(
        "usage: meshlog deletions [ID] [--output text|json]\ncommon: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n",
      );
      return p.bools.has("help") ? 0 : 2;
    }
    checkFlags(p, [...CONNECTION_FLAGS, "output"]);
    const output = outputOf(p, ["text", "json"], "text");
    const client = clientFor(p, io);
    const id = p.positionals[0];
    if (id !== undefined) {
      const cert = await client.request<Certificate>("GET", `/api/v1/deletions/${encodeURIComponent(id)}`);
      io.out(output === "json" ? JSON.stringify(cert) + "\n" : JSON.stringify(cert, null, 2) + "\n");
      return 0;
    }
    const res = await client.request<{ certificates: Certificate[] }>("GET", "/api/v1/deletions");
    if (output === "json") io.out(JSON.stringify(res.certificates) + "\n");
    else {
      io.out(
        table(
          ["ID", "KIND", "TENANT", "WHEN", "BY", "BLOCKS", "RECORDS", "RANGE", "LEDGER"],
          res.certificates.map((c) => [
            c.id,
            c.kind,
            c.tenant,
            c.when,
            c.by,
            String(c.what.blocks.length),
            String(c.what.records),
            c.what.minTime === undefined ? c.what.keyIds.join(",") : `${c.what.minTime}..${c.what.maxTime ?? ""}`,
            `#${c.ledger.leafIndex} @cp${c.ledger.checkpoint.seq}`,
          ]),
        ),
      );
    }
    return 0;
  },
};

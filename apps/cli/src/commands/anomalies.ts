// `meshlog anomalies`: lists the anomalies the server detected for the caller's tenant, as a table or JSON.

import { checkFlags, flag, parseArgs } from "../args.js";
import type { Command } from "../command.js";
import type { AnomalyView } from "@meshlog/api";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

type AnomalyEntry = AnomalyView;

const FILTERS = ["since", "start", "end", "kind", "limit"] as const;

const labelText = (l: Record<string, string>): string =>
  `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(", ")}}`;

export const anomaliesCommand: Command = {
  name: "anomalies",
  summary: "list detected anomalies (volume, error ratio, templates, silence, mesh, auth bursts)",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    if (p.bools.has("help") || p.positionals.length > 0) {
      io.err(
        "usage: meshlog anomalies [--since 1h | --start T] [--end T] [--kind KIND|DETECTOR] [--limit N] [--output text|json]\n" +
          "kinds: volume-spike volume-drop error-ratio new-template template-spike silence mesh-5xx upstream-connect-failure tls-handshake-failure auth-failure-burst\n" +
          "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token); --tenant T reads another tenant (X-Scope-OrgID)\n",
      );
      return p.bools.has("help") ? 0 : 2;
    }
    checkFlags(p, [...CONNECTION_FLAGS, ...FILTERS, "tenant", "output"]);
    const output = outputOf(p, ["text", "json"], "text");
    const query: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = flag(p, k);
      if (v !== undefined) query[k] = v;
    }
    const client = clientFor(p, io, flag(p, "tenant"));
    const res = await client.request<{ anomalies: AnomalyEntry[] }>("GET", "/api/v1/anomalies", { query });
    if (output === "json") io.out(JSON.stringify(res.anomalies) + "\n");
    else
      io.out(
        table(
          ["TIME", "KIND", "SEVERITY", "STREAM", "SCORE", "MESSAGE"],
          res.anomalies.map((a) => [a.time, a.kind, a.severity, labelText(a.labels), String(a.score), a.message]),
        ),
      );
    return 0;
  },
};

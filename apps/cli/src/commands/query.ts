// `meshlog query`: runs a LogQL query against the server's Loki API (range by default, like logcli).

import { checkFlags, flag, parseArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { QUERY_CONNECTION_FLAGS, connectionOf, fmtLabels, fmtNs, getJson } from "./query-http.js";

const USAGE =
  "usage: meshlog query [--addr URL] [--token T] [--org-id TENANT] [--since 1h | --from T --to T] [--limit N] [--step D] [--direction backward|forward] [--instant] [--output raw|json|table] 'LOGQL'\n";

interface LokiResponse {
  data: { resultType: string; result: unknown };
}

/** Renders a Loki query response in one of the output formats. */
export function renderQueryResult(r: LokiResponse, output: string, direction: string): string {
  if (output === "json") return JSON.stringify(r.data, null, 2) + "\n";
  const { resultType, result } = r.data;
  let out = "";
  if (resultType === "streams") {
    const rows = (result as { stream: Record<string, string>; values: [string, string][] }[]).flatMap((s) =>
      s.values.map((v) => ({ ts: BigInt(v[0]), line: v[1], labels: s.stream })),
    );
    rows.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0) * (direction === "forward" ? 1 : -1));
    for (const row of rows) out += output === "raw" ? `${row.line}\n` : `${fmtNs(row.ts.toString())} ${fmtLabels(row.labels)} ${row.line}\n`;
  } else if (resultType === "matrix") {
    for (const s of result as { metric: Record<string, string>; values: [number, string][] }[]) {
      for (const [t, v] of s.values) out += output === "raw" ? `${v}\n` : `${fmtLabels(s.metric)} ${new Date(t * 1000).toISOString()} ${v}\n`;
    }
  } else if (resultType === "vector") {
    for (const s of result as { metric: Record<string, string>; value: [number, string] }[])
      out += output === "raw" ? `${s.value[1]}\n` : `${fmtLabels(s.metric)} ${s.value[1]}\n`;
  } else if (resultType === "scalar") {
    out += `${(result as [number, string])[1]}\n`;
  }
  return out;
}

export const queryCommand: Command = {
  name: "query",
  summary: 'run a LogQL query (meshlog query --since 1h \'{app="api"} |= "error"\')',
  async run(args: string[], io: CliIo): Promise<number> {
    const p = parseArgs(args, ["instant", "help"]);
    if (p.bools.has("help")) {
      io.out(USAGE);
      return 0;
    }
    checkFlags(p, [...QUERY_CONNECTION_FLAGS, "since", "from", "to", "limit", "step", "direction", "output", "instant", "help"]);
    const query = p.positionals.join(" ").trim();
    if (query === "") {
      io.err(USAGE);
      return 2;
    }
    const output = flag(p, "output") ?? "table";
    if (!["raw", "json", "table"].includes(output)) throw new Error("--output must be raw, json or table");
    const direction = flag(p, "direction") ?? "backward";
    const c = connectionOf(p, io);
    const limit = flag(p, "limit") ?? "30";
    let r: unknown;
    if (p.bools.has("instant")) {
      r = await getJson(c, "/loki/api/v1/query", { query, limit, direction, time: flag(p, "to") });
    } else {
      const from = flag(p, "from");
      r = await getJson(c, "/loki/api/v1/query_range", {
        query,
        limit,
        direction,
        since: from === undefined ? (flag(p, "since") ?? "1h") : undefined,
        start: from,
        end: flag(p, "to"),
        step: flag(p, "step"),
      });
    }
    io.out(renderQueryResult(r as LokiResponse, output, direction));
    return 0;
  },
};

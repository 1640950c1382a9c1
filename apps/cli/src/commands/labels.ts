// `meshlog labels [NAME]`: lists label names, or the values of one label, through the Loki API.

import { checkFlags, flag, parseArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { QUERY_CONNECTION_FLAGS, connectionOf, getJson } from "./query-http.js";

export const labelsCommand: Command = {
  name: "labels",
  summary: "list label names, or the values of one label (meshlog labels [NAME] [--since 6h] [--query SEL])",
  async run(args: string[], io: CliIo): Promise<number> {
    const p = parseArgs(args, ["help"]);
    if (p.bools.has("help")) {
      io.out("usage: meshlog labels [NAME] [--addr URL] [--token T] [--org-id TENANT] [--since 6h | --from T --to T] [--query SELECTOR] [--output raw|json]\n");
      return 0;
    }
    checkFlags(p, [...QUERY_CONNECTION_FLAGS, "since", "from", "to", "query", "output", "help"]);
    const name = p.positionals[0];
    const output = flag(p, "output") ?? "raw";
    if (output !== "raw" && output !== "json") throw new Error("--output must be raw or json");
    const c = connectionOf(p, io);
    const from = flag(p, "from");
    const path = name === undefined ? "/loki/api/v1/labels" : `/loki/api/v1/label/${encodeURIComponent(name)}/values`;
    const r = (await getJson(c, path, {
      since: from === undefined ? (flag(p, "since") ?? "6h") : undefined,
      start: from,
      end: flag(p, "to"),
      query: flag(p, "query"),
    })) as { data: string[] };
    io.out(output === "json" ? JSON.stringify(r.data) + "\n" : r.data.map((v) => `${v}\n`).join(""));
    return 0;
  },
};

// `meshlog tail`: follows a LogQL log query live over the Loki WebSocket tail endpoint.

import WebSocket from "ws";
import { checkFlags, flag, parseArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { QUERY_CONNECTION_FLAGS, connectionOf, fmtLabels, fmtNs } from "./query-http.js";

interface TailMessage {
  streams?: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries?: { labels: Record<string, string>; timestamp: string }[] | null;
}

export const tailCommand: Command = {
  name: "tail",
  summary: "follow a log query live (meshlog tail '{app=\"api\"}')",
  async run(args: string[], io: CliIo): Promise<number> {
    const p = parseArgs(args, ["help"]);
    if (p.bools.has("help")) {
      io.out(
        "usage: meshlog tail [--addr URL] [--token T] [--org-id TENANT] [--since 10s] [--limit N] [--delay-for S] [--output raw|json|table] [--max-lines N] 'LOGQL'\n",
      );
      return 0;
    }
    checkFlags(p, [...QUERY_CONNECTION_FLAGS, "since", "limit", "delay-for", "output", "max-lines", "help"]);
    const query = p.positionals.join(" ").trim();
    if (query === "") throw new Error("a LogQL log query is required");
    const output = flag(p, "output") ?? "table";
    if (!["raw", "json", "table"].includes(output)) throw new Error("--output must be raw, json or table");
    const maxLines = flag(p, "max-lines") !== undefined ? Number(flag(p, "max-lines")) : Infinity;
    const c = connectionOf(p, io);
    const qs = new URLSearchParams({ query, limit: flag(p, "limit") ?? "100" });
    const since = flag(p, "since");
    if (since !== undefined) {
      const m = /^(\d+)(s|m|h)$/.exec(since);
      if (m === null) throw new Error("--since must look like 30s, 5m or 1h");
      const sec = Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
      qs.set("start", String(BigInt(Date.now() - sec * 1000) * 1_000_000n));
    }
    const delay = flag(p, "delay-for");
    if (delay !== undefined) qs.set("delay_for", delay);
    const url = `${c.addr.replace(/^http/, "ws")}/loki/api/v1/tail?${qs.toString()}`;
    return new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: c.headers });
      let printed = 0;
      const onSignal = (): void => ws.close();
      process.once("SIGINT", onSignal);
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => {
          io.err(`meshlog tail: ${res.statusCode ?? 0}: ${body.trim()}\n`);
          resolve(1);
        });
      });
      ws.on("message", (data) => {
        const msg = JSON.parse(String(data)) as TailMessage;
        if (output === "json") io.out(JSON.stringify(msg) + "\n");
        else {
          for (const s of msg.streams ?? []) {
            for (const [ts, line] of s.values) {
              if (printed >= maxLines) break;
              io.out(output === "raw" ? `${line}\n` : `${fmtNs(ts)} ${fmtLabels(s.stream)} ${line}\n`);
              printed++;
            }
          }
          if ((msg.dropped_entries?.length ?? 0) > 0)
            io.err(`meshlog tail: the server dropped ${msg.dropped_entries?.length ?? 0} entries (raise --limit or narrow the query)\n`);
        }
        if (printed >= maxLines) ws.close();
      });
      ws.on("error", (err) => {
        io.err(`meshlog tail: ${err.message}\n`);
      });
      ws.on("close", () => {
        process.off("SIGINT", onSignal);
        resolve(0);
      });
    });
  },
};

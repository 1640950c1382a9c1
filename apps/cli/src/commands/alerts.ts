// `meshlog alerts rules|list|incidents|ack`: alert rule states, active alerts and the incident timeline.

import type { Incident, PromAlert, PromGroup } from "@meshlog/api";
import { checkFlags, flag, parseArgs, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { fmtLabels } from "./query-http.js";
import { clientFor, CONNECTION_FLAGS, outputOf, table } from "./token.js";

const USAGE =
  "usage: meshlog alerts rules [--org-id TENANT] [--output text|json]\n" +
  "       meshlog alerts list [--org-id TENANT] [--output text|json]\n" +
  "       meshlog alerts incidents [--status firing|resolved] [--tenant T] [--limit N] [--output text|json]\n" +
  "       meshlog alerts ack ID [--comment TEXT] [--output text|json]\n" +
  "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n";

const duration = (s: number): string => (s === 0 ? "0s" : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

async function rules(p: ParsedArgs, io: Parameters<Command["run"]>[1], output: "text" | "json"): Promise<number> {
  const res = await clientFor(p, io, flag(p, "org-id")).request<{ data: { groups: PromGroup[] } }>("GET", "/prometheus/api/v1/rules");
  const groups = res.data.groups;
  if (output === "json") io.out(JSON.stringify(groups) + "\n");
  else
    io.out(
      table(
        ["NAMESPACE", "GROUP", "RULE", "STATE", "FOR", "HEALTH", "ALERTS", "QUERY"],
        groups.flatMap((g) =>
          g.rules.map((r) => [
            g.file,
            g.name,
            r.name,
            r.state,
            duration(r.duration),
            r.health === "err" ? `err: ${r.lastError.slice(0, 60)}` : r.health,
            String(r.alerts.length),
            r.query,
          ]),
        ),
      ),
    );
  return 0;
}

async function list(p: ParsedArgs, io: Parameters<Command["run"]>[1], output: "text" | "json"): Promise<number> {
  const res = await clientFor(p, io, flag(p, "org-id")).request<{ data: { alerts: PromAlert[] } }>("GET", "/prometheus/api/v1/alerts");
  const alerts = res.data.alerts;
  if (output === "json") io.out(JSON.stringify(alerts) + "\n");
  else
    io.out(
      table(
        ["ALERT", "STATE", "ACTIVE SINCE", "VALUE", "LABELS"],
        alerts.map((a) => {
          const { alertname = "", ...rest } = a.labels;
          return [alertname, a.state, a.activeAt, String(Number(a.value)), fmtLabels(rest)];
        }),
      ),
    );
  return 0;
}

async function incidents(p: ParsedArgs, io: Parameters<Command["run"]>[1], output: "text" | "json"): Promise<number> {
  const query: Record<string, string> = {};
  for (const k of ["status", "tenant", "limit"]) {
    const v = flag(p, k);
    if (v !== undefined) query[k] = v;
  }
  const res = await clientFor(p, io).request<{ incidents: Incident[] }>("GET", "/api/v1/alerting/incidents", { query });
  if (output === "json") io.out(JSON.stringify(res.incidents) + "\n");
  else
    io.out(
      table(
        ["ID", "TENANT", "RULE", "STATUS", "STARTED", "RESOLVED", "ACKNOWLEDGED", "NOTIFIED", "LABELS"],
        res.incidents.map((i) => {
          const sent = i.events.filter((e) => e.type === "notified");
          const ok = sent.filter((e) => e.status === "delivered").length;
          const { alertname: _n, ...rest } = i.labels;
          return [
            i.id,
            i.tenant,
            `${i.namespace}/${i.group}/${i.rule}`,
            i.status,
            i.startedAt,
            i.resolvedAt ?? "",
            i.acknowledgedBy !== undefined ? `${i.acknowledgedBy} ${i.acknowledgedAt ?? ""}` : "",
            sent.length === 0 ? "" : `${ok}/${sent.length} delivered`,
            fmtLabels(rest),
          ];
        }),
      ),
    );
  return 0;
}

async function ack(p: ParsedArgs, io: Parameters<Command["run"]>[1], output: "text" | "json"): Promise<number> {
  const id = p.positionals[1] as string;
  const comment = flag(p, "comment");
  const inc = await clientFor(p, io).request<Incident>("POST", `/api/v1/alerting/incidents/${encodeURIComponent(id)}/ack`, {
    body: comment === undefined ? {} : { comment },
  });
  if (output === "json") io.out(JSON.stringify(inc) + "\n");
  else io.out(`incident ${inc.id} (${inc.tenant} ${inc.rule}, ${inc.status}) acknowledged by ${inc.acknowledgedBy ?? "?"} at ${inc.acknowledgedAt ?? "?"}\n`);
  return 0;
}

export const alertsCommand: Command = {
  name: "alerts",
  summary: "alert rules and their state, active alerts, incidents (list, acknowledge)",
  async run(args, io) {
    const p = parseArgs(args, ["help"]);
    const sub = p.positionals[0];
    const arity = sub === "ack" ? 2 : 1;
    if (p.bools.has("help") || sub === undefined || !["rules", "list", "incidents", "ack"].includes(sub) || p.positionals.length !== arity) {
      io.err(USAGE);
      return p.bools.has("help") ? 0 : 2;
    }
    const extra: Record<string, readonly string[]> = { rules: ["org-id"], list: ["org-id"], incidents: ["status", "tenant", "limit"], ack: ["comment"] };
    checkFlags(p, [...CONNECTION_FLAGS, "output", ...(extra[sub] ?? [])]);
    const output = outputOf(p, ["text", "json"], "text");
    if (sub === "rules") return rules(p, io, output);
    if (sub === "list") return list(p, io, output);
    if (sub === "incidents") return incidents(p, io, output);
    return ack(p, io, output);
  },
};

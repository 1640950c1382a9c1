// Report sections "access activity" (CC6.6, CC7.2) and "change history" (CC8.1, CC6.1), from one pass over the audit stream.

import { AUDIT_TENANT } from "@meshlog/core";
import { auditEventOf, type StoredAuditEvent } from "../audit/audit-query.js";
import { DeniedBursts } from "./denied-bursts.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, type ReportScope } from "./report-scope.js";

/** Denied requests of one principal or address within this window count as one burst when there are at least BURST_COUNT. */
const BURST_WINDOW_MS = 5 * 60_000;
const BURST_COUNT = 10;
/** Most change events listed (the rest are counted). */
const MAX_CHANGES = 1000;
/** Most bursts of denied requests listed (the rest are counted). */
const MAX_BURSTS = 1000;

/** Audit actions that change configuration, policy, tokens, principals, holds or data. */
const CHANGE_ACTIONS = [
  "config.change",
  "token.create",
  "token.revoke",
  "principal.create",
  "principal.update",
  "principal.delete",
  "retention.policy.update",
  "retention.run",
  "retention.delete",
  "retention.kek.destroy",
  "hold.create",
  "hold.release",
  "deletion.request",
  "deletion.execute",
  "alert.rule.update",
  "alert.rule.delete",
  "alert.receiver.update",
  "alert.receiver.delete",
];

const isChange = (action: string): boolean => CHANGE_ACTIONS.includes(action);
const kindOf = (e: StoredAuditEvent): "queries" | "tails" | "exports" | "ingest" | "other" => {
  if (e.action === "tail") return "tails";
  if (e.action === "audit.query" && e.details?.format === "ndjson") return "exports";
  if (e.action.includes("export")) return "exports";
  if (e.action === "query" || e.action.startsWith("query.") || e.action === "labels" || e.action === "series" || e.action === "audit.query") return "queries";
  if (e.action === "ingest") return "ingest";
  return "other";
};

interface PrincipalActivity {
  principal: string;
  queries: number;
  tails: number;
  exports: number;
  ingest: number;
  other: number;
  denied: number;
  errors: number;
  lastSeen: string;
}

/**
 * The audit events of the report, in time order. Successful ingest requests (most of the stream) are not read:
 * their streams ({action="ingest", result="ok"}) are skipped. Callers limited to some tenants get only events
 * of the report's tenants (tenant-less ones, such as anonymous failed logins, only when allowed on all tenants),
 * and tenant names of other tenants in details are masked.
 */
async function* auditEvents(scope: ReportScope): AsyncGenerator<StoredAuditEvent> {
  const { ctx } = scope;
  const streams = (await ctx.store.streams(AUDIT_TENANT, scope.startNs, scope.endNs)).filter(
    (s) => !(s.labels.action === "ingest" && s.labels.result === "ok"),
  );
  if (streams.length === 0) return;
  const req = { tenant: AUDIT_TENANT, streamIds: streams.map((s) => s.id), start: scope.startNs, end: scope.endNs, direction: "forward" as const };
  for await (const batch of ctx.store.select(req)) {
    for (const entry of batch) {
      const e = auditEventOf(entry.record);
      if (e === undefined) continue;
      if (e.tenant === "" ? scope.visible !== undefined : scope.restricted && !scope.tenants.includes(e.tenant)) continue;
      if (!scope.restricted || e.details === undefined) yield e;
      else {
        const details = Object.fromEntries(
          Object.entries(e.details).map(([k, v]) => [
            k,
            /tenant/i.test(k) && typeof v === "string" && v !== "" && !scope.tenants.includes(v) ? "(another tenant)" : v,
          ]),
        );
        yield { ...e, details };
      }
    }
  }
}

export async function activitySections(scope: ReportScope): Promise<[ReportSection, ReportSection]> {
  const { ctx } = scope;
  await ctx.audit.flush();
  const byPrincipal = new Map<string, PrincipalActivity>();
  const denials = new DeniedBursts(BURST_WINDOW_MS, BURST_COUNT, MAX_BURSTS);
  const changes: Record<string, unknown>[] = [];
  let changeCount = 0;
  let events = 0;
  for await (const e of auditEvents(scope)) {
    events++;
    let a = byPrincipal.get(e.principal);
    if (a === undefined) {
      a = { principal: e.principal, queries: 0, tails: 0, exports: 0, ingest: 0, other: 0, denied: 0, errors: 0, lastSeen: e.time };
      byPrincipal.set(e.principal, a);
    }
    a[kindOf(e)]++;
    a.lastSeen = e.time;
    if (e.result === "denied") {
      a.denied++;
      const who = e.principal === "anonymous" ? `anonymous@${e.remoteAddress ?? "?"}` : e.principal;
      denials.add(who, Date.parse(e.time));
    } else if (e.result === "error") a.errors++;
    if (isChange(e.action)) {
      changeCount++;
      if (changes.length < MAX_CHANGES) {
        changes.push({
          time: e.time,
          action: e.action,
          principal: e.principal,
          tenant: e.tenant,
          result: e.result,
          details: Object.fromEntries(
            Object.entries(e.details ?? {})
              .filter(([k]) => k !== "requestId" && k !== "userAgent")
              .map(([k, v]) => [k, typeof v === "string" ? clip(v, 500) : v]),
          ),
        });
      }
    }
  }
  const { bursts, total: burstCount } = denials.finish();
  const principals = [...byPrincipal.values()].sort((x, y) => y.denied - x.denied || x.principal.localeCompare(y.principal));
  const activityFindings: Finding[] = [];
  if (bursts.length > 0)
    activityFindings.push({
      status: "attention",
      message: `${burstCount} burst(s) of denied requests (${BURST_COUNT}+ within ${BURST_WINDOW_MS / 60_000} min): ${bursts
        .slice(0, 5)
        .map((b) => `${clip(b.who, 80)} ${b.denied} at ${b.from}`)
        .join("; ")}`,
    });
  if (events === 0) activityFindings.push({ status: "attention", message: "the audit stream holds no event for the period" });
  const totals = principals.reduce(
    (t, p) => ({ queries: t.queries + p.queries, tails: t.tails + p.tails, exports: t.exports + p.exports, denied: t.denied + p.denied }),
    { queries: 0, tails: 0, exports: 0, denied: 0 },
  );
  const activity = section("access-activity", "Access activity", ["CC6.6", "CC7.2"], activityFindings, {
    events,
    totals,
    principals,
    deniedBurstCount: burstCount,
    deniedBursts: bursts,
    burstRule: `${BURST_COUNT} or more denied requests of one principal or address within ${BURST_WINDOW_MS / 60_000} minutes`,
    note: "successful ingest requests are not counted (their audit streams are skipped); denied and failed ones are",
  });
  const changeFindings: Finding[] = [];
  const failed = changes.filter((c) => c.result !== "ok").length;
  if (failed > 0) changeFindings.push({ status: "attention", message: `${failed} change attempt(s) were denied or failed` });
  const changeSection = section("changes", "Change history", ["CC8.1", "CC6.1"], changeFindings, {
    count: changeCount,
    listed: changes.length,
    actions: CHANGE_ACTIONS,
    changes,
  });
  return [activity, changeSection];
}

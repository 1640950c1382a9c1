// Report sections "alerts and responses" (CC7.3, CC7.4) and "deletions" (C1.2, P4.3).

import { AUDIT_TENANT } from "@meshlog/core";
import { EmbeddedStore, type Ledger } from "@meshlog/storage";
import { RETENTION_SERVICE, type RetentionService } from "../retention/retention-service.js";
import { incidentsFnOf, INCIDENTS_SERVICE, type IncidentRecord } from "./incident-provider.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, isoOrNull, type ReportScope } from "./report-scope.js";

const str = (v: unknown, n = 200): string | null => (typeof v === "string" && v !== "" ? clip(v, n) : null);
const seconds = (from: string | null, to: string | null): number | null => {
  if (from === null || to === null) return null;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) && d >= 0 ? Math.round(d) : null;
};
const stats = (xs: readonly number[]): { count: number; meanSeconds: number | null; maxSeconds: number | null } => ({
  count: xs.length,
  meanSeconds: xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length),
  maxSeconds: xs.length === 0 ? null : Math.max(...xs),
});

export async function incidentsSection(scope: ReportScope): Promise<ReportSection> {
  const fn = incidentsFnOf(scope.ctx.services.get(INCIDENTS_SERVICE));
  const criteria = ["CC7.3", "CC7.4"];
  if (fn === undefined) {
    return section(
      "incidents",
      "Alerts and responses",
      criteria,
      [{ status: "attention", message: "no alerting configured: no alert or response evidence for the period" }],
      {
        configured: false,
      },
    );
  }
  const period = { start: new Date(scope.startMs).toISOString(), end: new Date(scope.endMs).toISOString() };
  let raw: readonly IncidentRecord[];
  try {
    raw = await fn({ ...period, ...(scope.restricted ? { tenants: scope.tenants } : {}) });
  } catch (e) {
    return section(
      "incidents",
      "Alerts and responses",
      criteria,
      [{ status: "fail", message: `the alerting feature failed to list incidents: ${clip((e as Error).message, 200)}` }],
      {
        configured: true,
      },
    );
  }
  const incidents = (Array.isArray(raw) ? (raw as unknown[]) : [])
    .filter((x): x is Record<string, unknown> => x !== null && typeof x === "object")
    .filter((x) => !scope.restricted || scope.tenants.includes(String(x.tenant)))
    .map((x) => {
      const startedAt = str(x.startedAt, 64);
      const acknowledgedAt = str(x.acknowledgedAt, 64);
      const resolvedAt = str(x.resolvedAt, 64);
      return {
        id: str(x.id) ?? "",
        rule: str(x.rule) ?? "",
        tenant: str(x.tenant, 64) ?? "",
        severity: str(x.severity, 32) ?? str((x.labels as Record<string, unknown> | undefined)?.severity, 32),
        state: str(x.state, 32) ?? str(x.status, 32) ?? (resolvedAt !== null ? "resolved" : acknowledgedAt !== null ? "acknowledged" : "firing"),
        startedAt,
        acknowledgedAt,
        acknowledgedBy: str(x.acknowledgedBy),
        resolvedAt,
        resolvedBy: str(x.resolvedBy),
        secondsToAcknowledge: seconds(startedAt, acknowledgedAt ?? resolvedAt),
        secondsToResolve: seconds(startedAt, resolvedAt),
      };
    })
    .sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""));
  const findings: Finding[] = [];
  const unacknowledged = incidents.filter((i) => i.acknowledgedAt === null && i.resolvedAt === null);
  if (unacknowledged.length > 0)
    findings.push({
      status: "attention",
      message: `${unacknowledged.length} incident(s) were never acknowledged: ${unacknowledged
        .slice(0, 10)
        .map((i) => i.id)
        .join(", ")}`,
    });
  const open = incidents.filter((i) => i.resolvedAt === null);
  if (open.length > 0) findings.push({ status: "attention", message: `${open.length} incident(s) are not resolved` });
  return section("incidents", "Alerts and responses", criteria, findings, {
    configured: true,
    count: incidents.length,
    acknowledge: stats(incidents.map((i) => i.secondsToAcknowledge).filter((s): s is number => s !== null)),
    resolve: stats(incidents.map((i) => i.secondsToResolve).filter((s): s is number => s !== null)),
    incidents,
  });
}

export async function deletionsSection(scope: ReportScope): Promise<ReportSection> {
  const { ctx } = scope;
  const criteria = ["C1.2", "P4.3"];
  const service = ctx.services.get(RETENTION_SERVICE) as RetentionService | undefined;
  if (service === undefined || !(ctx.store instanceof EmbeddedStore)) {
    return section("deletions", "Deletions", criteria, [{ status: "attention", message: "retention management is not available: no deletion certificates" }], {
      available: false,
    });
  }
  const store = ctx.store;
  const findings: Finding[] = [];
  const inPeriod = (t: string): boolean => {
    const ms = Date.parse(t);
    return ms >= scope.startMs && ms < scope.endMs;
  };
  const certificates = [];
  const broken: string[] = [];
  for (const c of await service.certificates.list(scope.tenants.filter((t) => t !== AUDIT_TENANT))) {
    if (!inPeriod(c.when)) continue;
    const ledger = (await store.ledger(c.tenant)).raw as Ledger;
    const anchored = c.ledger.leafIndex < ledger.size() && ledger.leafHashOf(c.ledger.leafIndex) === c.ledger.leafHash;
    if (!anchored) broken.push(c.id);
    certificates.push({
      id: c.id,
      kind: c.kind,
      tenant: c.tenant,
      when: c.when,
      by: c.by,
      reason: clip(c.why.reason),
      policy: c.why.policy === undefined ? null : clip(c.why.policy),
      blocks: c.what.blocks.length,
      records: c.what.records,
      keyIds: c.what.keyIds,
      dataFrom: c.what.minTime ?? null,
      dataTo: c.what.maxTime ?? null,
      ledger: {
        leafIndex: c.ledger.leafIndex,
        leafHash: c.ledger.leafHash,
        checkpointSeq: c.ledger.checkpoint.seq,
        treeSize: c.ledger.checkpoint.treeSize,
        rootHash: c.ledger.checkpoint.rootHash,
      },
      anchoredInLedger: anchored,
    });
  }
  const requests = (await service.requests.list())
    .filter((r) => scope.tenants.includes(r.tenant) && inPeriod(r.createdAt))
    .map((r) => ({
      id: r.id,
      tenant: r.tenant,
      selector: clip(r.selector),
      reason: clip(r.reason),
      principal: r.principal,
      createdAt: r.createdAt,
      state: r.state,
      droppedRecords: r.droppedRecords ?? null,
      certificate: r.tombstoneIndex === undefined || r.tombstoneIndex < 0 ? null : `${r.tenant}.${r.tombstoneIndex}`,
    }));
  if (broken.length > 0)
    findings.push({ status: "fail", message: `${broken.length} deletion certificate(s) do not match the ledger: ${broken.slice(0, 10).join(", ")}` });
  const pending = requests.filter((r) => r.state === "planned");
  if (pending.length > 0) findings.push({ status: "attention", message: `${pending.length} deletion request(s) are not finished` });
  return section("deletions", "Deletions", criteria, findings, {
    available: true,
    certificates,
    requests,
    records: certificates.reduce((n, c) => n + c.records, 0),
    lastRetentionRun: isoOrNull(service.lastRun === undefined ? undefined : Date.parse(service.lastRun.startedAt)),
  });
}

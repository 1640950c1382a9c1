// Report section "retention vs audit window" (C1.2, A1.2): effective policies, streams kept shorter than the window, legal holds.

import { formatRetentionDays, type TenantCatalog } from "@meshlog/storage";
import { RETENTION_SERVICE, type RetentionService } from "../retention/retention-service.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, type ReportScope } from "./report-scope.js";

export async function retentionSection(scope: ReportScope): Promise<ReportSection> {
  const { ctx } = scope;
  const cfg = ctx.config.retention;
  const service = ctx.services.get(RETENTION_SERVICE) as RetentionService | undefined;
  const findings: Finding[] = [];
  if (service === undefined) {
    findings.push({ status: "attention", message: "retention management is not available on this store: no policy, hold or deletion evidence" });
    return section("retention", "Retention versus audit window", ["C1.2", "A1.2"], findings, { available: false });
  }
  const window = service.policies.settings.auditWindowDays;
  const store = ctx.store as { catalog?: (t: string) => TenantCatalog | undefined };
  const tenants = [];
  const short: string[] = [];
  for (const tenant of scope.tenants) {
    const policy = service.policies.get(tenant);
    const streams = [];
    for (const s of await ctx.store.streams(tenant, scope.startNs, scope.endNs)) {
      const days = service.policies.daysFor(tenant, s.labels);
      const held = service.holds.holdsOn(tenant, s.labels).map((h) => h.id);
      if (days < window && held.length === 0) short.push(`${tenant} ${clip(JSON.stringify(s.labels), 120)} (${days}d)`);
      streams.push({ labels: s.labels, retentionDays: days, shorterThanAuditWindow: days < window, holds: held });
    }
    const blocks = typeof store.catalog === "function" ? [...(store.catalog(tenant)?.blocks() ?? [])] : [];
    tenants.push({
      tenant,
      policy:
        policy === undefined
          ? { source: "default", default: formatRetentionDays(service.policies.settings.defaultDays), rules: [] }
          : {
              source: policy.updatedBy === "config" ? "config" : "api",
              version: policy.version,
              updatedAt: policy.updatedAt,
              updatedBy: policy.updatedBy,
              default: policy.default ?? null,
              rules: policy.rules,
            },
      streams,
      heldBlocks: blocks.filter((b) => b.legalHold).length,
    });
  }
  const holds = service.holds
    .list()
    .filter((h) => scope.tenants.includes(h.tenant))
    .filter((h) => h.releasedAt === undefined || Date.parse(h.releasedAt) >= scope.startMs)
    .map((h) => ({
      id: h.id,
      tenant: h.tenant,
      selector: clip(h.selector),
      reason: clip(h.reason),
      placedBy: h.principal,
      createdAt: h.createdAt,
      until: h.until ?? null,
      releasedAt: h.releasedAt ?? null,
      releasedBy: h.releasedBy ?? null,
      active: service.holds.isActive(h),
    }));
  if (short.length > 0) {
    findings.push({
      status: "attention",
      message: `${short.length} stream(s) are kept shorter than the ${window}-day audit window: ${short.slice(0, 10).join("; ")}${short.length > 10 ? "; …" : ""}`,
    });
  }
  if (!cfg.enabled)
    findings.push({ status: "attention", message: "the retention job is disabled (retention.enabled: false): expired data is not disposed of" });
  const last = service.lastRun;
  return section("retention", "Retention versus audit window", ["C1.2", "A1.2"], findings, {
    available: true,
    auditWindowDays: window,
    defaultRetention: formatRetentionDays(service.policies.settings.defaultDays),
    auditStreamsMinimumDays: window,
    job: {
      enabled: cfg.enabled,
      intervalSeconds: cfg.intervalSeconds,
      lastRun: last === undefined ? null : { startedAt: last.startedAt, deletedBlocks: last.deletedBlocks, heldBlocks: last.heldBlocks },
    },
    tenants,
    holds,
  });
}

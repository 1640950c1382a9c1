// Report section "source inventory" (CC7.2, PI1): every stream and receiver seen in the period, silent ones flagged.

import { formatRfc3339Ns, type Labels } from "@meshlog/core";
import type { LogStore, StreamInfo, TenantCatalog } from "@meshlog/storage";
import type { SourceTracker } from "../sources/source-tracker.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, HOUR_MS, isoOrNull, type ReportScope } from "./report-scope.js";

/** Most records counted one by one (unsealed data) per report; beyond it counts are marked approximate. */
const MAX_COUNTED = 2_000_000;

interface CatalogStore {
  catalog(tenant: string): TenantCatalog | undefined;
}

const catalogOf = (store: LogStore, tenant: string): TenantCatalog | undefined =>
  typeof (store as Partial<CatalogStore>).catalog === "function" ? (store as unknown as CatalogStore).catalog(tenant) : undefined;

const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);

/** One stream of the inventory. */
export interface InventoryStream {
  readonly tenant: string;
  readonly labels: Labels;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** Records of the period: sealed blocks overlapping it (block granularity) plus unsealed records counted. */
  readonly records: number;
  readonly approximate: boolean;
  readonly silent: boolean;
}

/**
 * Counts a stream's records in [start, end): rows of its sealed blocks that overlap the period, plus the
 * unsealed records newer than its last block (read from the head). Without a catalog, every record is counted.
 */
async function countRecords(
  store: LogStore,
  s: StreamInfo,
  start: bigint,
  end: bigint,
  budget: { left: number },
): Promise<{ n: number; approximate: boolean }> {
  const cs = catalogOf(store, s.tenant)?.stream(s.id);
  let n = 0;
  let approximate = false;
  let from = start;
  if (cs !== undefined) {
    for (const b of cs.blocks) {
      if (b.maxTime < start || b.minTime >= end) continue;
      n += b.rows;
      if (b.minTime < start || b.maxTime >= end) approximate = true;
      if (b.maxTime + 1n > from) from = b.maxTime + 1n;
    }
  }
  if (from >= end) return { n, approximate };
  for await (const batch of store.select({ tenant: s.tenant, streamIds: [s.id], start: from, end, direction: "forward" })) {
    n += batch.length;
    budget.left -= batch.length;
    if (budget.left <= 0) return { n, approximate: true };
  }
  return { n, approximate };
}

export async function sourcesSection(scope: ReportScope): Promise<ReportSection> {
  const { ctx, startNs, endNs } = scope;
  const horizonMs = Math.min(scope.endMs, scope.nowMs);
  const silentMs = scope.settings.silentSourceHours * HOUR_MS;
  const budget = { left: MAX_COUNTED };
  const streams: InventoryStream[] = [];
  for (const tenant of scope.tenants) {
    for (const s of await ctx.store.streams(tenant, startNs, endNs)) {
      const { n, approximate } = budget.left > 0 ? await countRecords(ctx.store, s, startNs, endNs, budget) : { n: 0, approximate: true };
      const lastMs = s.maxTime > 0n ? nsToMs(s.maxTime) : 0;
      streams.push({
        tenant,
        labels: s.labels,
        firstSeen: s.minTime > 0n ? formatRfc3339Ns(s.minTime) : null,
        lastSeen: s.maxTime > 0n ? formatRfc3339Ns(s.maxTime) : null,
        records: n,
        approximate,
        silent: lastMs > 0 && horizonMs - lastMs > silentMs,
      });
    }
  }
  streams.sort((a, b) => (a.tenant === b.tenant ? JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)) : a.tenant.localeCompare(b.tenant)));
  const tracker = ctx.services.get("sources") as SourceTracker | undefined;
  const inScope = new Set(scope.tenants);
  const receivers = (tracker?.list(silentMs) ?? [])
    .filter((r) => inScope.has(r.tenant))
    .map((r) => ({
      tenant: r.tenant,
      receiver: clip(r.source, 100),
      service: clip(r.service, 200),
      host: clip(r.host, 200),
      linesSinceStart: r.lines,
      errorsSinceStart: r.errors,
      lastSeen: isoOrNull(r.lastSeenMs),
      silent: r.silent,
    }));
  const findings: Finding[] = [];
  const silent = streams.filter((s) => s.silent);
  if (streams.length === 0) findings.push({ status: "attention", message: "no source delivered data in the period" });
  if (silent.length > 0) {
    const names = silent.slice(0, 10).map((s) => `${s.tenant} ${clip(JSON.stringify(s.labels), 120)}`);
    findings.push({
      status: "attention",
      message: `${silent.length} stream(s) silent for more than ${scope.settings.silentSourceHours}h before the period end: ${names.join("; ")}${silent.length > 10 ? "; …" : ""}`,
    });
  }
  return section("sources", "Source inventory", ["CC7.2", "PI1"], findings, {
    silentAfterHours: scope.settings.silentSourceHours,
    streamCount: streams.length,
    silentCount: silent.length,
    records: streams.reduce((n, s) => n + s.records, 0),
    streams,
    receivers,
    receiversNote: "receiver counters cover the time since the server started",
  });
}

// What every report section is computed from: the server context, the period and the tenants in scope.

import type { ServerContext } from "../../context.js";
import type { Principal } from "../auth/principal.js";

/** Thresholds of the report (config section `reports`). */
export interface ReportSettings {
  readonly silentSourceHours: number;
  readonly staleTokenDays: number;
  readonly verificationMaxAgeHours: number;
}

/** How the integrity section gets its verification: reuse a recent one (auto), always run, or only reuse. */
export type VerifyMode = "auto" | "run" | "latest";

/**
 * Inputs of one report. Invariant: `tenants` holds only tenants the caller may see; `visible` is undefined
 * only for callers allowed on every tenant (they also see tenant-less events such as failed logins).
 */
export interface ReportScope {
  readonly ctx: ServerContext;
  readonly caller: Principal;
  /** Inclusive start, exclusive end (ns and ms). */
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly startMs: number;
  readonly endMs: number;
  readonly nowMs: number;
  /** Data tenants covered (never the audit tenant), sorted. */
  readonly tenants: readonly string[];
  /** Tenants whose objects the caller may see; undefined = all. */
  readonly visible: readonly string[] | undefined;
  /** True when the report covers only some tenants (a tenant was asked for, or the caller sees only some). */
  readonly restricted: boolean;
  readonly settings: ReportSettings;
  readonly verify: VerifyMode;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** RFC 3339 (milliseconds) of a ms time, or null for an unknown (0/NaN) one. */
export function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) || ms <= 0 ? null : new Date(ms).toISOString();
}

/** Shortens a value an auditor reads (selectors, reasons, summaries) so one hostile value cannot bloat the report. */
export function clip(s: string, n = 300): string {
  return s.length > n ? s.slice(0, n) + "…" : s;
}

// Report section "access review" (CC6.1, CC6.2, CC6.3): principals, roles, scopes and tokens with their last use.

import { securityOf } from "../auth/security-module.js";
import type { TokenView } from "../auth/token-store.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, DAY_MS, type ReportScope } from "./report-scope.js";

const OTHER = "(another tenant)";

/** Who may act on a tenant in scope: home tenant in scope, or allowed tenants naming one (or "*"). Other tenant names are masked. */
function access(scope: ReportScope, home: string, tenants: readonly string[] | "*"): { relevant: boolean; home: string; tenants: string[] | "*" } {
  const mine = (t: string): boolean => scope.tenants.includes(t);
  const relevant = mine(home) || tenants === "*" || tenants.some(mine);
  const see = (t: string): boolean => scope.visible === undefined || scope.visible.includes(t);
  return { relevant, home: see(home) ? home : OTHER, tenants: tenants === "*" ? "*" : [...new Set(tenants.map((t) => (see(t) ? t : OTHER)))] };
}

export function accessReviewSection(scope: ReportScope): ReportSection {
  const sec = securityOf(scope.ctx);
  const findings: Finding[] = [];
  if (sec === undefined) {
    findings.push({ status: "fail", message: "the security module is not running: no principals or tokens to review" });
    return section("access-review", "Access review", ["CC6.1", "CC6.2", "CC6.3"], findings, { available: false });
  }
  const staleMs = scope.settings.staleTokenDays * DAY_MS;
  const tokens = [];
  const stale: string[] = [];
  const noExpiry: string[] = [];
  for (const t of sec.tokens.list() as TokenView[]) {
    const a = access(scope, t.tenant, t.tenants);
    if (!a.relevant) continue;
    const live = !t.revoked && !t.expired;
    const lastUse = Date.parse(t.lastUsedAt ?? t.createdAt);
    const isStale = live && scope.nowMs - lastUse > staleMs;
    const lacksExpiry = live && t.kind !== "bootstrap" && t.expiresAt === undefined;
    if (isStale) stale.push(t.id);
    if (lacksExpiry) noExpiry.push(t.id);
    tokens.push({
      id: t.id,
      name: clip(t.name, 200),
      kind: t.kind,
      principal: t.principalId,
      tenant: a.home,
      tenants: a.tenants,
      roles: t.roles,
      scope: t.scope ?? null,
      createdAt: t.createdAt,
      createdBy: t.createdBy,
      expiresAt: t.expiresAt ?? null,
      lastUsedAt: t.lastUsedAt ?? null,
      revokedAt: t.revokedAt ?? null,
      revokedBy: t.revokedBy ?? null,
      state: t.revoked ? "revoked" : t.expired ? "expired" : "live",
      flags: [...(isStale ? [`unused for more than ${scope.settings.staleTokenDays} days`] : []), ...(lacksExpiry ? ["no expiry"] : [])],
    });
  }
  const principals = [];
  const known = new Set<string>();
  for (const p of sec.principals.list()) {
    known.add(p.id);
    const a = access(scope, p.tenant, p.tenants);
    if (!a.relevant) continue;
    principals.push({
      id: p.id,
      name: clip(p.name, 200),
      kind: p.kind,
      tenant: a.home,
      tenants: a.tenants,
      roles: p.roles,
      scope: p.scope ?? null,
      disabled: p.disabled,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      updatedBy: p.updatedBy,
      tokens: tokens.filter((t) => t.principal === p.id).map((t) => t.id),
    });
  }
  // An unbound token acts as its own service principal: list it so the review is complete.
  for (const t of tokens) {
    if (known.has(t.principal) || principals.some((p) => p.id === t.principal)) continue;
    principals.push({
      id: t.principal,
      name: t.name,
      kind: "service",
      tenant: t.tenant,
      tenants: t.tenants,
      roles: t.roles,
      scope: t.scope,
      disabled: t.state !== "live",
      createdAt: t.createdAt,
      updatedAt: t.revokedAt ?? t.createdAt,
      updatedBy: t.revokedBy ?? t.createdBy,
      tokens: [t.id],
    });
  }
  const admins = principals.filter((p) => p.roles.includes("admin") && !p.disabled).map((p) => p.id);
  if (stale.length > 0)
    findings.push({
      status: "attention",
      message: `${stale.length} live token(s) unused for more than ${scope.settings.staleTokenDays} days: ${stale.slice(0, 20).join(", ")}`,
    });
  if (noExpiry.length > 0)
    findings.push({ status: "attention", message: `${noExpiry.length} live token(s) never expire: ${noExpiry.slice(0, 20).join(", ")}` });
  return section("access-review", "Access review", ["CC6.1", "CC6.2", "CC6.3"], findings, {
    available: true,
    roles: {
      admin: "everything, including tokens, principals, retention, holds and deletions",
      auditor: "audit trail, access review, compliance and reports (read only)",
      analyst: "query and tail within its scope",
      ingest: "write through the receivers",
    },
    admins,
    principals,
    tokens,
    staleAfterDays: scope.settings.staleTokenDays,
    note: "token secrets are never stored or shown; only their ids",
  });
}

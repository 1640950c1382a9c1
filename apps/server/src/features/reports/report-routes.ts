// SOC 2 evidence report API: GET /api/v1/reports/soc2 (JSON or HTML, signed and anchored) and POST /api/v1/reports/verify.

import { AUDIT_TENANT, isValidTenant, MeshlogError, parseTimestampNs } from "@meshlog/core";
import { EmbeddedStore, NodeFileSystem, trustedPublicKeysIn, verifyReport, type AnchorLedgerView, type Ledger } from "@meshlog/storage";
import type { FastifyRequest } from "fastify";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import { requireRole } from "../../http/request-auth.js";
import type { RouteModule } from "../../http/route-module.js";
import { visibleTenantsOf } from "../auth/tenant-access.js";
import { ReportErrors } from "./errors.js";
import { generateReport } from "./report-builder.js";
import { renderReportHtml } from "./report-html.js";
import { DAY_MS, type ReportScope, type VerifyMode } from "./report-scope.js";

/** Default period: the last 90 days. Longest period: 10 years. */
const DEFAULT_PERIOD_MS = 90 * DAY_MS;
const MAX_PERIOD_MS = 3660 * DAY_MS;

function invalid(field: string, message: string): MeshlogError {
  return new MeshlogError(ReportErrors.REPORT_REQUEST_INVALID, `Invalid report request: ${field}: ${message}`, { details: { field } });
}

function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > 100) throw invalid(name, "must be given once, at most 100 characters");
  return v;
}

function timeParam(q: Record<string, unknown>, name: string): number | undefined {
  const v = param(q, name);
  if (v === undefined || v === "") return undefined;
  try {
    return Number(parseTimestampNs(v, name) / 1_000_000n);
  } catch (e) {
    throw invalid(name, (e as Error).message);
  }
}

async function scopeOf(request: FastifyRequest, ctx: ServerContext): Promise<{ scope: ReportScope; format: "json" | "html" }> {
  const caller = requireRole(request, "admin", "auditor");
  // The report covers whole tenants (every stream's labels, the audit trail's queries): a label scope cannot bound it.
  if (caller.scope !== undefined && caller.scope.trim() !== "")
    throw new MeshlogError(
      ServerErrors.AUTH_FORBIDDEN,
      `the SOC 2 report covers whole tenants: it needs a token without a read scope (this one is limited to ${caller.scope.slice(0, 200)})`,
    );
  const q = (request.query ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(q))
    if (!["start", "end", "tenant", "format", "verify"].includes(k)) throw invalid(k, "unknown parameter (start, end, tenant, format, verify)");
  const nowMs = ctx.clock.nowMs();
  const endMs = timeParam(q, "end") ?? nowMs;
  const startMs = timeParam(q, "start") ?? endMs - DEFAULT_PERIOD_MS;
  if (startMs >= endMs) throw invalid("start", "must be before end");
  if (endMs - startMs > MAX_PERIOD_MS) throw invalid("start", `the period may span at most ${MAX_PERIOD_MS / DAY_MS} days`);
  const format = param(q, "format") ?? "json";
  if (format !== "json" && format !== "html") throw invalid("format", "must be json or html");
  const verify = param(q, "verify") ?? "auto";
  if (verify !== "auto" && verify !== "run" && verify !== "latest") throw invalid("verify", "must be auto, run or latest");
  const visible = visibleTenantsOf(caller);
  const tenant = param(q, "tenant");
  let tenants: string[];
  if (tenant !== undefined && tenant !== "") {
    if (!isValidTenant(tenant) || tenant === AUDIT_TENANT) throw invalid("tenant", `${JSON.stringify(tenant.slice(0, 64))} is not a data tenant`);
    if (visible !== undefined && !visible.includes(tenant))
      throw new MeshlogError(ServerErrors.AUTH_FORBIDDEN, `this token may not report on tenant ${tenant}`);
    tenants = [tenant];
  } else tenants = visible === undefined ? [...(await ctx.store.tenants())] : [...visible];
  tenants = [...new Set(tenants.filter((t) => t !== AUDIT_TENANT))].sort();
  const settings = ctx.config.reports;
  return {
    format,
    scope: {
      ctx,
      caller,
      startMs,
      endMs,
      startNs: BigInt(startMs) * 1_000_000n,
      endNs: BigInt(endMs) * 1_000_000n,
      nowMs,
      tenants,
      visible,
      restricted: visible !== undefined || (tenant !== undefined && tenant !== ""),
      settings,
      verify: verify as VerifyMode,
    },
  };
}

function ledgerView(ledger: Ledger): AnchorLedgerView {
  return {
    size: () => ledger.size(),
    entry: (i) => ledger.entries()[i],
    leafHash: (i) => ledger.leafHashOf(i),
    inclusionProof: (i, n) => ledger.inclusionProofFor(i, n),
  };
}

export const reportRoutes: RouteModule = {
  name: "reports",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/reports/soc2", { config: { audit: "report.generate" } }, async (request, reply) => {
      const { scope, format } = await scopeOf(request, ctx);
      const report = await generateReport(scope);
      request.auditRows = report.sections.length;
      request.auditDetails = {
        reportId: report.reportId,
        start: report.period.start,
        end: report.period.end,
        tenants: report.tenants.join(",").slice(0, 500),
        format,
        status: report.summary.status,
        ledgerIndex: report.anchor.leafIndex,
      };
      const name = `meshlog-soc2-${report.reportId}.${format}`;
      void reply.header("content-disposition", `attachment; filename="${name}"`).header("cache-control", "no-store");
      if (format === "html") {
        return reply
          .type("text/html; charset=utf-8")
          .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
          .send(renderReportHtml(report));
      }
      return reply.type("application/json; charset=utf-8").send(JSON.stringify(report, null, 2));
    });

    app.post("/api/v1/reports/verify", { config: { audit: "report.verify" } }, async (request) => {
      requireRole(request, "admin", "auditor");
      if (!(ctx.store instanceof EmbeddedStore))
        throw new MeshlogError(ReportErrors.REPORT_UNAVAILABLE, "report verification needs the embedded storage engine's ledger");
      const body: unknown = request.body;
      if (body === null || typeof body !== "object" || Array.isArray(body))
        throw new MeshlogError(ReportErrors.REPORT_MALFORMED, "the body must be a report (JSON object)");
      const fs = new NodeFileSystem();
      const trusted = await trustedPublicKeysIn(fs, ctx.store.layout().keysDir);
      const ledger = (await ctx.store.ledger(AUDIT_TENANT)).raw as Ledger;
      const result = verifyReport(body, trusted, AUDIT_TENANT, ledgerView(ledger));
      request.auditDetails = { reportId: result.reportId ?? "", ok: result.ok };
      return result;
    });
  },
};

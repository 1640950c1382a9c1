// Builds, anchors and signs a SOC 2 evidence report from the data of a running server.

import { randomBytes } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import { ReportErrors } from "./errors.js";
import { accessReviewSection } from "./report-access.js";
import { activitySections } from "./report-activity.js";
import { encryptionSection } from "./report-encryption.js";
import { integritySection } from "./report-integrity.js";
import { summarize, type Soc2Report, type UnsignedReport } from "./report-model.js";
import { deletionsSection, incidentsSection } from "./report-response.js";
import { retentionSection } from "./report-retention.js";
import type { ReportScope } from "./report-scope.js";
import { anchorAndSign, openReportSigner } from "./report-signing.js";
import { sourcesSection } from "./report-sources.js";

/**
 * Generates the report of `scope`: every section computed from the store, ledgers, key ring, security and
 * retention state and the audit stream; then its content hash is ledgered and the whole is signed.
 * Throws REPORT_UNAVAILABLE when there is no ledger signing key (store other than the embedded engine).
 */
export async function generateReport(scope: ReportScope): Promise<Soc2Report> {
  const signer = await openReportSigner(scope.ctx);
  if (signer === undefined)
    throw new MeshlogError(
      ReportErrors.REPORT_UNAVAILABLE,
      "reports are signed with the ledger key of the embedded storage engine, which this server does not have",
    );
  const [activity, changes] = await activitySections(scope);
  const sections = [
    await sourcesSection(scope),
    await retentionSection(scope),
    await integritySection(scope, signer),
    await encryptionSection(scope),
    accessReviewSection(scope),
    activity,
    await incidentsSection(scope),
    await deletionsSection(scope),
    changes,
  ];
  const report: UnsignedReport = {
    kind: "meshlog.soc2-evidence",
    version: 1,
    reportId: `rpt_${randomBytes(12).toString("base64url")}`,
    generatedAt: new Date(scope.ctx.clock.nowMs()).toISOString(),
    generatedBy: scope.caller.id,
    period: { start: new Date(scope.startMs).toISOString(), end: new Date(scope.endMs).toISOString() },
    tenants: scope.tenants,
    sections,
    summary: summarize(sections),
  };
  return anchorAndSign(scope.ctx, report, signer);
}

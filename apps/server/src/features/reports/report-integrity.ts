// Report section "integrity verification" (CC7.2, PI1): the live verification result, ledger sizes and signed checkpoints.

import { AUDIT_TENANT } from "@meshlog/core";
import { EmbeddedStore, type Ledger, type VerifyReport } from "@meshlog/storage";
import { verifyLive, type VerificationRecord } from "../compliance/compliance-routes.js";
import { section, type Finding, type ReportSection } from "./report-model.js";
import { clip, HOUR_MS, type ReportScope } from "./report-scope.js";
import type { ReportSigner } from "./report-signing.js";

/** ctx.services key where the compliance API keeps the latest verification (shared with it). */
const LAST_VERIFICATION = "compliance.lastVerification";

/**
 * The verification the report relies on. Verifying decrypts every block, so by default (auto) a verification
 * younger than reports.verificationMaxAgeHours is reused; otherwise one runs now and becomes the latest.
 */
async function verification(scope: ReportScope): Promise<{ rec: VerificationRecord | undefined; ranNow: boolean }> {
  const { ctx } = scope;
  const last = ctx.services.get(LAST_VERIFICATION) as VerificationRecord | undefined;
  const fresh = last !== undefined && scope.nowMs - Date.parse(last.at) <= scope.settings.verificationMaxAgeHours * HOUR_MS;
  if (scope.verify === "latest" || (scope.verify === "auto" && fresh)) return { rec: last, ranNow: false };
  const report: VerifyReport = await verifyLive(ctx);
  const rec: VerificationRecord = { ...report, at: new Date(ctx.clock.nowMs()).toISOString(), by: scope.caller.id };
  ctx.services.set(LAST_VERIFICATION, rec);
  ctx.audit.record({
    action: "compliance.verification",
    principal: scope.caller.id,
    tenant: scope.caller.tenant,
    result: report.ok ? "ok" : "error",
    details: { ok: report.ok, blocks: report.blocks, problems: report.problems.length, trigger: "report" },
  });
  return { rec, ranNow: true };
}

export async function integritySection(scope: ReportScope, signer: ReportSigner | undefined): Promise<ReportSection> {
  const { ctx } = scope;
  const findings: Finding[] = [];
  if (!(ctx.store instanceof EmbeddedStore)) {
    findings.push({ status: "fail", message: "the store is not the embedded engine: there is no ledger to verify" });
    return section("integrity", "Integrity verification", ["CC7.2", "PI1"], findings, { available: false });
  }
  const store = ctx.store;
  const { rec, ranNow } = await verification(scope);
  const ledgers = [];
  for (const tenant of [...scope.tenants, AUDIT_TENANT]) {
    const ledger = (await store.ledger(tenant)).raw as Ledger;
    const cp = ledger.latestCheckpoint();
    const entries = ledger.entries();
    ledgers.push({
      tenant,
      treeSize: ledger.size(),
      rootHash: ledger.rootHash(),
      blockEntries: entries.filter((e) => e.type === "block").length,
      tombstones: entries.filter((e) => e.type === "tombstone").length,
      events: entries.filter((e) => e.type === "event").length,
      latestCheckpoint:
        cp === undefined ? null : { seq: cp.seq, treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, keyId: cp.keyId, signature: cp.signature },
      unsignedEntries: ledger.size() - (cp?.treeSize ?? 0),
    });
  }
  // Problems naming a tenant the caller may not see are counted, not shown.
  const mine = (t: string | undefined): boolean => t === undefined || t === AUDIT_TENANT || scope.visible === undefined || scope.visible.includes(t);
  const problems = (rec?.problems ?? [])
    .filter((p) => mine(p.tenant))
    .map((p) => ({ kind: p.kind, tenant: p.tenant ?? null, block: p.block ?? null, message: clip(p.message, 500) }));
  const hidden = (rec?.problems.length ?? 0) - problems.length;
  if (rec === undefined)
    findings.push({ status: "attention", message: "no integrity verification has been run (POST /api/v1/compliance/verify, or verify=run)" });
  else if (!rec.ok) findings.push({ status: "fail", message: `integrity verification at ${rec.at} found ${rec.problems.length} problem(s)` });
  else if (Date.parse(rec.at) < scope.startMs)
    findings.push({ status: "attention", message: `the latest integrity verification (${rec.at}) is older than the period` });
  for (const l of ledgers)
    if (l.treeSize > 0 && l.latestCheckpoint === null) findings.push({ status: "attention", message: `ledger of tenant ${l.tenant} has no signed checkpoint` });
  return section("integrity", "Integrity verification", ["CC7.2", "PI1"], findings, {
    available: true,
    verification:
      rec === undefined
        ? null
        : {
            at: rec.at,
            by: rec.by,
            ranForThisReport: ranNow,
            ok: rec.ok,
            tenants: rec.tenants,
            blocks: rec.blocks,
            records: rec.records,
            problems,
            problemsInOtherTenants: hidden,
          },
    signer: signer === undefined ? null : { alg: "Ed25519", keyId: signer.keyId, publicKey: signer.publicKeyPem },
    ledgers,
    method:
      "every block's ciphertext and header hash against its tenant ledger, decrypted records against the block's Merkle root, every checkpoint's Ed25519 signature and chain, a signed tombstone for every missing block",
  });
}

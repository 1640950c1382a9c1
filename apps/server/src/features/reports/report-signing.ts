// Signs a report with the server's ledger Ed25519 key and anchors its content hash in the audit tenant's ledger.

import { AUDIT_TENANT, MeshlogError } from "@meshlog/core";
import { EmbeddedStore, NodeFileSystem, REPORT_LEDGER_EVENT, reportContentHash, reportSignedBytes, Signer, type Ledger } from "@meshlog/storage";
import type { ServerContext } from "../../context.js";
import { ReportErrors } from "./errors.js";
import type { AnchoredReport, ReportAnchor, Soc2Report, UnsignedReport } from "./report-model.js";

/** The ledger signing key as the report uses it (the private key never leaves Signer). */
export interface ReportSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(data: Uint8Array): Buffer;
}

/** The private key file of the ledger signer in DATA/keys (docs/specs/ledger.md §1.2). */
const SIGNING_KEY_FILE = "ledger-signing.key";

/**
 * Loads the server's existing ledger signing key (the one checkpoints are signed with); undefined when the
 * store is not the embedded engine or has no key yet. It never creates a key: a report must be signed by
 * the key auditors already trust.
 */
export async function openReportSigner(ctx: ServerContext): Promise<ReportSigner | undefined> {
  if (!(ctx.store instanceof EmbeddedStore)) return undefined;
  const fs = new NodeFileSystem();
  const keysDir = ctx.store.layout().keysDir;
  if ((await fs.stat(fs.join(keysDir, SIGNING_KEY_FILE))) === undefined) return undefined;
  const signer = await Signer.open(fs, keysDir);
  return { keyId: signer.keyId(), publicKeyPem: signer.publicKeyPem(), sign: (d) => signer.sign(d) };
}

/**
 * Appends `report.generated` (report id, content hash, period, tenants, author) to the audit tenant's ledger,
 * signs a checkpoint covering it, then signs the anchored report. Order matters: the ledger commits to the
 * content, the signature to content and anchor.
 */
export async function anchorAndSign(ctx: ServerContext, report: UnsignedReport, signer: ReportSigner): Promise<Soc2Report> {
  if (!(ctx.store instanceof EmbeddedStore))
    throw new MeshlogError(ReportErrors.REPORT_UNAVAILABLE, "reports need the embedded storage engine (its ledger anchors them)");
  const ledger = (await ctx.store.ledger(AUDIT_TENANT)).raw as Ledger;
  const contentHash = reportContentHash(report as unknown as Record<string, unknown>);
  const leafIndex = await ledger.appendEvent({
    kind: REPORT_LEDGER_EVENT,
    data: {
      reportId: report.reportId,
      contentHash,
      generatedAt: report.generatedAt,
      generatedBy: report.generatedBy,
      period: { ...report.period },
      tenants: [...report.tenants],
      keyId: signer.keyId,
    },
  });
  const cp = await ledger.checkpoint();
  if (cp.keyId !== signer.keyId) {
    throw new MeshlogError(
      ReportErrors.REPORT_UNAVAILABLE,
      `the ledger signed checkpoint ${cp.seq} with key ${cp.keyId} but the report key is ${signer.keyId} (was the signing key rotated just now?); generate the report again`,
    );
  }
  const anchor: ReportAnchor = {
    tenant: AUDIT_TENANT,
    leafIndex,
    leafHash: ledger.leafHashOf(leafIndex),
    contentHash,
    checkpoint: { ...cp },
    inclusionProof: ledger.inclusionProofFor(leafIndex, cp.treeSize),
  };
  const anchored: AnchoredReport = { ...report, anchor };
  const value = signer.sign(reportSignedBytes(anchored as unknown as Record<string, unknown>)).toString("base64");
  return { ...anchored, signature: { alg: "Ed25519", keyId: signer.keyId, publicKey: signer.publicKeyPem, value } };
}

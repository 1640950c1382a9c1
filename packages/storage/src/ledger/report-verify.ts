// Verifies a signed evidence report: its Ed25519 signature by a trusted ledger key and its anchor (a ledger event
// recording its content hash, included in a signed checkpoint). Shared by the server's verify API and the offline CLI.

import { createHash, createPublicKey } from "node:crypto";
import { canonicalJsonBytes } from "./canonical-json.js";
import { checkpointBody, ledgerOrigin, type Checkpoint, type LedgerEntry } from "./ledger-format.js";
import { verifyInclusion } from "./merkle.js";
import { Signer, signingKeyIdOf } from "./signer.js";

/** Kind of the ledger event that anchors a generated report (data: reportId, contentHash, period, tenants, ...). */
export const REPORT_LEDGER_EVENT = "report.generated";

/** Hex SHA-256 of the canonical JSON of the report's content (everything but `anchor` and `signature`). */
export function reportContentHash(report: Record<string, unknown>): string {
  const { anchor: _a, signature: _s, ...content } = report;
  return createHash("sha256").update(canonicalJsonBytes(content)).digest("hex");
}

/** The bytes the report signature covers: canonical JSON of the report without `signature`. */
export function reportSignedBytes(report: Record<string, unknown>): Buffer {
  const { signature: _s, ...rest } = report;
  return canonicalJsonBytes(rest);
}

/** One check of a report verification. `name` says which part failed: format, signature or anchor. */
export interface ReportCheck {
  readonly name: "format" | "signature" | "anchor";
  readonly ok: boolean;
  readonly message: string;
}

export interface ReportVerification {
  readonly ok: boolean;
  readonly reportId: string | null;
  readonly checks: readonly ReportCheck[];
}

/** The ledger the anchor points into, as the verifier reads it (the live Ledger, or entries read offline). */
export interface AnchorLedgerView {
  size(): number;
  entry(index: number): LedgerEntry | undefined;
  /** Hex leaf hash of entry `index`. */
  leafHash(index: number): string;
  /** Hex audit path of entry `index` in the tree of the first `treeSize` entries. */
  inclusionProof(index: number, treeSize: number): string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isHex = (v: unknown, len = 64): v is string => typeof v === "string" && v.length === len && /^[0-9a-f]+$/.test(v);

/** Format problem of a report object, or undefined when every field the checks read is present and typed. */
function formatProblem(r: Record<string, unknown>): string | undefined {
  if (r.kind !== "meshlog.soc2-evidence") return 'field "kind" is not "meshlog.soc2-evidence"';
  if (typeof r.reportId !== "string") return 'field "reportId" is missing';
  const s = r.signature;
  if (!isObj(s) || typeof s.alg !== "string" || typeof s.publicKey !== "string" || typeof s.value !== "string" || typeof s.keyId !== "string")
    return 'field "signature" must hold alg, keyId, publicKey and value strings';
  const a = r.anchor;
  if (!isObj(a) || typeof a.tenant !== "string" || !Number.isSafeInteger(a.leafIndex) || !isHex(a.leafHash) || !isHex(a.contentHash))
    return 'field "anchor" must hold tenant, leafIndex, leafHash and contentHash';
  if (!Array.isArray(a.inclusionProof) || !a.inclusionProof.every((h) => isHex(h))) return 'field "anchor.inclusionProof" must be a list of hex hashes';
  const c = a.checkpoint;
  if (!isObj(c) || !Number.isSafeInteger(c.treeSize) || !Number.isSafeInteger(c.seq) || !isHex(c.rootHash) || !isHex(c.prevCheckpointHash))
    return 'field "anchor.checkpoint" must be a signed checkpoint';
  for (const k of ["origin", "tenant", "time", "keyId", "signature"]) if (typeof c[k] !== "string") return `field "anchor.checkpoint.${k}" must be a string`;
  return undefined;
}

function checkSignature(r: Record<string, unknown>, trusted: ReadonlyMap<string, string>): ReportCheck {
  const s = r.signature as Record<string, string>;
  const fail = (message: string): ReportCheck => ({ name: "signature", ok: false, message });
  if (s.alg !== "Ed25519") return fail(`signature algorithm ${JSON.stringify(s.alg).slice(0, 40)} is not Ed25519`);
  let keyId: string;
  try {
    keyId = signingKeyIdOf(s.publicKey as string);
  } catch {
    return fail("signature.publicKey is not a PEM public key");
  }
  if (
    createPublicKey(s.publicKey as string)
      .export({ format: "pem", type: "spki" })
      .toString() !== s.publicKey
  )
    return fail("signature.publicKey is not the SPKI PEM text the server writes (it was edited)");
  if (Buffer.from(s.value as string, "base64").toString("base64") !== s.value)
    return fail("signature.value is not the base64 text the server writes (it was edited)");
  if (keyId !== s.keyId) return fail(`signature.keyId ${JSON.stringify(s.keyId).slice(0, 40)} is not the id of signature.publicKey (${keyId})`);
  if (!trusted.has(keyId)) return fail(`the signing key ${keyId} is not a trusted ledger signing key of this data folder`);
  if (!Signer.verify(s.publicKey as string, reportSignedBytes(r), Buffer.from(s.value as string, "base64")))
    return fail("the Ed25519 signature does not match the report content: the report was changed after signing");
  return { name: "signature", ok: true, message: `signed by ledger key ${keyId}` };
}

function checkAnchor(
  r: Record<string, unknown>,
  trusted: ReadonlyMap<string, string>,
  expectedTenant: string,
  ledger: AnchorLedgerView | undefined,
): ReportCheck {
  const a = r.anchor as Record<string, unknown>;
  const cp = a.checkpoint as unknown as Checkpoint;
  const fail = (message: string): ReportCheck => ({ name: "anchor", ok: false, message });
  const index = a.leafIndex as number;
  const contentHash = reportContentHash(r);
  if (contentHash !== a.contentHash)
    return fail(`the report content hashes to ${contentHash}, not the anchored ${String(a.contentHash)}: the content was changed`);
  if (a.tenant !== expectedTenant || cp.tenant !== expectedTenant || cp.origin !== ledgerOrigin(expectedTenant))
    return fail(`the anchor must be in the ledger of tenant ${expectedTenant}`);
  const cpKey = trusted.get(cp.keyId);
  const { signature, ...unsigned } = cp;
  if (cpKey === undefined || !Signer.verify(cpKey, checkpointBody(unsigned), Buffer.from(signature, "base64")))
    return fail(`checkpoint seq ${cp.seq} is not signed by a trusted ledger key`);
  const proof = (a.inclusionProof as string[]).map((h) => Buffer.from(h, "hex"));
  if (!verifyInclusion(index, cp.treeSize, Buffer.from(a.leafHash as string, "hex"), proof, Buffer.from(cp.rootHash, "hex")))
    return fail(`the inclusion proof does not lead from leaf ${index} to the root of checkpoint seq ${cp.seq}`);
  if (ledger === undefined) return { name: "anchor", ok: true, message: `included in signed checkpoint seq ${cp.seq} (ledger not consulted)` };
  if (index >= ledger.size() || cp.treeSize > ledger.size())
    return fail(`the ledger of ${expectedTenant} holds ${ledger.size()} entries: leaf ${index} / tree size ${cp.treeSize} is missing`);
  const e = ledger.entry(index);
  if (e === undefined || e.type !== "event" || e.event.kind !== REPORT_LEDGER_EVENT)
    return fail(`ledger entry ${index} of ${expectedTenant} is not a ${REPORT_LEDGER_EVENT} event`);
  if (e.event.data.contentHash !== contentHash || e.event.data.reportId !== r.reportId)
    return fail(
      `ledger entry ${index} records another report (${String(e.event.data.reportId).slice(0, 80)}, hash ${String(e.event.data.contentHash).slice(0, 64)})`,
    );
  if (ledger.leafHash(index) !== a.leafHash) return fail(`anchor.leafHash differs from the ledger's leaf ${index}`);
  const live = ledger.inclusionProof(index, cp.treeSize).map((h) => Buffer.from(h, "hex"));
  if (!verifyInclusion(index, cp.treeSize, Buffer.from(ledger.leafHash(index), "hex"), live, Buffer.from(cp.rootHash, "hex")))
    return fail(`checkpoint seq ${cp.seq} is not a checkpoint of this ledger (its root differs at tree size ${cp.treeSize})`);
  return { name: "anchor", ok: true, message: `ledger ${expectedTenant} entry ${index} records this report; included in signed checkpoint seq ${cp.seq}` };
}

/**
 * Checks a report (as parsed JSON). `trustedKeys`: SPKI PEM public keys of the ledger signer (current and
 * retired). `ledger`: the audit tenant's ledger; when absent only the anchor's self-consistency is checked.
 */
export function verifyReport(report: unknown, trustedKeys: readonly string[], auditTenant: string, ledger: AnchorLedgerView | undefined): ReportVerification {
  const r = isObj(report) ? report : {};
  const reportId = typeof r.reportId === "string" ? r.reportId.slice(0, 100) : null;
  const problem = isObj(report) ? formatProblem(r) : "the report must be a JSON object";
  if (problem !== undefined) return { ok: false, reportId, checks: [{ name: "format", ok: false, message: problem }] };
  const trusted = new Map<string, string>();
  for (const k of trustedKeys) {
    try {
      trusted.set(signingKeyIdOf(k), k);
    } catch {
      /* an unreadable key file trusts nothing */
    }
  }
  let checks: ReportCheck[];
  try {
    checks = [checkSignature(r, trusted), checkAnchor(r, trusted, auditTenant, ledger)];
  } catch (e) {
    checks = [{ name: "format", ok: false, message: `the report cannot be encoded canonically: ${(e as Error).message.slice(0, 200)}` }];
  }
  return { ok: checks.every((c) => c.ok), reportId, checks };
}

// The SOC 2 evidence report model: sections with the criteria they evidence, a status and findings.

import type { Checkpoint } from "@meshlog/storage";

/** pass: the evidence shows the control working; attention: a finding to review; fail: the control is broken. */
export type SectionStatus = "pass" | "attention" | "fail";

/** One reason a section is not "pass" (or a note an auditor should read). */
export interface Finding {
  readonly status: SectionStatus;
  readonly message: string;
}

/** A section of the report. `data` is plain JSON (no bigint, no undefined in arrays). */
export interface ReportSection {
  /** Stable id: sources, retention, integrity, encryption, access-review, access-activity, incidents, deletions, changes. */
  readonly id: string;
  readonly title: string;
  /** Trust Services Criteria this section is evidence for, e.g. ["CC7.2", "PI1"]. */
  readonly criteria: readonly string[];
  readonly status: SectionStatus;
  readonly findings: readonly Finding[];
  readonly data: Record<string, unknown>;
}

/** Where the report's content hash sits in the audit ledger (set after the ledger append). */
export interface ReportAnchor {
  readonly tenant: string;
  readonly leafIndex: number;
  /** Hex RFC 6962 leaf hash of the `report.generated` ledger entry. */
  readonly leafHash: string;
  /** Hex SHA-256 of the canonical JSON of the report without `anchor` and `signature`. */
  readonly contentHash: string;
  /** The signed checkpoint covering the entry (every field, so its signature can be checked alone). */
  readonly checkpoint: Checkpoint;
  /** Hex audit path from the leaf to the checkpoint's root. */
  readonly inclusionProof: readonly string[];
}

export interface ReportSignature {
  readonly alg: "Ed25519";
  readonly keyId: string;
  /** SPKI PEM of the ledger signing key. */
  readonly publicKey: string;
  /** Base64 Ed25519 signature over the canonical JSON of the report without `signature`. */
  readonly value: string;
}

export interface ReportSummary {
  readonly status: SectionStatus;
  readonly pass: number;
  readonly attention: number;
  readonly fail: number;
  /** "<section id>: <finding>" for every non-pass finding. */
  readonly findings: readonly string[];
}

/** The report before anchoring and signing. */
export interface UnsignedReport {
  readonly kind: "meshlog.soc2-evidence";
  readonly version: 1;
  readonly reportId: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly tenants: readonly string[];
  readonly sections: readonly ReportSection[];
  readonly summary: ReportSummary;
}

export type AnchoredReport = UnsignedReport & { readonly anchor: ReportAnchor };
export type Soc2Report = AnchoredReport & { readonly signature: ReportSignature };

const RANK: Record<SectionStatus, number> = { pass: 0, attention: 1, fail: 2 };

/** The worst of the statuses (pass when empty). */
export function worst(statuses: readonly SectionStatus[]): SectionStatus {
  return statuses.reduce<SectionStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), "pass");
}

/** Builds a section whose status is the worst of its findings. */
export function section(id: string, title: string, criteria: readonly string[], findings: readonly Finding[], data: Record<string, unknown>): ReportSection {
  return { id, title, criteria, status: worst(findings.map((f) => f.status)), findings, data };
}

export function summarize(sections: readonly ReportSection[]): ReportSummary {
  const count = (s: SectionStatus): number => sections.filter((x) => x.status === s).length;
  return {
    status: worst(sections.map((s) => s.status)),
    pass: count("pass"),
    attention: count("attention"),
    fail: count("fail"),
    findings: sections.flatMap((s) => s.findings.filter((f) => f.status !== "pass").map((f) => `${s.id}: ${f.message}`)),
  };
}

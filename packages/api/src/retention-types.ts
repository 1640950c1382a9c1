// Wire shapes of the retention API as clients read them: legal holds and deletion certificates (docs/retention.md).

/** One legal hold of `GET /api/v1/holds`. */
export interface LegalHoldView {
  id: string;
  tenant: string;
  selector: string;
  reason: string;
  principal: string;
  createdAt: string;
  until?: string;
  releasedAt?: string;
  releasedBy?: string;
  /** Not released and `until` not reached. */
  active?: boolean;
}

/** One deletion certificate of `GET /api/v1/deletions` (the fields clients show; the full proof is also there). */
export interface DeletionCertificateView {
  id: string;
  kind: string;
  tenant: string;
  when: string;
  by: string;
  what: { blocks: unknown[]; records: number; minTime?: string; maxTime?: string; keyIds: string[] };
  why: { reason: string; policy?: string };
  ledger: { leafIndex: number; checkpoint: { seq: number; treeSize: number } };
}

// Retention policies, legal holds and deletion certificates (changes go through the admin API/CLI); admins can run compaction.

import { useEffect, useState } from "react";
import { ApiRequestError, type DeletionCertificateView, type LegalHoldView } from "@meshlog/api";
import { api, errorText } from "../../api.js";
import { GridTable } from "../../components/grid-table.js";

interface Policies {
  defaultRetention: string;
  auditWindowDays: number;
  policies: { tenant: string; default?: string; rules: { selector: string; retention: string }[]; version: number; updatedAt: string; updatedBy: string }[];
}
type Hold = LegalHoldView;
type Certificate = DeletionCertificateView;

/** POST /api/v1/compaction/run's answer (docs/retention.md#compaction). */
interface CompactionSummary {
  tenants: number;
  merged: number;
  sourceBlocks: number;
  newBlocks: number;
  records: number;
  bytesBefore: number;
  bytesAfter: number;
  heldBlocks: number;
}

const kib = (n: number): string => `${(n / 1024).toFixed(n < 10_240 ? 1 : 0)} KiB`;

export function compactionText(c: CompactionSummary): string {
  if (c.merged === 0)
    return `Nothing to merge in ${c.tenants} tenant${c.tenants === 1 ? "" : "s"}${c.heldBlocks > 0 ? ` (${c.heldBlocks} blocks under legal hold left alone)` : ""}.`;
  const ratio = c.bytesBefore > 0 ? ` (${(c.bytesAfter / c.bytesBefore).toFixed(2)}×)` : "";
  return (
    `Merged ${c.sourceBlocks} blocks into ${c.newBlocks} (${c.merged} merge${c.merged === 1 ? "" : "s"}, ${c.records} records, ${c.tenants} tenant${c.tenants === 1 ? "" : "s"}): ` +
    `${kib(c.bytesBefore)} → ${kib(c.bytesAfter)}${ratio}${c.heldBlocks > 0 ? `; ${c.heldBlocks} blocks under legal hold left alone` : ""}.`
  );
}

async function get<T>(path: string): Promise<T | undefined> {
  try {
    return await api.request<T>("GET", path);
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 404) return undefined;
    throw err;
  }
}

export function RetentionPanel({ canRun }: { canRun: boolean }) {
  const [policies, setPolicies] = useState<Policies>();
  const [holds, setHolds] = useState<Hold[]>();
  const [certs, setCerts] = useState<Certificate[]>();
  const [error, setError] = useState<string>();
  const [compacting, setCompacting] = useState(false);
  const [compaction, setCompaction] = useState<CompactionSummary>();
  const [compactionError, setCompactionError] = useState<string>();
  const compact = async (): Promise<void> => {
    setCompacting(true);
    setCompactionError(undefined);
    try {
      setCompaction(await api.request<CompactionSummary>("POST", "/api/v1/compaction/run", { body: {} }));
    } catch (err) {
      setCompactionError(errorText(err));
    } finally {
      setCompacting(false);
    }
  };
  useEffect(() => {
    void (async () => {
      try {
        setPolicies(await get<Policies>("/api/v1/retention/policies"));
        setHolds((await get<{ holds: Hold[] }>("/api/v1/holds"))?.holds ?? []);
        setCerts((await get<{ certificates: Certificate[] }>("/api/v1/deletions"))?.certificates ?? []);
      } catch (err) {
        setError(errorText(err));
      }
    })();
  }, []);
  return (
    <>
      <div className="panel" data-testid="retention-policies">
        <div className="row">
          <h2 className="grow">Retention policies</h2>
          {canRun && (
            <button
              onClick={() => void compact()}
              disabled={compacting}
              title="Merge runs of small sealed blocks per stream, with proof in the ledger (nothing is deleted)"
              data-testid="run-compaction"
            >
              {compacting ? "Compacting…" : "Run compaction"}
            </button>
          )}
        </div>
        {compaction !== undefined && (
          <div className="muted" data-testid="compaction-summary" style={{ marginBottom: 6 }}>
            <span className="badge ok">compaction</span> {compactionText(compaction)}
          </div>
        )}
        {compactionError !== undefined && <div className="error">Compaction failed: {compactionError}</div>}
        {error && <div className="error">{error}</div>}
        {policies === undefined ? (
          <div className="muted">Loading…</div>
        ) : (
          <>
            <div className="muted" style={{ marginBottom: 6 }}>
              Default retention {policies.defaultRetention}; security and audit streams are kept at least {policies.auditWindowDays} days. First matching rule
              wins.
            </div>
            {policies.policies.length === 0 ? (
              <div className="muted">
                No tenant-specific policies. Set them with <code>meshlog retention set</code> or PUT /api/v1/retention/policies.
              </div>
            ) : (
              <GridTable headers={["Tenant", "Rules (in order)", "Default", "Version", "Changed"]}>
                {policies.policies.map((p) => (
                  <tr key={p.tenant}>
                    <td>{p.tenant}</td>
                    <td style={{ fontFamily: "monospace" }}>
                      {p.rules.map((r, i) => (
                        <div key={i}>
                          {r.selector} → {r.retention}
                        </div>
                      ))}
                    </td>
                    <td>{p.default ?? policies.defaultRetention}</td>
                    <td>{p.version}</td>
                    <td>
                      {new Date(p.updatedAt).toLocaleString()} by {p.updatedBy}
                    </td>
                  </tr>
                ))}
              </GridTable>
            )}
          </>
        )}
      </div>
      <div className="panel">
        <h2>Legal holds</h2>
        {holds === undefined ? (
          <div className="muted">Loading…</div>
        ) : holds.length === 0 ? (
          <div className="muted">No legal holds. Held data survives retention until an admin releases the hold.</div>
        ) : (
          <GridTable headers={["Tenant", "Selector", "Reason", "Placed by", "Since", "Until", "Status"]}>
            {holds.map((h) => (
              <tr key={h.id}>
                <td>{h.tenant}</td>
                <td style={{ fontFamily: "monospace" }}>{h.selector}</td>
                <td>{h.reason}</td>
                <td>{h.principal}</td>
                <td>{new Date(h.createdAt).toLocaleDateString()}</td>
                <td>{h.until ? new Date(h.until).toLocaleDateString() : "until released"}</td>
                <td>{h.releasedAt ? <span className="badge">released</span> : <span className="badge warn">active</span>}</td>
              </tr>
            ))}
          </GridTable>
        )}
      </div>
      <div className="panel">
        <h2>Deletion certificates</h2>
        {certs === undefined ? (
          <div className="muted">Loading…</div>
        ) : certs.length === 0 ? (
          <div className="muted">
            Nothing has been deleted. Every retention deletion, key destruction and deletion request issues a certificate anchored in the ledger.
          </div>
        ) : (
          <GridTable headers={["Certificate", "Kind", "Tenant", "What", "Why", "When", "By", "Ledger"]} testId="deletion-certificates">
            {certs.map((c) => (
              <tr key={c.id}>
                <td style={{ fontFamily: "monospace" }}>{c.id}</td>
                <td>{c.kind}</td>
                <td>{c.tenant}</td>
                <td>
                  {c.what.blocks.length} blocks, {c.what.records} records{c.what.keyIds.length > 0 ? `, keys ${c.what.keyIds.join(", ")}` : ""}
                </td>
                <td>
                  {c.why.reason}
                  {c.why.policy ? ` (${c.why.policy})` : ""}
                </td>
                <td>{new Date(c.when).toLocaleString()}</td>
                <td>{c.by}</td>
                <td>
                  leaf {c.ledger.leafIndex}, checkpoint #{c.ledger.checkpoint.seq}
                </td>
              </tr>
            ))}
          </GridTable>
        )}
      </div>
    </>
  );
}

// Compliance: ledger status and verification per tenant, encryption keys, retention, legal holds and deletion certificates.

import { useEffect, useState } from "react";
import { ApiRequestError } from "@meshlog/api";
import { api, errorText } from "../../api.js";
import { RetentionPanel } from "./retention-panel.js";
import { GridTable } from "../../components/grid-table.js";

interface LedgerTenant {
  tenant: string;
  treeSize: number;
  blocks?: number;
  records?: number;
  lastCheckpoint?: { seq: number; time: string; rootHash: string; keyId?: string } | null;
}
interface Verification {
  ok: boolean;
  at: string;
  tenants: number;
  blocks: number;
  records: number;
  problems: { kind?: string; tenant?: string; block?: string; file?: string; message: string }[];
}
interface KeyInfo {
  id: string;
  tenant?: string;
  class?: string;
  retentionClass?: string;
  period?: string;
  createdAt?: string;
  destroyedAt?: string | null;
}

async function optional<T>(path: string): Promise<T | "unavailable"> {
  try {
    return await api.request<T>("GET", path);
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 404) return "unavailable";
    throw err;
  }
}

export function CompliancePage({ canVerify, canAdminister }: { canVerify: boolean; canAdminister: boolean }) {
  const [ledger, setLedger] = useState<{ tenants: LedgerTenant[]; lastVerification?: Verification | null }>();
  const [keys, setKeys] = useState<KeyInfo[] | "unavailable">();
  const [verifying, setVerifying] = useState(false);
  const [verification, setVerification] = useState<Verification>();
  const [error, setError] = useState<string>();

  const load = async () => {
    try {
      setLedger(await api.request("GET", "/api/v1/compliance/ledger"));
      const k = await optional<{ keys: KeyInfo[] }>("/api/v1/compliance/keys");
      setKeys(k === "unavailable" ? k : k.keys);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const verify = async () => {
    setVerifying(true);
    try {
      setVerification(await api.request<Verification>("POST", "/api/v1/compliance/verify", { body: {} }));
      void load();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setVerifying(false);
    }
  };

  const last = verification ?? ledger?.lastVerification ?? undefined;
  return (
    <>
      <div className="toolbar">
        <h1>Compliance</h1>
        <span className="grow" />
        {canVerify && (
          // A same-origin navigation (session cookie); the server answers with a download (docs/soc2-report.md).
          <button
            onClick={() => window.location.assign("/api/v1/reports/soc2?format=html")}
            title="Signed SOC 2 evidence report of the last 90 days (HTML)"
            data-testid="soc2-report"
          >
            SOC 2 report
          </button>
        )}
        {canVerify && (
          <button className="primary" onClick={() => void verify()} disabled={verifying} data-testid="run-verify">
            {verifying ? "Verifying…" : "Run verification"}
          </button>
        )}
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        <div className="panel" data-testid="verification">
          <h2>Integrity verification</h2>
          {last === undefined ? (
            <div className="muted">
              No verification has run since the server started. {canVerify ? "Run one with the button above." : "Ask an admin or auditor to run one."}
            </div>
          ) : (
            <>
              <div className="row">
                <span className={`badge ${last.ok ? "ok" : "fail"}`} data-testid="verify-result">
                  {last.ok ? "PASSED" : "FAILED"}
                </span>
                <span>
                  {new Date(last.at).toLocaleString()} · {last.tenants} tenants · {last.blocks} blocks · {last.records} records
                </span>
              </div>
              {last.problems.length > 0 && (
                <GridTable headers={["Problem", "Tenant", "Block / file", "Detail"]}>
                  {last.problems.map((p, i) => (
                    <tr key={i}>
                      <td>{p.kind ?? "integrity"}</td>
                      <td>{p.tenant ?? ""}</td>
                      <td>{p.block ?? p.file ?? ""}</td>
                      <td className="error">{p.message}</td>
                    </tr>
                  ))}
                </GridTable>
              )}
            </>
          )}
        </div>
        <div className="panel">
          <h2>Ledger per tenant</h2>
          {ledger === undefined ? (
            <div className="muted">Loading…</div>
          ) : ledger.tenants.length === 0 ? (
            <div className="empty">No sealed data yet: the ledger records blocks as they are sealed.</div>
          ) : (
            <GridTable headers={["Tenant", "Tree size", "Blocks", "Last checkpoint", "Root hash"]} testId="ledger-table">
              {ledger.tenants.map((t) => (
                <tr key={t.tenant}>
                  <td>{t.tenant}</td>
                  <td>{t.treeSize}</td>
                  <td>{t.blocks ?? ""}</td>
                  <td>{t.lastCheckpoint ? `#${t.lastCheckpoint.seq} at ${new Date(t.lastCheckpoint.time).toLocaleString()}` : "none yet"}</td>
                  <td style={{ fontFamily: "monospace" }}>{t.lastCheckpoint?.rootHash.slice(0, 16) ?? ""}</td>
                </tr>
              ))}
            </GridTable>
          )}
        </div>
        <div className="panel">
          <h2>Encryption keys</h2>
          {keys === undefined ? (
            <div className="muted">Loading…</div>
          ) : keys === "unavailable" ? (
            <div className="muted">Key status is not available on this server.</div>
          ) : keys.length === 0 ? (
            <div className="empty">No key-encryption keys yet; one is created per tenant, retention class and month when data is sealed.</div>
          ) : (
            <GridTable headers={["Key id", "Tenant", "Class", "Period", "Status"]}>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td style={{ fontFamily: "monospace" }}>{k.id}</td>
                  <td>{k.tenant ?? ""}</td>
                  <td>{k.retentionClass ?? k.class ?? ""}</td>
                  <td>{k.period ?? ""}</td>
                  <td>
                    {k.destroyedAt ? (
                      <span className="badge warn">shredded {new Date(k.destroyedAt).toLocaleDateString()}</span>
                    ) : (
                      <span className="badge ok">active</span>
                    )}
                  </td>
                </tr>
              ))}
            </GridTable>
          )}
        </div>
        <RetentionPanel canRun={canAdminister} />
      </div>
    </>
  );
}

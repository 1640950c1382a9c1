// Sources: every source seen (receiver, tenant, service, host) with live rates and last-seen, plus shipper set-up guides.

import { useEffect, useState } from "react";
import { api, errorText } from "../../api.js";
import { GUIDES } from "./shipper-guides.js";
import { GridTable } from "../../components/grid-table.js";

interface SourceRow {
  tenant: string;
  source: string;
  service: string;
  host: string;
  linesPerSecond: number;
  bytesPerSecond: number;
  errors: number;
  lines: number;
  lastSeen: string;
  silent: boolean;
}

export function SourcesPage({ canCreateTokens }: { canCreateTokens: boolean }) {
  const [rows, setRows] = useState<SourceRow[]>();
  const [error, setError] = useState<string>();
  const [guide, setGuide] = useState(GUIDES[0]?.id ?? "");
  const [token, setToken] = useState<string>();
  const [tokenError, setTokenError] = useState<string>();
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const res = await api.request<{ sources: SourceRow[] }>("GET", "/api/v1/sources");
        if (!stop) setRows(res.sources);
      } catch (err) {
        if (!stop) setError(errorText(err));
      }
    };
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  const createToken = async () => {
    setTokenError(undefined);
    try {
      const me = await api.request<{ tenant: string }>("GET", "/api/v1/session");
      const res = await api.createToken({ tenant: me.tenant, roles: ["ingest"], name: `shipper ${guide}`, expiresIn: "365d" });
      setToken(res.token);
    } catch (err) {
      setTokenError(errorText(err));
    }
  };
  const g = GUIDES.find((x) => x.id === guide) ?? GUIDES[0];
  return (
    <>
      <div className="toolbar">
        <h1>Sources</h1>
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        <div className="panel">
          <h2>Seen sources</h2>
          {rows === undefined ? (
            <div className="muted">Loading…</div>
          ) : rows.length === 0 ? (
            <div className="empty">Nothing has been received since the server started. Connect a shipper below.</div>
          ) : (
            <GridTable headers={["Receiver", "Tenant", "Service", "Host", "Lines/s", "Bytes/s", "Errors", "Total lines", "Last seen"]} testId="sources-table">
              {rows.map((r, i) => (
                <tr key={i} style={r.silent ? { background: "rgba(242,73,92,.08)" } : {}}>
                  <td>{r.source}</td>
                  <td>{r.tenant}</td>
                  <td>{r.service}</td>
                  <td>{r.host}</td>
                  <td>{r.linesPerSecond.toFixed(1)}</td>
                  <td>{Math.round(r.bytesPerSecond)}</td>
                  <td>{r.errors}</td>
                  <td>{r.lines}</td>
                  <td>
                    {new Date(r.lastSeen).toLocaleString()} {r.silent && <span className="badge fail">silent</span>}
                  </td>
                </tr>
              ))}
            </GridTable>
          )}
        </div>
        <div className="panel">
          <h2>Connect a shipper</h2>
          <div className="tabs" role="tablist">
            {GUIDES.map((x) => (
              <button key={x.id} role="tab" aria-selected={x.id === guide} className={x.id === guide ? "active" : ""} onClick={() => setGuide(x.id)}>
                {x.name}
              </button>
            ))}
          </div>
          <div className="row" style={{ margin: "8px 0" }}>
            {canCreateTokens ? (
              <button onClick={() => void createToken()}>Create an ingest token for this shipper</button>
            ) : (
              <span className="muted">Ask an admin for an ingest token; it replaces TOKEN below.</span>
            )}
            {token && <span className="muted">Token created; it is shown only in this configuration and never again.</span>}
            {tokenError && <span className="error">{tokenError}</span>}
          </div>
          {g && (
            <pre className="code" data-testid="shipper-config">
              {g.config(location.origin, token ?? "TOKEN")}
            </pre>
          )}
        </div>
      </div>
    </>
  );
}

// Audit trail: searchable list of audit events (who, what, when, from where, result), read from the audit tenant.

import { useEffect, useState } from "react";
import { MeshlogClient } from "@meshlog/api";
import { errorText } from "../../api.js";
import { resolveRange, toNs } from "../../time.js";
import { GridTable } from "../../components/grid-table.js";

interface AuditRow {
  ts: string;
  action: string;
  principal: string;
  tenant: string;
  result: string;
  route: string;
  from: string;
  detail: string;
}

const auditApi = new MeshlogClient({ baseUrl: "", headers: { "x-meshlog-ui": "1" }, tenant: "_audit" });

export function AuditPage() {
  const [rows, setRows] = useState<AuditRow[]>();
  const [search, setSearch] = useState("");
  const [range, setRangeText] = useState("24h");
  const [error, setError] = useState<string>();
  const load = async () => {
    setError(undefined);
    try {
      const { fromMs, toMs } = resolveRange({ relative: range });
      const filter = search.trim() === "" ? "" : ` |= ${JSON.stringify(search.trim())}`;
      const res = await auditApi.queryRange({ query: `{source="audit"}${filter}`, start: toNs(fromMs), end: toNs(toMs), limit: 2000, direction: "backward" });
      const out: AuditRow[] = [];
      if (res.data.resultType === "streams") {
        for (const s of res.data.result) {
          for (const v of s.values) {
            let e: Record<string, unknown> = {};
            try {
              e = JSON.parse(v[1]) as Record<string, unknown>;
            } catch {
              /* keep the raw line */
            }
            out.push({
              ts: v[0],
              action: String(e.action ?? s.stream.action ?? ""),
              principal: String(e.principal ?? ""),
              tenant: String(e.tenant ?? ""),
              result: String(e.result ?? s.stream.result ?? ""),
              route: `${String(e.method ?? "")} ${String(e.route ?? "")}`.trim(),
              from: String(e.remoteAddress ?? ""),
              detail: [
                ...(e.rows !== undefined ? [`rows=${String(e.rows)}`] : []),
                ...Object.entries((e.details ?? {}) as Record<string, unknown>)
                  .filter(([k]) => k !== "userAgent" && k !== "requestId")
                  .map(([k, v]) => `${k}=${String(v)}`),
              ].join(" "),
            });
          }
        }
      }
      out.sort((a, b) => (a.ts < b.ts ? 1 : -1));
      setRows(out);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <>
      <div className="toolbar">
        <h1>Audit trail</h1>
        <input
          aria-label="Search audit events"
          placeholder="search (principal, action, route…)"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && void load()}
          className="grow"
        />
        <select value={range} onChange={(e) => setRangeText(e.target.value)} aria-label="Audit time range">
          {["1h", "24h", "7d", "30d"].map((r) => (
            <option key={r} value={r}>
              Last {r}
            </option>
          ))}
        </select>
        <button className="primary" onClick={() => void load()}>
          Search
        </button>
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        {rows === undefined && !error && <div className="muted">Loading…</div>}
        {rows?.length === 0 && <div className="empty">No audit events in this range. Every API call, sign-in and token change appears here.</div>}
        {rows && rows.length > 0 && (
          <GridTable headers={["When", "Who", "Action", "Tenant", "Route", "From", "Result", "Details"]} testId="audit-table">
            {rows.map((r, i) => (
              <tr key={i}>
                <td>{new Date(Number(r.ts.slice(0, -6))).toLocaleString()}</td>
                <td>{r.principal}</td>
                <td>{r.action}</td>
                <td>{r.tenant}</td>
                <td>{r.route}</td>
                <td>{r.from}</td>
                <td>
                  <span className={`badge ${r.result === "ok" ? "ok" : "fail"}`}>{r.result}</span>
                </td>
                <td className="muted" title={r.detail} style={{ maxWidth: 380, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
                  {r.detail}
                </td>
              </tr>
            ))}
          </GridTable>
        )}
      </div>
    </>
  );
}

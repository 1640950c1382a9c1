// Alerts: rule groups with their state and health, active alerts, and incidents with their timeline (acknowledge).

import { Fragment, useEffect, useState } from "react";
import type { Incident, IncidentEvent, PromGroup } from "@meshlog/api";
import { api, errorText } from "../../api.js";
import { GridTable } from "../../components/grid-table.js";

const STATE_BADGE: Record<string, string> = { firing: "fail", pending: "warn", inactive: "ok", resolved: "ok" };
const labelText = (l: Record<string, string>): string =>
  Object.entries(l)
    .filter(([k]) => k !== "alertname")
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
const when = (iso: string | undefined): string => (iso === undefined ? "" : new Date(iso).toLocaleString());

function eventText(e: IncidentEvent): string {
  if (e.type === "notified") return `notified ${e.receiver ?? "(no receiver)"}: ${e.status ?? ""}${e.error ? ` (${e.error})` : ""}`;
  if (e.type === "acknowledged") return `acknowledged by ${e.principal ?? "?"}${e.comment ? `: ${e.comment}` : ""}`;
  return e.type;
}

export function AlertsPage({ canAck }: { canAck: boolean }) {
  const [groups, setGroups] = useState<PromGroup[]>();
  const [incidents, setIncidents] = useState<Incident[]>();
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<string>();
  const load = async (): Promise<void> => {
    try {
      const [r, i] = await Promise.all([
        api.request<{ data: { groups: PromGroup[] } }>("GET", "/prometheus/api/v1/rules"),
        api.request<{ incidents: Incident[] }>("GET", "/api/v1/alerting/incidents", { query: { limit: 200 } }),
      ]);
      setGroups(r.data.groups);
      setIncidents(i.incidents);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 10_000);
    return () => clearInterval(t);
  }, []);
  const ack = async (id: string): Promise<void> => {
    try {
      await api.request("POST", `/api/v1/alerting/incidents/${encodeURIComponent(id)}/ack`, { body: {} });
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const rules = (groups ?? []).flatMap((g) => g.rules.map((r) => ({ g, r })));
  return (
    <>
      <div className="toolbar">
        <h1>Alerts</h1>
        <span className="grow" />
        <button className="primary" onClick={() => void load()} title="Rules and incidents refresh every 10 s">
          Refresh
        </button>
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        <div className="panel">
          <h2>Rules</h2>
          {groups === undefined ? (
            <div className="muted">Loading…</div>
          ) : rules.length === 0 ? (
            <div className="empty">No alert rules. Add rule groups through the Loki ruler API (see docs/alerting.md) or Grafana.</div>
          ) : (
            <GridTable headers={["Namespace / group", "Rule", "State", "For", "Health", "Active alerts", "Query"]} testId="alert-rules">
              {rules.map(({ g, r }, i) => (
                <tr key={i}>
                  <td>
                    {g.file} / {g.name}
                  </td>
                  <td>{r.name}</td>
                  <td>
                    <span className={`badge ${STATE_BADGE[r.state] ?? ""}`}>{r.state}</span>
                  </td>
                  <td>{r.duration}s</td>
                  <td title={r.lastError}>{r.health === "err" ? <span className="badge fail">error</span> : r.health}</td>
                  <td>{r.alerts.map((a) => `${labelText(a.labels) || "—"} (${Number(a.value)})`).join("; ")}</td>
                  <td>
                    <code>{r.query}</code>
                  </td>
                </tr>
              ))}
            </GridTable>
          )}
        </div>
        <div className="panel">
          <h2>Incidents</h2>
          {incidents === undefined ? (
            <div className="muted">Loading…</div>
          ) : incidents.length === 0 ? (
            <div className="empty">No incidents.</div>
          ) : (
            <GridTable headers={["Started", "Rule", "Tenant", "Labels", "Status", "Acknowledged", ""]} testId="alert-incidents">
              {incidents.map((inc) => (
                <Fragment key={inc.id}>
                  <tr onClick={() => setOpen(open === inc.id ? undefined : inc.id)} style={{ cursor: "pointer" }} data-testid="incident-row">
                    <td>
                      <button
                        className="fbtn"
                        aria-expanded={open === inc.id}
                        title="Show the timeline"
                        onClick={(e) => (e.stopPropagation(), setOpen(open === inc.id ? undefined : inc.id))}
                      >
                        {open === inc.id ? "▾" : "▸"}
                      </button>{" "}
                      {when(inc.startedAt)}
                    </td>
                    <td>{inc.rule}</td>
                    <td>{inc.tenant}</td>
                    <td>{labelText(inc.labels)}</td>
                    <td>
                      <span className={`badge ${STATE_BADGE[inc.status] ?? ""}`}>{inc.status}</span> {inc.resolvedAt && when(inc.resolvedAt)}
                    </td>
                    <td>{inc.acknowledgedBy ?? ""}</td>
                    <td>
                      {canAck && inc.acknowledgedBy === undefined && (
                        <button onClick={(e) => (e.stopPropagation(), void ack(inc.id))} data-testid={`ack-${inc.id}`}>
                          Acknowledge
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === inc.id && (
                    <tr>
                      <td colSpan={7}>
                        <ol className="muted" data-testid="incident-timeline">
                          {inc.events.map((e, j) => (
                            <li key={j}>
                              {when(e.time)}: {eventText(e)}
                            </li>
                          ))}
                        </ol>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </GridTable>
          )}
        </div>
      </div>
    </>
  );
}

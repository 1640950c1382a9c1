// Anomalies: what the detector job found (GET /api/v1/anomalies), filtered by time and kind, each linked into Explore.

import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../api.js";
import { ANOMALY_KINDS, type AnomalyView } from "@meshlog/api";
import { GridTable } from "../../components/grid-table.js";

export type Anomaly = AnomalyView;

const KINDS = ANOMALY_KINDS;
/** Detector names that are not also kind names (a filter accepts either). */
const DETECTORS = ["volume", "template-share", "mesh", "auth"];
const SINCE = ["15m", "1h", "6h", "24h", "7d"];
/** Kinds whose observed and baseline values are ratios (shown as percentages). */
const RATIO_KINDS = new Set(["error-ratio", "mesh-5xx", "template-spike"]);
/** Explore shows this much context on each side of the judged window. */
const CONTEXT_MS = 5 * 60_000;

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1));
/** Observed and baseline in the detector's unit. */
export const valueText = (a: Anomaly, v: number): string => (RATIO_KINDS.has(a.kind) ? `${num(v * 100)}%` : a.kind === "silence" ? `${num(v)} s` : num(v));

/**
 * The Explore link of an anomaly: the affected stream's selector (a mesh group's `upstream` is not a stream label and
 * is left out), or the anomaly records themselves when it names no stream (audit bursts); the time range is the judged
 * window with some context.
 */
export function exploreHref(a: Anomaly): string {
  const stream = Object.entries(a.labels).filter(([k]) => k !== "upstream");
  const q =
    stream.length === 0
      ? `{source="meshlog", kind="anomaly", detector=${JSON.stringify(a.detector)}}`
      : `{${stream.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
  const t = Date.parse(a.time);
  const start = Date.parse(a.windowStart);
  const end = Date.parse(a.windowEnd);
  const from = (Number.isNaN(start) ? t : start) - CONTEXT_MS;
  const to = Math.min(Date.now(), (Number.isNaN(end) ? t : end) + CONTEXT_MS);
  return `#/explore?q=${encodeURIComponent(q)}&from=${Math.floor(from)}&to=${Math.ceil(Math.max(to, from + 1000))}`;
}

export function AnomaliesPage() {
  const [since, setSince] = useState("1h");
  const [kind, setKind] = useState("");
  const [rows, setRows] = useState<Anomaly[]>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (s: string, k: string) => {
    setLoading(true);
    try {
      const query: Record<string, string> = { since: s, limit: "500" };
      if (k !== "") query.kind = k;
      const r = await api.request<{ anomalies: Anomaly[] }>("GET", "/api/v1/anomalies", { query });
      setRows(r.anomalies);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void load(since, kind);
  }, [load, since, kind]);

  return (
    <>
      <div className="toolbar">
        <h1>Anomalies</h1>
        <span className="grow" />
        <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Anomaly kind">
          <option value="">All kinds</option>
          <optgroup label="Kind">
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </optgroup>
          <optgroup label="Detector">
            {DETECTORS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </optgroup>
        </select>
        <select value={since} onChange={(e) => setSince(e.target.value)} aria-label="Anomalies since">
          {SINCE.map((s) => (
            <option key={s} value={s}>
              Last {s}
            </option>
          ))}
        </select>
        <button className="primary" onClick={() => void load(since, kind)} disabled={loading}>
          {loading ? "Loading…" : "Refresh"}
        </button>
      </div>
      <div className="content">
        {error && <div className="error">{error}</div>}
        {rows === undefined && !error && <div className="muted">Loading…</div>}
        {rows?.length === 0 && (
          <div className="empty">
            No anomalies in the last {since}
            {kind === "" ? "" : ` of kind ${kind}`}. The detector judges every stream each interval against its own baseline (docs/anomalies.md).
          </div>
        )}
        {rows && rows.length > 0 && (
          <GridTable headers={["Time", "Detector", "Severity", "Stream", "Observed", "Baseline", "Score", "Message", ""]} testId="anomalies-table">
            {rows.map((a) => (
              <tr key={`${a.timeNs} ${a.kind} ${JSON.stringify(a.labels)}`} data-testid="anomaly-row">
                <td title={`window ${a.windowStart} → ${a.windowEnd}`}>{new Date(a.time).toLocaleString()}</td>
                <td style={{ whiteSpace: "nowrap" }}>
                  {a.detector}
                  {a.kind !== a.detector && <div className="muted">{a.kind}</div>}
                </td>
                <td>
                  <span className={`badge ${a.severity === "error" ? "fail" : "warn"}`}>{a.severity}</span>
                </td>
                <td style={{ fontFamily: "monospace" }}>
                  {Object.entries(a.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ") || "—"}
                </td>
                <td>{valueText(a, a.observed)}</td>
                <td className="muted">{valueText(a, a.baseline)}</td>
                <td>{num(a.score)}</td>
                <td>
                  {a.message}
                  {a.details?.pattern !== undefined && (
                    <div className="muted" style={{ fontFamily: "monospace" }}>
                      {String(a.details.pattern)}
                    </div>
                  )}
                </td>
                <td>
                  <a href={exploreHref(a)} title="Show the stream's lines around the judged window in Explore">
                    Explore
                  </a>
                </td>
              </tr>
            ))}
          </GridTable>
        )}
      </div>
    </>
  );
}

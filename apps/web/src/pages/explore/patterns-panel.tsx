// Explore's Patterns tab: the templates of the query's lines (/loki/api/v1/patterns), their volume over time, click to filter.

import { useEffect, useState } from "react";
import { api, errorText } from "../../api.js";
import { GridTable } from "../../components/grid-table.js";
import { toNs } from "../../time.js";

/** One pattern as the Loki API answers it. */
export interface PatternRow {
  pattern: string;
  level: string;
  samples: [number, number][];
}

/** Total lines of a pattern. */
export const patternTotal = (p: PatternRow): number => p.samples.reduce((n, s) => n + s[1], 0);

/** A LogQL pattern filter that keeps the lines of one template. */
export const patternFilter = (query: string, pattern: string): string => `${query.trim()} |> ${JSON.stringify(pattern)}`;

const PATTERN_BUTTON = {
  background: "none",
  border: "none",
  padding: 0,
  textAlign: "left",
  fontFamily: "ui-monospace, monospace",
  fontSize: 12,
  whiteSpace: "pre-wrap",
  wordBreak: "break-all",
} as const;

function Sparkline({ samples, fromMs, toMs }: { samples: [number, number][]; fromMs: number; toMs: number }) {
  const w = 160;
  const h = 24;
  const max = Math.max(1, ...samples.map((s) => s[1]));
  const span = Math.max(1, toMs - fromMs);
  return (
    <svg width={w} height={h} aria-hidden="true">
      {samples.map(([t, n]) => {
        const x = Math.min(w - 2, Math.max(0, ((t * 1000 - fromMs) / span) * w));
        const bh = Math.max(1, (n / max) * h);
        return <rect key={t} x={x} y={h - bh} width={2} height={bh} fill="var(--accent)" />;
      })}
    </svg>
  );
}

export function PatternsPanel({ query, fromMs, toMs, onFilter }: { query: string; fromMs: number; toMs: number; onFilter: (q: string) => void }) {
  const [rows, setRows] = useState<PatternRow[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    const ac = new AbortController();
    setRows(undefined);
    setError(undefined);
    api
      .request<{ data: PatternRow[] }>("GET", "/loki/api/v1/patterns", { query: { query, start: toNs(fromMs), end: toNs(toMs) }, signal: ac.signal })
      .then((r) => setRows(r.data))
      .catch((err: unknown) => {
        if (!ac.signal.aborted) setError(errorText(err));
      });
    return () => ac.abort();
  }, [query, fromMs, toMs]);

  if (error !== undefined)
    return (
      <div className="error" role="alert">
        {error}
      </div>
    );
  if (rows === undefined) return <div className="muted">Mining patterns…</div>;
  if (rows.length === 0) return <div className="empty">No patterns: no lines match in this time range.</div>;
  const total = rows.reduce((n, p) => n + patternTotal(p), 0);
  return (
    <GridTable headers={["lines", "share", "level", "volume", "pattern"]} testId="patterns-table">
      {rows.map((p) => {
        const n = patternTotal(p);
        return (
          <tr key={`${p.level} ${p.pattern}`} data-testid="pattern-row">
            <td>{n}</td>
            <td>{((n / total) * 100).toFixed(1)}%</td>
            <td>{p.level}</td>
            <td>
              <Sparkline samples={p.samples} fromMs={fromMs} toMs={toMs} />
            </td>
            <td>
              <button style={PATTERN_BUTTON} title="Show only the lines of this pattern" onClick={() => onFilter(patternFilter(query, p.pattern))}>
                {p.pattern}
              </button>
            </td>
          </tr>
        );
      })}
    </GridTable>
  );
}

// Virtualized log list: renders only visible rows (100k lines stay smooth), level colours, expandable details with click-to-filter.

import { useLayoutEffect, useMemo, useRef, useState, type ReactElement } from "react";
import { formatTs } from "../time.js";

export interface LogEntry {
  ts: string;
  line: string;
  labels: Record<string, string>;
  /** Structured metadata and parsed fields, when the server returns them. */
  fields: Record<string, string>;
}

export interface LogListProps {
  entries: LogEntry[];
  onFilter(label: string, value: string, negate: boolean): void;
  onLineFilter(text: string): void;
  onTrace(traceId: string): void;
}

const ROW = 20;
const TRACE_KEYS = ["trace_id", "traceId", "traceid", "trace.id", "trace"];

export const levelOf = (e: LogEntry): string =>
  (e.labels.level ?? e.labels.detected_level ?? e.fields.level ?? e.fields.detected_level ?? e.labels.severity ?? "unknown").toLowerCase();

function detailHeight(e: LogEntry): number {
  return 44 + (Object.keys(e.labels).length + Object.keys(e.fields).length) * 22;
}

export function LogList({ entries, onFilter, onLineFilter, onTrace }: LogListProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const offsets = useMemo(() => {
    const o = new Float64Array(entries.length + 1);
    for (let i = 0; i < entries.length; i++) o[i + 1] = (o[i] as number) + ROW + (expanded.has(i) ? detailHeight(entries[i] as LogEntry) : 0);
    return o;
  }, [entries, expanded]);
  const total = offsets[entries.length] ?? 0;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((offsets[mid + 1] as number) <= scroll) lo = mid + 1;
    else hi = mid;
  }
  const first = Math.max(0, lo - 5);
  const rows: ReactElement[] = [];
  for (let i = first; i < entries.length && (offsets[i] as number) < scroll + height + 200; i++) {
    const e = entries[i] as LogEntry;
    const open = expanded.has(i);
    const lvl = levelOf(e);
    const traceId = TRACE_KEYS.map((k) => e.fields[k] ?? e.labels[k]).find((v) => v !== undefined && v !== "");
    rows.push(
      <div key={i} style={{ position: "absolute", top: offsets[i], left: 0, right: 0 }} data-testid="log-row">
        <div
          className={`logrow lvl-${lvl}`}
          role="button"
          aria-expanded={open}
          onClick={() => {
            const next = new Set(expanded);
            if (open) next.delete(i);
            else next.add(i);
            setExpanded(next);
          }}
        >
          <span className="ts">{formatTs(e.ts)}</span>
          <span className="line">{e.line}</span>
        </div>
        {open && (
          <div className="logdetail" style={{ height: detailHeight(e), overflow: "hidden" }} data-testid="log-detail">
            <div className="row" style={{ marginBottom: 4 }}>
              <button className="fbtn" onClick={() => void navigator.clipboard?.writeText(e.line)}>
                Copy line
              </button>
              <button className="fbtn" onClick={() => onLineFilter(e.line.slice(0, 60))}>
                Filter by this line
              </button>
              {traceId !== undefined && (
                <button className="fbtn" onClick={() => onTrace(traceId)} data-testid="trace-link">
                  All lines of trace {traceId.slice(0, 12)}…
                </button>
              )}
            </div>
            <table>
              <tbody>
                {[
                  ...Object.entries(e.labels).map(([k, v]) => ["label", k, v] as const),
                  ...Object.entries(e.fields).map(([k, v]) => ["field", k, v] as const),
                ].map(([kind, k, v]) => (
                  <tr key={`${kind}:${k}`}>
                    <td className="muted">{kind}</td>
                    <td>{k}</td>
                    <td style={{ maxWidth: 600, overflow: "hidden", textOverflow: "ellipsis" }}>{v}</td>
                    <td>
                      {kind === "label" ? (
                        <>
                          <button className="fbtn" title="Filter for this value" aria-label={`filter ${k}=${v}`} onClick={() => onFilter(k, v, false)}>
                            +
                          </button>
                          <button className="fbtn" title="Filter out this value" aria-label={`filter ${k}!=${v}`} onClick={() => onFilter(k, v, true)}>
                            −
                          </button>
                        </>
                      ) : (
                        <button className="fbtn" title="Add a line filter for this value" onClick={() => onLineFilter(v)}>
                          |=
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>,
    );
  }
  return (
    <div className="loglist" ref={box} onScroll={(ev) => setScroll((ev.target as HTMLDivElement).scrollTop)} data-testid="log-list">
      <div style={{ height: total, position: "relative" }}>{rows}</div>
    </div>
  );
}

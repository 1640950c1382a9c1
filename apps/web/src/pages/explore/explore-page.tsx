// Explore: LogQL editor, time range, volume histogram, virtualized log list or patterns tab, metric charts.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText } from "../../api.js";
import { LogqlEditor } from "../../components/logql-editor.js";
import { LogList, type LogEntry } from "../../components/log-list.js";
import { TimeRangePicker } from "../../components/time-range-picker.js";
import { TimeSeriesChart, type Series } from "../../components/time-series-chart.js";
import { VolumeHistogram, type VolumeSeries } from "../../components/volume-histogram.js";
import { addLabelMatcher, addLineFilter } from "../../logql-tokens.js";
import { resolveRange, stepFor, toNs, type TimeRange } from "../../time.js";
import { isMetricQuery, toEntries, toSeries, toVolume, volumeQuery } from "./query-results.js";
import { PatternsPanel } from "./patterns-panel.js";

const hashParams = (): URLSearchParams => new URLSearchParams(location.hash.split("?")[1] ?? "");
const initialQuery = (): string => hashParams().get("q") ?? "";
/** `from` and `to` (ms) in the link open an absolute range (links from other pages); otherwise the last hour. */
const initialRange = (): TimeRange => {
  const p = hashParams();
  const fromMs = Number(p.get("from") ?? NaN);
  const toMs = Number(p.get("to") ?? NaN);
  return Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs < toMs ? { fromMs, toMs } : { relative: "1h" };
};

export function ExplorePage() {
  const [query, setQuery] = useState(initialQuery);
  const [range, setRange] = useState<TimeRange>(initialRange);
  const [limit, setLimit] = useState(1000);
  const [entries, setEntries] = useState<LogEntry[]>();
  const [series, setSeries] = useState<Series[]>();
  const [volume, setVolume] = useState<{ series: VolumeSeries[]; fromMs: number; toMs: number; stepMs: number }>();
  const [error, setError] = useState<string>();
  /** True while a query runs; a query from the link runs as soon as the page mounts. */
  const [loading, setLoading] = useState(() => initialQuery() !== "");
  const [took, setTook] = useState<number>();
  const [view, setView] = useState<"logs" | "patterns">("logs");
  /** The log query and range of the last run (what the Patterns tab mines). */
  const [ran, setRan] = useState<{ query: string; fromMs: number; toMs: number }>();
  const abort = useRef<AbortController | undefined>(undefined);

  const run = useCallback(
    async (q = query, r = range) => {
      if (q.trim() === "") {
        setError('Write a query first, for example {service="checkout"} — the label browser suggests names as you type {.');
        return;
      }
      abort.current?.abort();
      const ac = new AbortController();
      abort.current = ac;
      const { fromMs, toMs } = resolveRange(r);
      const step = stepFor(fromMs, toMs);
      history.replaceState(null, "", `#/explore?q=${encodeURIComponent(q)}`);
      setLoading(true);
      setError(undefined);
      const t0 = performance.now();
      try {
        if (isMetricQuery(q)) {
          const res = await api.queryRange({ query: q, start: toNs(fromMs), end: toNs(toMs), step: step.text }, ac.signal);
          setSeries(toSeries(res));
          setEntries(undefined);
          setVolume(undefined);
        } else {
          const [logs, vol] = await Promise.all([
            api.queryRange({ query: q, start: toNs(fromMs), end: toNs(toMs), limit, direction: "backward" }, ac.signal),
            api.queryRange({ query: volumeQuery(q, step.text), start: toNs(fromMs), end: toNs(toMs), step: step.text }, ac.signal).catch(() => undefined),
          ]);
          setEntries(toEntries(logs));
          setRan({ query: q, fromMs, toMs });
          setSeries(undefined);
          setVolume(vol ? { series: toVolume(vol), fromMs, toMs, stepMs: step.ms } : undefined);
        }
        setTook(Math.round(performance.now() - t0));
      } catch (err) {
        if (!ac.signal.aborted) setError(errorText(err));
      } finally {
        if (abort.current === ac) setLoading(false);
      }
    },
    [query, range, limit],
  );

  useEffect(() => {
    if (query !== "") void run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement) return;
      if (e.key === "r") void run();
      if (e.key === "z" || e.key === "-") {
        const { fromMs, toMs } = resolveRange(range);
        const span = toMs - fromMs;
        const next = { fromMs: fromMs - span / 2, toMs: Math.min(Date.now(), toMs + span / 2) };
        setRange(next);
        void run(query, next);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [run, range, query]);

  const refine = (q: string) => {
    setQuery(q);
    void run(q);
  };

  return (
    <>
      <div className="toolbar">
        <h1>Explore</h1>
        <span className="grow" />
        <label className="muted">
          Line limit{" "}
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[100, 500, 1000, 5000].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <TimeRangePicker
          value={range}
          onChange={(r) => {
            setRange(r);
            void run(query, r);
          }}
        />
        <button className="primary" onClick={() => void run()} disabled={loading} title="Run query (Enter in the editor, r elsewhere)">
          {loading ? "Running…" : "Run query"}
        </button>
      </div>
      <div className="content" data-testid="explore-results" aria-busy={loading}>
        <LogqlEditor value={query} onChange={setQuery} onRun={() => void run()} error={error} />
        <div className="muted" style={{ fontSize: 12 }}>
          <span className="kbd">Enter</span> run · <span className="kbd">Shift+Enter</span> new line · <span className="kbd">r</span> refresh ·{" "}
          <span className="kbd">z</span> zoom out · drag the histogram to zoom in
          {took !== undefined && ` · ${entries ? `${entries.length} lines` : `${series?.length ?? 0} series`} in ${took} ms`}
        </div>
        {volume && volume.series.length > 0 && (
          <div className="panel">
            <VolumeHistogram
              {...volume}
              onZoom={(fromMs, toMs) => {
                const r = { fromMs, toMs };
                setRange(r);
                void run(query, r);
              }}
            />
          </div>
        )}
        {series && (
          <div className="panel">
            <TimeSeriesChart series={series} />
          </div>
        )}
        {entries && (
          <div className="tabs" role="tablist">
            {(["logs", "patterns"] as const).map((v) => (
              <button key={v} role="tab" aria-selected={view === v} className={view === v ? "active" : ""} onClick={() => setView(v)}>
                {v === "logs" ? "Logs" : "Patterns"}
              </button>
            ))}
          </div>
        )}
        {entries && view === "patterns" && ran && (
          <PatternsPanel
            {...ran}
            onFilter={(q) => {
              setView("logs");
              refine(q);
            }}
          />
        )}
        {entries && view === "logs" && entries.length === 0 && (
          <div className="empty">No lines match in this time range. Widen the range, or remove a filter.</div>
        )}
        {entries && view === "logs" && entries.length > 0 && (
          <LogList
            entries={entries}
            onFilter={(k, v, neg) => refine(addLabelMatcher(query, k, v, neg))}
            onLineFilter={(t) => refine(addLineFilter(query, t))}
            onTrace={(id) => refine(`{source=~".+"} |= ${JSON.stringify(id)}`)}
          />
        )}
        {!entries && !series && !error && (
          <div className="empty">
            Pick labels in the editor (type <span className="kbd">{"{"}</span>) and press Enter. Examples: <code>{'{source="native"}'}</code>,{" "}
            <code>{'sum by (level) (rate({source=~".+"}[1m]))'}</code>
          </div>
        )}
      </div>
    </>
  );
}

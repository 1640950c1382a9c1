// Live tail over the Loki tail WebSocket: pause, client-side filter and a lines-per-second rate.

import { useEffect, useRef, useState } from "react";
import type { LokiTailMessage } from "@meshlog/api";
import { LogList, type LogEntry } from "../../components/log-list.js";
import { addLabelMatcher } from "../../logql-tokens.js";

const MAX = 5000;

export function TailPage() {
  const [query, setQuery] = useState('{source=~".+"}');
  const [active, setActive] = useState<string>();
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const [status, setStatus] = useState("stopped");
  const [rate, setRate] = useState(0);
  const [dropped, setDropped] = useState(0);
  const buffer = useRef<LogEntry[]>([]);
  const pausedRef = useRef(paused);
  const arrivals = useRef<number[]>([]);
  pausedRef.current = paused;

  useEffect(() => {
    if (active === undefined) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/loki/api/v1/tail?query=${encodeURIComponent(active)}&limit=100`);
    setStatus("connecting");
    ws.onopen = () => setStatus("live");
    ws.onclose = (ev) => setStatus(ev.code === 1000 ? "stopped" : `closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`);
    ws.onerror = () => setStatus("error: the server refused the tail (check the query and your role)");
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as LokiTailMessage;
      const now = Date.now();
      for (const s of msg.streams)
        for (const v of s.values) {
          buffer.current.unshift({ ts: v[0], line: v[1], labels: s.stream, fields: {} });
          arrivals.current.push(now);
        }
      if (msg.dropped_entries) setDropped((d) => d + (msg.dropped_entries?.length ?? 0));
      if (buffer.current.length > MAX) buffer.current.length = MAX;
      if (!pausedRef.current) setEntries([...buffer.current]);
    };
    const timer = setInterval(() => {
      const cutoff = Date.now() - 5000;
      arrivals.current = arrivals.current.filter((t) => t >= cutoff);
      setRate(arrivals.current.length / 5);
    }, 1000);
    return () => {
      clearInterval(timer);
      ws.close(1000);
    };
  }, [active]);

  const shown = filter === "" ? entries : entries.filter((e) => e.line.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
      <div className="toolbar">
        <h1>Live tail</h1>
        <input
          aria-label="Tail query"
          className="grow"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && setActive(query)}
          style={{ fontFamily: "monospace" }}
        />
        <button className="primary" onClick={() => (setEntries([]), (buffer.current = []), setActive(query))}>
          Start
        </button>
        <button onClick={() => setActive(undefined)} disabled={active === undefined}>
          Stop
        </button>
        <button
          onClick={() => {
            setPaused(!paused);
            if (paused) setEntries([...buffer.current]);
          }}
          disabled={active === undefined}
        >
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      <div className="content">
        <div className="row">
          <span
            className={`badge ${status === "live" ? "ok" : status.startsWith("error") || status.startsWith("closed") ? "fail" : ""}`}
            data-testid="tail-status"
          >
            {status}
          </span>
          <span data-testid="tail-rate">{rate.toFixed(1)} lines/s</span>
          {dropped > 0 && <span className="badge warn">{dropped} dropped by the server</span>}
          <input aria-label="Filter shown lines" placeholder="filter shown lines" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <span className="muted">{shown.length} lines</span>
        </div>
        {shown.length === 0 ? (
          <div className="empty">{active === undefined ? "Enter a stream selector and press Start." : "Waiting for new lines…"}</div>
        ) : (
          <LogList entries={shown} onFilter={(k, v) => setQuery(addLabelMatcher(query, k, v))} onLineFilter={setFilter} onTrace={setFilter} />
        )}
      </div>
    </>
  );
}

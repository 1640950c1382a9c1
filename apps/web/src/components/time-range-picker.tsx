// Time range picker: relative presets, absolute from/to, and refresh.

import { useState } from "react";
import { formatRangeLabel, resolveRange, type TimeRange } from "../time.js";

const PRESETS = ["5m", "15m", "1h", "3h", "6h", "12h", "24h", "2d", "7d", "30d"];

const toLocalInput = (ms: number): string => {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
};

export function TimeRangePicker({ value, onChange }: { value: TimeRange; onChange(r: TimeRange): void }) {
  const [open, setOpen] = useState(false);
  const resolved = resolveRange(value);
  const [from, setFrom] = useState(toLocalInput(resolved.fromMs));
  const [to, setTo] = useState(toLocalInput(resolved.toMs));
  const [err, setErr] = useState<string>();
  return (
    <span style={{ position: "relative" }}>
      <button onClick={() => setOpen(!open)} aria-haspopup="dialog" data-testid="time-range">
        {formatRangeLabel(value)} ▾
      </button>
      {open && (
        <div className="panel" role="dialog" style={{ position: "absolute", right: 0, top: "110%", zIndex: 20, width: 340 }}>
          <div className="row" style={{ marginBottom: 8 }}>
            {PRESETS.map((p) => (
              <button
                key={p}
                className={value.relative === p ? "primary" : ""}
                onClick={() => {
                  onChange({ relative: p });
                  setOpen(false);
                }}
              >
                {p}
              </button>
            ))}
          </div>
          <label className="muted">From</label>
          <input type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} style={{ width: "100%" }} />
          <label className="muted">To</label>
          <input type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} style={{ width: "100%" }} />
          {err && <div className="error">{err}</div>}
          <div className="row" style={{ marginTop: 8 }}>
            <button
              className="primary"
              onClick={() => {
                const f = new Date(from).getTime();
                const t = new Date(to).getTime();
                if (!Number.isFinite(f) || !Number.isFinite(t)) return setErr("Enter both dates.");
                if (f >= t) return setErr("'From' must be before 'To'.");
                setErr(undefined);
                onChange({ fromMs: f, toMs: t });
                setOpen(false);
              }}
            >
              Apply absolute range
            </button>
            <button onClick={() => setOpen(false)}>Close</button>
          </div>
        </div>
      )}
    </span>
  );
}

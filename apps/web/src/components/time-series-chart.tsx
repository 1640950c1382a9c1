// Line chart for metric query results (matrix), one line per series, with a legend.

const PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a"];

export interface Series {
  name: string;
  points: [number, number][]; // [unix seconds, value]
}

export function TimeSeriesChart({ series }: { series: Series[] }) {
  const W = 1000;
  const H = 260;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <div className="empty">The query returned no series for this time range.</div>;
  const minT = Math.min(...all.map((p) => p[0]));
  const maxT = Math.max(...all.map((p) => p[0]));
  const maxV = Math.max(1e-9, ...all.map((p) => p[1]));
  const x = (t: number) => (maxT === minT ? W / 2 : ((t - minT) / (maxT - minT)) * (W - 50) + 45);
  const y = (v: number) => H - 20 - (v / maxV) * (H - 30);
  return (
    <div data-testid="timeseries">
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} style={{ height: 260 }}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={45} x2={W} y1={y(maxV * f)} y2={y(maxV * f)} stroke="var(--border)" />
            <text x={0} y={y(maxV * f) + 4} fill="var(--muted)" fontSize={11}>
              {Number((maxV * f).toPrecision(3))}
            </text>
          </g>
        ))}
        {series.map((s, i) => (
          <polyline
            key={s.name}
            fill="none"
            stroke={PALETTE[i % PALETTE.length]}
            strokeWidth={1.5}
            points={s.points.map(([t, v]) => `${x(t)},${y(v)}`).join(" ")}
          />
        ))}
        <text x={45} y={H - 4} fill="var(--muted)" fontSize={11}>
          {new Date(minT * 1000).toLocaleTimeString()}
        </text>
        <text x={W - 80} y={H - 4} fill="var(--muted)" fontSize={11}>
          {new Date(maxT * 1000).toLocaleTimeString()}
        </text>
      </svg>
      <div className="legend">
        {series.map((s, i) => (
          <span key={s.name} style={{ ["--c" as string]: PALETTE[i % PALETTE.length] }}>
            {s.name}
          </span>
        ))}
      </div>
    </div>
  );
}

// Log volume histogram stacked by level; drag across it to zoom into that time range.

import { useRef, useState } from "react";

export interface VolumeSeries {
  level: string;
  points: [number, number][]; // [unix seconds, count]
}

export const LEVEL_COLORS: Record<string, string> = {
  error: "var(--danger)",
  fatal: "var(--danger)",
  critical: "var(--danger)",
  warn: "var(--warn)",
  warning: "var(--warn)",
  info: "var(--ok)",
  debug: "var(--info)",
  trace: "var(--trace)",
  unknown: "var(--debug)",
};

export function VolumeHistogram({
  series,
  fromMs,
  toMs,
  stepMs,
  onZoom,
}: {
  series: VolumeSeries[];
  fromMs: number;
  toMs: number;
  stepMs: number;
  onZoom(fromMs: number, toMs: number): void;
}) {
  const W = 1000;
  const H = 110;
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number }>();
  const buckets = new Map<number, Map<string, number>>();
  for (const s of series)
    for (const [t, v] of s.points) {
      const m = buckets.get(t * 1000) ?? new Map<string, number>();
      m.set(s.level, (m.get(s.level) ?? 0) + v);
      buckets.set(t * 1000, m);
    }
  let max = 1;
  for (const m of buckets.values())
    max = Math.max(
      max,
      [...m.values()].reduce((a, b) => a + b, 0),
    );
  const span = Math.max(1, toMs - fromMs);
  const x = (ms: number) => ((ms - fromMs) / span) * W;
  const bw = Math.max(1, (stepMs / span) * W - 1);
  const levels = [...new Set(series.map((s) => s.level))].sort();
  const toMsAt = (clientX: number) => {
    const r = svgRef.current?.getBoundingClientRect();
    if (!r) return fromMs;
    return fromMs + ((clientX - r.left) / r.width) * span;
  };
  return (
    <div data-testid="volume-histogram">
      <svg
        ref={svgRef}
        className="chart"
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        style={{ height: 110, cursor: "crosshair" }}
        onMouseDown={(e) => setDrag({ x0: e.clientX, x1: e.clientX })}
        onMouseMove={(e) => drag && setDrag({ ...drag, x1: e.clientX })}
        onMouseUp={() => {
          if (drag && Math.abs(drag.x1 - drag.x0) > 4) {
            const a = toMsAt(Math.min(drag.x0, drag.x1));
            const b = toMsAt(Math.max(drag.x0, drag.x1));
            onZoom(Math.floor(a), Math.ceil(b));
          }
          setDrag(undefined);
        }}
        onMouseLeave={() => setDrag(undefined)}
      >
        {[...buckets].map(([t, m]) => {
          let y = H;
          return levels.map((lvl) => {
            const v = m.get(lvl) ?? 0;
            if (v === 0) return null;
            const h = (v / max) * (H - 4);
            y -= h;
            return (
              <rect key={`${t}-${lvl}`} x={x(t)} y={y} width={bw} height={h} fill={LEVEL_COLORS[lvl] ?? "var(--debug)"}>
                <title>{`${new Date(t).toLocaleString()} ${lvl}: ${v}`}</title>
              </rect>
            );
          });
        })}
        {drag && (
          <rect x={x(toMsAt(Math.min(drag.x0, drag.x1)))} y={0} width={Math.abs(x(toMsAt(drag.x1)) - x(toMsAt(drag.x0)))} height={H} fill="var(--sel)" />
        )}
      </svg>
      <div className="legend">
        {levels.map((l) => (
          <span key={l} style={{ ["--c" as string]: LEVEL_COLORS[l] ?? "var(--debug)" }}>
            {l}
          </span>
        ))}
        <span className="muted" style={{ marginLeft: "auto" }}>
          drag to zoom
        </span>
      </div>
    </div>
  );
}

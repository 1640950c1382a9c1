// Turns Loki query responses into what the Explore page draws: log entries, metric series, volume by level.

import type { LokiQueryResponse } from "@meshlog/api";
import type { LogEntry } from "../../components/log-list.js";
import type { Series } from "../../components/time-series-chart.js";
import type { VolumeSeries } from "../../components/volume-histogram.js";

export function isMetricQuery(q: string): boolean {
  const t = q.trim();
  return t !== "" && !t.startsWith("{");
}

export function toEntries(res: LokiQueryResponse): LogEntry[] {
  if (res.data.resultType !== "streams") return [];
  const out: LogEntry[] = [];
  for (const s of res.data.result) {
    for (const v of s.values) {
      const fields: Record<string, string> = {};
      const extra = v[2];
      if (extra !== undefined) {
        for (const [k, val] of Object.entries(extra)) {
          if (val !== null && typeof val === "object") for (const [k2, v2] of Object.entries(val as Record<string, unknown>)) fields[k2] = String(v2);
          else fields[k] = String(val);
        }
      }
      out.push({ ts: v[0], line: v[1], labels: s.stream, fields });
    }
  }
  out.sort((a, b) => (a.ts.length !== b.ts.length ? b.ts.length - a.ts.length : a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  return out;
}

const seriesName = (metric: Record<string, string>): string => {
  const keys = Object.keys(metric);
  return keys.length === 0 ? "value" : `{${keys.map((k) => `${k}="${metric[k]}"`).join(", ")}}`;
};

export function toSeries(res: LokiQueryResponse): Series[] {
  if (res.data.resultType === "matrix")
    return res.data.result.map((r) => ({ name: seriesName(r.metric), points: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
  if (res.data.resultType === "vector") return res.data.result.map((r) => ({ name: seriesName(r.metric), points: [[r.value[0], Number(r.value[1])]] }));
  if (res.data.resultType === "scalar") return [{ name: "scalar", points: [[res.data.result[0], Number(res.data.result[1])]] }];
  return [];
}

export function toVolume(res: LokiQueryResponse): VolumeSeries[] {
  if (res.data.resultType !== "matrix") return [];
  return res.data.result.map((r) => ({
    level: (r.metric.level ?? r.metric.detected_level ?? "unknown").toLowerCase(),
    points: r.values.map(([t, v]) => [t, Number(v)] as [number, number]),
  }));
}

/** The selector and line filters of a log query, without parsers, for the volume query. */
export function volumeQuery(q: string, step: string): string {
  return `sum by (level) (count_over_time(${q.trim()} [${step}]))`;
}

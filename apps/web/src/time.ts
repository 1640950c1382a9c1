// Time ranges for the UI: relative ("last 1h") or absolute, converted to nanosecond strings for the API.

export interface TimeRange {
  /** Relative range like "1h" (ends now) or absolute bounds in ms. */
  relative?: string;
  fromMs?: number;
  toMs?: number;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

export function durationMs(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  if (m === null) throw new Error(`"${text}" is not a duration like 15m, 1h or 7d`);
  return Number(m[1]) * (UNITS[m[2] as string] ?? 1);
}

export function resolveRange(r: TimeRange, now = Date.now()): { fromMs: number; toMs: number } {
  if (r.relative !== undefined) return { fromMs: now - durationMs(r.relative), toMs: now };
  return { fromMs: r.fromMs ?? now - 3600e3, toMs: r.toMs ?? now };
}

export const toNs = (ms: number): string => `${Math.floor(ms)}000000`;

/** A step that gives about `points` buckets over the range, rounded to a friendly duration. */
export function stepFor(fromMs: number, toMs: number, points = 120): { ms: number; text: string } {
  const raw = Math.max(1000, (toMs - fromMs) / points);
  const nice = [1e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 21600e3, 43200e3, 86400e3];
  const ms = nice.find((n) => n >= raw) ?? 86400e3;
  return { ms, text: ms % 3600e3 === 0 ? `${ms / 3600e3}h` : ms % 60e3 === 0 ? `${ms / 60e3}m` : `${ms / 1e3}s` };
}

export function formatTs(ns: string): string {
  const ms = Number(ns.slice(0, -6) || "0");
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatRangeLabel(r: TimeRange): string {
  if (r.relative !== undefined) return `Last ${r.relative}`;
  const { fromMs, toMs } = resolveRange(r);
  return `${new Date(fromMs).toLocaleString()} → ${new Date(toMs).toLocaleString()}`;
}

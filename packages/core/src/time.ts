// Nanosecond timestamps: parsing every form clients send, and formatting.

import { CoreErrors, MeshlogError } from "./errors.js";

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;

/** Current wall-clock time in nanoseconds, with sub-millisecond precision from the monotonic clock. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS + (process.hrtime.bigint() % NS_PER_MS);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses RFC 3339 with up to nanosecond precision. Returns undefined when the text is not RFC 3339. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let offsetMin = 0;
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const fracNs = frac === undefined ? 0n : BigInt(frac.padEnd(9, "0"));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * NS_PER_MS + fracNs;
}

/**
 * Parses a timestamp given as RFC 3339, integer nanoseconds (string or bigint), or a number whose
 * magnitude tells the unit (seconds with fraction, milliseconds, microseconds, nanoseconds).
 * `field` names the input in the error message.
 */
export function parseTimestampNs(value: unknown, field = "timestamp"): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new MeshlogError(CoreErrors.TIME_INVALID, `${field}: ${value} is not a valid timestamp`);
    }
    if (value < 1e11) return BigInt(Math.round(value * 1e6)) * 1000n; // seconds (float)
    if (value < 1e14) return BigInt(Math.round(value * 1000)) * 1000n; // milliseconds
    if (value < 1e17) return BigInt(Math.round(value)) * 1000n; // microseconds
    return BigInt(Math.round(value)); // nanoseconds (precision limited by float)
  }
  if (typeof value === "string") {
    const t = value.trim();
    if (/^\d{1,19}$/.test(t)) {
      const n = BigInt(t);
      if (t.length <= 10) return n * NS_PER_SECOND;
      if (t.length <= 13) return n * NS_PER_MS;
      if (t.length <= 16) return n * 1000n;
      return n;
    }
    if (/^\d+\.\d+$/.test(t)) {
      const [sec = "0", frac = ""] = t.split(".");
      return BigInt(sec) * NS_PER_SECOND + BigInt(frac.slice(0, 9).padEnd(9, "0"));
    }
    const ns = parseRfc3339Ns(t);
    if (ns !== undefined) return ns;
  }
  throw new MeshlogError(CoreErrors.TIME_INVALID, `${field}: ${JSON.stringify(value)} is not RFC 3339 or a Unix timestamp`);
}

/** Formats nanoseconds as RFC 3339 with nanosecond precision in UTC (`2024-01-02T03:04:05.123456789Z`). */
export function formatRfc3339Ns(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // 2024-01-02T03:04:05.123Z
  const frac = (((ns % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND).toString().padStart(9, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/g;
const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 7 * 86400e9,
  y: 365 * 86400e9,
};

/** Parses a Go/Prometheus-style duration (`1h30m`, `90s`, `400d`) into nanoseconds. */
export function parseDurationNs(text: string, field = "duration"): bigint {
  const t = text.trim();
  if (t === "" || !/^(\d+(?:\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$/.test(t)) {
    throw new MeshlogError(CoreErrors.TIME_INVALID, `${field}: ${JSON.stringify(text)} is not a duration like 30s, 5m, 1h or 90d`);
  }
  let total = 0n;
  for (const m of t.matchAll(DURATION_PART)) {
    const unit = UNIT_NS[m[2] ?? "s"] ?? 1;
    total += BigInt(Math.round(Number(m[1]) * unit));
  }
  return total;
}

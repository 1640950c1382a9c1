// Severity: OpenTelemetry severity numbers (1-24) and the level names people write.

export type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "unknown";

const BY_NAME: Record<string, number> = {
  trace: 1,
  trc: 1,
  finest: 1,
  finer: 2,
  fine: 5,
  debug: 5,
  dbg: 5,
  d: 5,
  verbose: 5,
  info: 9,
  information: 9,
  informational: 9,
  inf: 9,
  i: 9,
  notice: 10,
  normal: 9,
  warn: 13,
  warning: 13,
  wrn: 13,
  w: 13,
  error: 17,
  err: 17,
  e: 17,
  severe: 17,
  critical: 21,
  crit: 21,
  alert: 22,
  fatal: 21,
  emergency: 23,
  emerg: 23,
  panic: 24,
};

/** Maps a level name (any case) or numeric string to an OTel severity number; 0 when unknown. */
export function severityFromText(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const lower = text.trim().toLowerCase();
  const direct = BY_NAME[lower];
  if (direct !== undefined) return direct;
  const n = Number(lower);
  if (Number.isInteger(n) && n >= 1 && n <= 24) return n;
  for (const [name, num] of Object.entries(BY_NAME)) if (name.length > 2 && lower.startsWith(name)) return num;
  return 0;
}

/** The level name for a severity number (OTel ranges: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal). */
export function levelOf(severityNumber: number): Level {
  if (severityNumber <= 0) return "unknown";
  if (severityNumber <= 4) return "trace";
  if (severityNumber <= 8) return "debug";
  if (severityNumber <= 12) return "info";
  if (severityNumber <= 16) return "warn";
  if (severityNumber <= 20) return "error";
  return "fatal";
}

/** The canonical severity text for a number (`INFO`, `WARN`...). */
export function severityTextOf(severityNumber: number): string {
  const l = levelOf(severityNumber);
  return l === "unknown" ? "" : l.toUpperCase();
}

/** Syslog severity (0 emerg .. 7 debug) to OTel severity number. */
export function severityFromSyslog(sev: number): number {
  return [23, 22, 21, 17, 13, 10, 9, 5][sev] ?? 0;
}

/** Severity from an HTTP status code (5xx error, 4xx warn, else info). */
export function severityFromHttpStatus(status: number): number {
  if (status >= 500) return 17;
  if (status >= 400) return 13;
  return 9;
}

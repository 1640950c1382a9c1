// Structured logger contract used by libraries; apps provide the implementation (JSON lines to stderr).

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const SECRET_KEYS = /token|secret|password|passwd|authorization|api[-_]?key|master[-_]?key|shared[-_]?key|cookie/i;

/** Replaces the values of secret-looking fields with "[redacted]" (recursively), so secrets never reach logs. */
export function redactSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEYS.test(k)) out[k] = "[redacted]";
    else if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Error)) out[k] = redactSecrets(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

/** A JSON-lines logger writing to a sink function (the app passes process.stderr.write). */
export function jsonLogger(write: (line: string) => void, minLevel: "debug" | "info" | "warn" | "error" = "info", base: Record<string, unknown> = {}): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const emit = (level: keyof typeof order) => (msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const f = fields === undefined ? {} : redactSecrets(fields);
    for (const [k, v] of Object.entries(f)) if (v instanceof Error) f[k] = { message: v.message, code: (v as { code?: unknown }).code };
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...f }) + "\n");
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

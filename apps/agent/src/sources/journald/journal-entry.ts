// Maps one `journalctl -o json` entry to a LogRecord.

import { severityFromSyslog, severityTextOf, type LogRecord } from "@meshlog/core";

/** journald sends binary or non-UTF-8 MESSAGE values as arrays of byte values. */
function fieldText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((b) => typeof b === "number" && b >= 0 && b <= 255)) return Buffer.from(v as number[]).toString("utf8");
  return undefined;
}

const ATTRIBUTES: Record<string, string> = {
  _SYSTEMD_UNIT: "systemd.unit",
  SYSLOG_IDENTIFIER: "syslog.appname",
  _PID: "process.pid",
  _COMM: "process.command",
  _TRANSPORT: "journald.transport",
  _BOOT_ID: "journald.boot_id",
};

/** Returns the record and the entry's cursor, or undefined for a line that is not a journal entry. */
export function journalEntryRecord(line: string, nowNs: bigint): { record: LogRecord; cursor: string } | undefined {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof e !== "object" || e === null || Array.isArray(e)) return undefined;
  const o = e as Record<string, unknown>;
  const cursor = o.__CURSOR;
  if (typeof cursor !== "string") return undefined;
  const us = typeof o.__REALTIME_TIMESTAMP === "string" && /^\d{1,19}$/.test(o.__REALTIME_TIMESTAMP) ? BigInt(o.__REALTIME_TIMESTAMP) : undefined;
  const prio = typeof o.PRIORITY === "string" && /^[0-7]$/.test(o.PRIORITY) ? Number(o.PRIORITY) : undefined;
  const sev = prio === undefined ? 0 : severityFromSyslog(prio);
  const attributes: Record<string, string> = {};
  for (const [k, name] of Object.entries(ATTRIBUTES)) {
    const v = fieldText(o[k]);
    if (v !== undefined) attributes[name] = v;
  }
  const resource: Record<string, string> = {};
  const host = fieldText(o._HOSTNAME);
  if (host !== undefined) resource["host.name"] = host;
  return {
    cursor,
    record: {
      timestamp: us === undefined ? nowNs : us * 1000n,
      observedTimestamp: nowNs,
      severityNumber: sev,
      severityText: sev > 0 ? severityTextOf(sev) : "",
      body: fieldText(o.MESSAGE) ?? "",
      attributes,
      resource,
      traceId: "",
      spanId: "",
      tenant: "",
      labels: {},
    },
  };
}

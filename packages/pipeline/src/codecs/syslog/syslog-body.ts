// A parsed syslog message as attributes (`syslog.*`, `sd.<id>.<param>`), severity and message.

import { severityFromSyslog } from "@meshlog/core";
import type { ParsedBody } from "../body-format.js";
import type { SyslogMessage } from "./syslog-message.js";

const FACILITIES = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "solaris-cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
];
const SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/** Facility keyword (`local4`) of a facility number; the number as text past 23. */
export function syslogFacilityName(facility: number): string {
  return FACILITIES[facility] ?? String(facility);
}

/**
 * Converts a syslog message into a ParsedBody: `message` is MSG; fields are `syslog.facility` (keyword),
 * `syslog.hostname`, `syslog.appname`, `syslog.procid`, `syslog.msgid`, `syslog.sequence`, and
 * `sd.<SD-ID>.<PARAM>` for structured data. Severity maps syslog 0-7 to OTel numbers; its text is the
 * syslog keyword (`err`, `warning`, `notice`, ...).
 */
export function syslogToParsedBody(m: SyslogMessage): ParsedBody {
  const f: Record<string, string> = {};
  if (m.facility !== undefined) f["syslog.facility"] = syslogFacilityName(m.facility);
  if (m.hostname !== undefined) f["syslog.hostname"] = m.hostname;
  if (m.appName !== undefined) f["syslog.appname"] = m.appName;
  if (m.procId !== undefined) f["syslog.procid"] = m.procId;
  if (m.msgId !== undefined) f["syslog.msgid"] = m.msgId;
  if (m.sequence !== undefined) f["syslog.sequence"] = m.sequence;
  for (const [id, params] of Object.entries(m.structuredData)) {
    for (const [name, value] of Object.entries(params)) f[`sd.${id}.${name}`] = value;
  }
  const out: ParsedBody = { format: m.format === "rfc5424" ? "syslog-rfc5424" : "syslog-rfc3164", fields: f, message: m.message };
  if (m.timestamp !== undefined) out.timestamp = m.timestamp;
  if (m.severity !== undefined) {
    out.severityNumber = severityFromSyslog(m.severity);
    out.severityText = SEVERITIES[m.severity] ?? "";
  }
  return out;
}

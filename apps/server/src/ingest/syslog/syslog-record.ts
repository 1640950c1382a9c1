// Maps one syslog message (text, parsed by @meshlog/pipeline's parseSyslog) to a meshlog record.
//
// - body: MSG; timestamp: the message's (BSD times read as UTC in the current year), else the receive time.
// - severity: syslog severity -> OTel number, text = syslog keyword (err, warning, notice...).
// - labels: source="syslog", service=APP-NAME/TAG (when present).
// - resource: host.name=HOSTNAME, service.name=APP-NAME.
// - attributes: syslog.facility (keyword), syslog.procid, syslog.msgid, syslog.sequence, syslog.format,
//   sd.<SD-ID>.<PARAM> for structured data, client.address (the sending peer).
// A message that does not parse is still stored: raw text as body, the error in attribute syslog.parse_error.

import { severityFromSyslog, validateLabels, MeshlogError, type LogRecord } from "@meshlog/core";
import { parseSyslog, syslogFacilityName } from "@meshlog/pipeline";

const MAX_LABEL_VALUE = 128;
/** Syslog severity keywords, as syslog-ng and rsyslog name them (0 emerg .. 7 debug). */
const SEVERITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

export interface SyslogRecordContext {
  readonly tenant: string;
  readonly observedNs: bigint;
  /** Address of the sender, stored as attribute client.address. */
  readonly peer: string;
  readonly maxLineBytes: number;
}

/** Converts one syslog message; `parsed` is false when the text was stored raw because it did not parse. */
export function syslogTextToRecord(text: string, c: SyslogRecordContext): { record: LogRecord; parsed: boolean } {
  const attributes: Record<string, string> = {};
  const resource: Record<string, string> = {};
  const labels: Record<string, string> = { source: "syslog" };
  if (c.peer !== "") attributes["client.address"] = c.peer;
  let body: string;
  let timestamp = c.observedNs;
  let severityNumber = 0;
  let severityText = "";
  let parsed = true;
  try {
    const m = parseSyslog(text, { nowNs: c.observedNs, maxLength: c.maxLineBytes });
    body = m.message;
    if (m.timestamp !== undefined) timestamp = m.timestamp;
    if (m.severity !== undefined) {
      severityNumber = severityFromSyslog(m.severity);
      severityText = SEVERITY_NAMES[m.severity] ?? "";
    }
    if (m.facility !== undefined) attributes["syslog.facility"] = syslogFacilityName(m.facility);
    if (m.procId !== undefined) attributes["syslog.procid"] = m.procId;
    if (m.msgId !== undefined) attributes["syslog.msgid"] = m.msgId;
    if (m.sequence !== undefined) attributes["syslog.sequence"] = m.sequence;
    for (const id in m.structuredData) {
      const params = m.structuredData[id] as Record<string, string>;
      for (const name in params) attributes[`sd.${id}.${name}`] = params[name] as string;
    }
    attributes["syslog.format"] = m.format;
    if (m.hostname !== undefined && m.hostname !== "") resource["host.name"] = m.hostname;
    if (m.appName !== undefined && m.appName !== "") {
      resource["service.name"] = m.appName;
      labels.service = m.appName.slice(0, MAX_LABEL_VALUE);
    }
  } catch (err) {
    if (!(err instanceof MeshlogError)) throw err;
    parsed = false;
    body = text.length > c.maxLineBytes ? text.slice(0, c.maxLineBytes) : text.replace(/[\r\n\0]+$/, "");
    attributes["syslog.parse_error"] = err.message;
  }
  return {
    parsed,
    record: {
      timestamp,
      observedTimestamp: c.observedNs,
      severityNumber,
      severityText,
      body,
      attributes,
      resource,
      traceId: "",
      spanId: "",
      tenant: c.tenant,
      labels: validateLabels(labels),
    },
  };
}

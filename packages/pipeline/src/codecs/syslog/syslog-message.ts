// The parsed form of one syslog message (RFC 5424 or RFC 3164 with real-world deviations).

/** One syslog message. Absent header parts (NILVALUE `-`, or missing in BSD syslog) are undefined. */
export interface SyslogMessage {
  format: "rfc5424" | "rfc3164";
  /** Priority as sent; undefined when the message had no `<PRI>`. May exceed 191 (accepted as sent). */
  pri?: number;
  facility?: number;
  /** Syslog severity 0 (emerg) .. 7 (debug). */
  severity?: number;
  /** RFC 5424 VERSION. */
  version?: number;
  /** Nanoseconds since the epoch; undefined for `-` or when the message carried no time. */
  timestamp?: bigint;
  hostname?: string;
  /** RFC 5424 APP-NAME, or the BSD TAG. */
  appName?: string;
  procId?: string;
  msgId?: string;
  /** Structured data: SD-ID → PARAM-NAME → value (escapes removed; a repeated param keeps the last value). */
  structuredData: Record<string, Record<string, string>>;
  /** Cisco IOS sequence number (`000123:`), when present. */
  sequence?: string;
  /** The MSG part, BOM removed. */
  message: string;
}

/** Options for parseSyslog. */
export interface SyslogParseOptions {
  /** "now" for the year of BSD timestamps (which have none); defaults to the current time. */
  nowNs?: bigint;
  /** Offset of BSD timestamps without a zone, minutes east of UTC; default 0 (UTC). */
  timezoneOffsetMinutes?: number;
  /** Longest message accepted, in characters; default 1 MiB. */
  maxLength?: number;
}

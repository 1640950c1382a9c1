// Syslog entry point: PRI, BOM and trailer handling, then RFC 5424 or RFC 3164 parsing.

import { MeshlogError } from "@meshlog/core";
import { PipelineErrors } from "../../errors.js";
import { parseRfc3164 } from "./syslog-3164.js";
import { parseRfc5424 } from "./syslog-5424.js";
import type { SyslogMessage, SyslogParseOptions } from "./syslog-message.js";

const DEFAULT_MAX = 1024 * 1024;

/**
 * Parses one syslog message (no transport framing). Accepts RFC 5424 and RFC 3164 and the deviations real
 * senders show: a missing `<PRI>`, `<PRI>` only, PRI above 191, a leading BOM, trailing `\n`, `\r\n` or
 * NUL, BSD messages without hostname or tag, ISO timestamps or years in BSD messages, Cisco sequence
 * numbers and `*`-prefixed times. Throws MeshlogError(PIPELINE_SYSLOG_INVALID) naming the part and the
 * offset when a message that declares RFC 5424 (`<PRI>1 `) is malformed, or when the text is empty,
 * too long, or has a broken `<PRI>`.
 */
export function parseSyslog(text: string, opts: SyslogParseOptions = {}): SyslogMessage {
  const max = opts.maxLength ?? DEFAULT_MAX;
  if (text.length > max) {
    throw new MeshlogError(PipelineErrors.PIPELINE_SYSLOG_INVALID, `syslog: message is ${text.length} characters, longer than the limit of ${max}`);
  }
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c === 10 || c === 13 || c === 0) end--;
    else break;
  }
  let start = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  const s = end === text.length && start === 0 ? text : text.slice(start, end);
  if (s.trim() === "") throw new MeshlogError(PipelineErrors.PIPELINE_SYSLOG_INVALID, "syslog: message is empty");
  const head: Pick<SyslogMessage, "pri" | "facility" | "severity"> = {};
  let pos = 0;
  if (s.charCodeAt(0) === 60 /* < */) {
    const close = s.indexOf(">", 1);
    const digits = close < 0 ? "" : s.slice(1, close);
    if (close < 0 || close > 4 || !/^\d{1,3}$/.test(digits)) {
      throw new MeshlogError(
        PipelineErrors.PIPELINE_SYSLOG_INVALID,
        `syslog: PRI must be "<" 1-3 digits ">" at offset ${start}, found ${JSON.stringify(s.slice(0, 8))}`,
      );
    }
    const pri = Number(digits);
    head.pri = pri;
    head.facility = pri >> 3;
    head.severity = pri & 7;
    pos = close + 1;
  }
  if (isRfc5424Version(s, pos)) {
    try {
      return parseRfc5424(s, pos, head);
    } catch (err) {
      // Report offsets in the caller's text, which may have started with a BOM.
      if (err instanceof MeshlogError && start > 0 && typeof err.details?.offset === "number") {
        const at = err.details.offset + start;
        throw new MeshlogError(err.code, err.message.replace(/at offset \d+$/, `at offset ${at}`), { details: { offset: at } });
      }
      throw err;
    }
  }
  return parseRfc3164(s, pos, head, opts);
}

/** `1 ` then a timestamp start or `-`: the RFC 5424 VERSION field. */
function isRfc5424Version(s: string, pos: number): boolean {
  const c = s.charCodeAt(pos);
  if (c < 49 || c > 57) return false;
  let i = pos + 1;
  if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (s.charCodeAt(i) !== 32) return false;
  const n = s.charCodeAt(i + 1);
  return n === 45 || (n >= 48 && n <= 57 && s.charCodeAt(i + 5) === 45);
}

/**
 * Splits a UDP datagram or LF-framed chunk holding several messages: at `\n` (or NUL) followed by `<`
 * and a digit. Other embedded newlines stay inside the message.
 */
export function splitSyslogMessages(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 10 || c === 0) && text.charCodeAt(i + 1) === 60) {
      const d = text.charCodeAt(i + 2);
      if (d >= 48 && d <= 57) {
        if (i > start) out.push(text.slice(start, i));
        start = i + 1;
      }
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out.filter((m) => !isOnlyTrailers(m));
}

function isOnlyTrailers(m: string): boolean {
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    if (c !== 10 && c !== 13 && c !== 0) return false;
  }
  return true;
}

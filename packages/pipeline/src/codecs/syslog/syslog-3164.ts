// BSD syslog (RFC 3164) as devices really send it: optional hostname/tag, ISO or yearful timestamps, Cisco forms.

import { monthIndex } from "../access-log-fields.js";
import type { SyslogMessage, SyslogParseOptions } from "./syslog-message.js";
import { parseRfc3339Fast } from "../fast-time.js";

// `Mmm dd [yyyy] hh:mm:ss[.frac]`, optional Cisco `*`/`.` prefix and trailing `:`, optional zone word.
const BSD_TIME = /^[*.]?([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?:?(?: (UTC|GMT|Z))?(?= |$)/;
// `yyyy Mmm dd hh:mm:ss`
const YEAR_FIRST = /^(\d{4}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;
const ISO = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})?(?= |$)/;
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{0,128})\])?:(?= |$)|^([^\s:[\]]{1,48})\[([^\]\s]{0,128})\](?= |$)/;
const CISCO_SEQ = /^(\d{1,10}): /;

const DAY_NS = 86_400_000_000_000n;

/** Parses a BSD syslog message from `pos` (after `<PRI>`, if any). Never fails: unknown parts stay in MSG. */
export function parseRfc3164(text: string, pos: number, head: Pick<SyslogMessage, "pri" | "facility" | "severity">, opts: SyslogParseOptions): SyslogMessage {
  const msg: SyslogMessage = { format: "rfc3164", ...head, structuredData: {}, message: "" };
  let rest = text.slice(pos);
  const seq = CISCO_SEQ.exec(rest);
  if (seq !== null) {
    msg.sequence = seq[1] as string;
    rest = rest.slice(seq[0].length);
  }
  let m: RegExpExecArray | null;
  if ((m = ISO.exec(rest)) !== null) {
    const ts = parseRfc3339Fast(m[0]);
    if (ts !== undefined) msg.timestamp = ts;
    rest = rest.slice(m[0].length);
  } else if ((m = BSD_TIME.exec(rest)) !== null) {
    const ts = bsdTime(m[1] as string, m[2] as string, m[3], m[4] as string, m[5] as string, m[6] as string, m[7], m[8] !== undefined ? 0 : undefined, opts);
    if (ts !== undefined) msg.timestamp = ts;
    rest = rest.slice(m[0].length);
  } else if ((m = YEAR_FIRST.exec(rest)) !== null) {
    const ts = bsdTime(m[2] as string, m[3] as string, m[1], m[4] as string, m[5] as string, m[6] as string, m[7], undefined, opts);
    if (ts !== undefined) msg.timestamp = ts;
    rest = rest.slice(m[0].length);
  }
  if (rest.charCodeAt(0) === 32) rest = rest.slice(1);
  // HOSTNAME: present unless the next word is already the tag (`su:`, `sshd[42]:`, Cisco `%SYS-5-X:`).
  if (msg.timestamp !== undefined || seq !== null) {
    const sp = rest.indexOf(" ");
    const word = sp < 0 ? rest : rest.slice(0, sp);
    if (word !== "" && sp > 0 && !word.startsWith("%") && TAG.exec(word) === null && isHostname(word)) {
      msg.hostname = word.endsWith(":") ? word.slice(0, -1) : word;
      rest = rest.slice(sp + 1);
    }
  }
  const tag = TAG.exec(rest);
  if (tag !== null) {
    const name = tag[1] ?? tag[3];
    const pid = tag[2] ?? tag[4];
    if (name !== undefined) msg.appName = name.startsWith("%") ? name.slice(1) : name;
    if (pid !== undefined && pid !== "") msg.procId = pid;
    rest = rest.slice(tag[0].length);
    if (rest.charCodeAt(0) === 32) rest = rest.slice(1);
  }
  if (rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
  msg.message = rest;
  return msg;
}

/** A hostname or IP literal (letters, digits, `.`, `-`, `_`, `:` for IPv6), at most 255 characters. */
function isHostname(word: string): boolean {
  return word.length <= 255 && /^[A-Za-z0-9][A-Za-z0-9._:/-]*:?$/.test(word);
}

function bsdTime(
  mon: string,
  day: string,
  year: string | undefined,
  hh: string,
  mm: string,
  ss: string,
  frac: string | undefined,
  zoneMinutes: number | undefined,
  opts: SyslogParseOptions,
): bigint | undefined {
  const month = monthIndex(mon);
  if (month === undefined) return undefined;
  const offset = BigInt(zoneMinutes ?? opts.timezoneOffsetMinutes ?? 0) * 60_000_000_000n;
  const fracNs = frac === undefined ? 0n : BigInt(frac.padEnd(9, "0"));
  const at = (y: number): bigint => BigInt(Date.UTC(y, month, Number(day), Number(hh), Number(mm), Number(ss))) * 1_000_000n + fracNs - offset;
  if (year !== undefined) return at(Number(year));
  const now = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const nowYear = new Date(Number(now / 1_000_000n)).getUTCFullYear();
  const ts = at(nowYear);
  // A December message read in January belongs to last year: no message is more than a day in the future.
  return ts > now + DAY_NS ? at(nowYear - 1) : ts;
}

// RFC 5424 header and structured-data parser (after `<PRI>`), with precise errors.

import { MeshlogError } from "@meshlog/core";
import { PipelineErrors } from "../../errors.js";
import type { SyslogMessage } from "./syslog-message.js";
import { parseRfc3339Fast } from "../fast-time.js";
import { safeKey } from "../safe-key.js";

const fail = (what: string, at: number): never => {
  throw new MeshlogError(PipelineErrors.PIPELINE_SYSLOG_INVALID, `syslog: ${what} at offset ${at}`, { details: { offset: at } });
};

const LIMITS: Record<string, number> = { HOSTNAME: 255, "APP-NAME": 48, PROCID: 128, MSGID: 32 };

/**
 * Parses an RFC 5424 message from `pos` (the VERSION). `head` holds PRI facts already parsed. Accepts
 * more than 6 fractional digits, lower-case `t`/`z`, unescaped `]` inside quoted SD values, and a BOM
 * before MSG.
 */
export function parseRfc5424(text: string, pos: number, head: Pick<SyslogMessage, "pri" | "facility" | "severity">): SyslogMessage {
  let i = pos;
  const n = text.length;
  const token = (name: string): string => {
    const start = i;
    while (i < n && text.charCodeAt(i) !== 32) i++;
    if (i === start) fail(`RFC 5424 ${name} is empty`, start);
    const v = text.slice(start, i);
    const max = LIMITS[name];
    if (max !== undefined && v.length > max) fail(`RFC 5424 ${name} is ${v.length} characters, longer than ${max}`, start);
    if (i >= n) fail(`RFC 5424 header ends after ${name}`, i);
    i++; // SP
    return v;
  };
  const version = token("VERSION");
  if (!/^[1-9]\d?$/.test(version)) fail(`RFC 5424 VERSION "${version.slice(0, 8)}" is not a number`, pos);
  const tsStart = i;
  const ts = token("TIMESTAMP");
  let timestamp: bigint | undefined;
  if (ts !== "-") {
    timestamp = parseRfc3339Fast(ts);
    if (timestamp === undefined) fail(`RFC 5424 TIMESTAMP "${ts.slice(0, 40)}" is not RFC 3339`, tsStart);
  }
  const host = token("HOSTNAME");
  const app = token("APP-NAME");
  const proc = token("PROCID");
  const msgIdStart = i;
  // MSGID may be the last header field when SD and MSG are absent (a deviation some senders show).
  while (i < n && text.charCodeAt(i) !== 32) i++;
  const msgId = text.slice(msgIdStart, i);
  if (msgId === "") fail("RFC 5424 MSGID is empty", msgIdStart);
  if (msgId.length > 32) fail(`RFC 5424 MSGID is ${msgId.length} characters, longer than 32`, msgIdStart);
  const msg: SyslogMessage = { format: "rfc5424", ...head, version: Number(version), structuredData: {}, message: "" };
  if (timestamp !== undefined) msg.timestamp = timestamp;
  if (host !== "-") msg.hostname = host;
  if (app !== "-") msg.appName = app;
  if (proc !== "-") msg.procId = proc;
  if (msgId !== "-") msg.msgId = msgId;
  if (i >= n) return msg;
  i++; // SP
  if (i >= n) return msg;
  if (text.charCodeAt(i) === 45 /* - */) {
    i++;
  } else if (text.charCodeAt(i) === 91 /* [ */) {
    i = parseStructuredData(text, i, msg.structuredData);
  } else {
    fail(`RFC 5424 STRUCTURED-DATA must be "-" or start with "[", found "${text.charAt(i)}"`, i);
  }
  if (i < n) {
    if (text.charCodeAt(i) !== 32) fail(`expected a space before MSG, found "${text.charAt(i)}"`, i);
    i++;
  }
  let body = text.slice(i);
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
  msg.message = body;
  return msg;
}

/** Parses one or more `[ID name="value" ...]` elements from `i`; returns the offset after the last `]`. */
function parseStructuredData(text: string, i: number, out: Record<string, Record<string, string>>): number {
  const n = text.length;
  while (i < n && text.charCodeAt(i) === 91) {
    const elemStart = i;
    i++;
    const idStart = i;
    while (i < n && !isSdDelim(text.charCodeAt(i))) i++;
    const id = safeKey(text.slice(idStart, i));
    if (id === "") fail("structured data element has an empty SD-ID", idStart);
    if (id.length > 32) fail(`SD-ID "${id.slice(0, 40)}" is longer than 32 characters`, idStart);
    const params: Record<string, string> = Object.hasOwn(out, id) ? (out[id] as Record<string, string>) : {};
    out[id] = params;
    for (;;) {
      if (i >= n) fail(`structured data element "${id}" (from offset ${elemStart}) is not terminated by "]"`, i);
      const c = text.charCodeAt(i);
      if (c === 93) {
        i++;
        break;
      }
      if (c !== 32) fail(`unexpected "${text.charAt(i)}" in structured data element "${id}"`, i);
      i++;
      const nameStart = i;
      while (i < n && !isSdDelim(text.charCodeAt(i))) i++;
      const name = safeKey(text.slice(nameStart, i));
      if (name === "") fail(`empty PARAM-NAME in structured data element "${id}"`, nameStart);
      if (name.length > 32) fail(`PARAM-NAME "${name.slice(0, 40)}" is longer than 32 characters`, nameStart);
      if (text.charCodeAt(i) !== 61) fail(`expected "=" after PARAM-NAME "${name}"`, i);
      i++;
      if (text.charCodeAt(i) !== 34) fail(`expected '"' to open the value of "${id}.${name}"`, i);
      i++;
      let value = "";
      let seg = i;
      for (;;) {
        if (i >= n) fail(`value of "${id}.${name}" is not closed by '"'`, seg);
        const v = text.charCodeAt(i);
        if (v === 34) break;
        if (v === 92 && i + 1 < n) {
          const e = text.charCodeAt(i + 1);
          if (e === 34 || e === 92 || e === 93) {
            value += text.slice(seg, i);
            i++;
            seg = i;
          }
        }
        i++;
      }
      value += text.slice(seg, i);
      i++;
      params[name] = value;
    }
  }
  return i;
}

/** SD-NAME delimiters: space, `=`, `]`, `"` (and control characters). */
function isSdDelim(c: number): boolean {
  return c <= 32 || c === 61 || c === 93 || c === 34;
}

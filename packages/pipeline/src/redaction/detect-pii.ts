// Personal data detectors: email addresses, US social security numbers, IPv4 and IPv6 addresses.

import { isDigit, isWordChar, regexSpans, type Detector, type Span } from "./detector.js";
import { Shape } from "./value-screen.js";

const isLocalChar = (c: number): boolean => isWordChar(c) || c === 46 || c === 37 || c === 43 || c === 45; // . % + -
const isDomainChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Emails anchored on each `@`: local part (≤ 64) to the left, a dotted domain with an alphabetic TLD to the right. */
function findEmails(text: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  let lastEnd = 0;
  for (;;) {
    const at = text.indexOf("@", from);
    if (at < 0) break;
    from = at + 1;
    let ls = at;
    while (ls > lastEnd && at - ls < 64 && isLocalChar(text.charCodeAt(ls - 1))) ls--;
    while (ls < at && text.charCodeAt(ls) === 46) ls++;
    if (ls === at) continue;
    let de = at + 1;
    while (de < text.length && de - at <= 253 && isDomainChar(text.charCodeAt(de))) de++;
    while (de > at + 1 && (text.charCodeAt(de - 1) === 46 || text.charCodeAt(de - 1) === 45)) de--;
    let lastDot = de - 1;
    while (lastDot > at && text.charCodeAt(lastDot) !== 46) lastDot--;
    if (lastDot <= at + 1 || de - lastDot - 1 < 2) continue;
    let tldOk = true;
    for (let k = lastDot + 1; k < de; k++) if (!isAlpha(text.charCodeAt(k))) tldOk = false;
    if (!tldOk) continue;
    out.push({ start: ls, end: de });
    lastEnd = de;
    from = de;
  }
  return out;
}

export const emailDetector: Detector = { name: "email", screen: Shape.AT, mightMatch: (t) => t.includes("@"), find: findEmails };

const SSN = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;

/** US SSNs `AAA-GG-SSSS`, excluding the never-issued ranges: area 000, 666, 900-999; group 00; serial 0000. */
export function validSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

export const ssnDetector: Detector = {
  name: "ssn",
  screen: Shape.SSN,
  mightMatch: (t) => t.includes("-"),
  find: (t) => regexSpans(SSN, t, 0, (m) => validSsn(m[1] as string, m[2] as string, m[3] as string)),
};

const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g;

/** Dotted quads with every octet ≤ 255; not when part of a longer dotted number or written `v1.2.3.4` / `version 1.2.3.4`. */
export const ipv4Detector: Detector = {
  name: "ipv4",
  screen: Shape.DOT,
  mightMatch: (t) => t.includes("."),
  find: (t) =>
    regexSpans(IPV4, t, 0, (m) => {
      for (let k = 1; k <= 4; k++) if (Number(m[k]) > 255) return false;
      const before = t.slice(Math.max(0, m.index - 8), m.index).toLowerCase();
      return !/(version|ver)[ :=]*$/.test(before);
    }),
};

const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** True when `s` is an IPv6 address (RFC 4291 text forms, optional embedded IPv4, optional `%zone`). */
export function isIpv6(s: string): boolean {
  const pct = s.indexOf("%");
  const addr = pct < 0 ? s : s.slice(0, pct);
  if (addr.length < 2 || addr.length > 45) return false;
  const dbl = addr.indexOf("::");
  if (dbl >= 0 && addr.indexOf("::", dbl + 1) >= 0) return false;
  const parts = dbl < 0 ? [addr] : [addr.slice(0, dbl), addr.slice(dbl + 2)];
  let groups = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p] as string;
    if (part === "") continue;
    const gs = part.split(":");
    for (let g = 0; g < gs.length; g++) {
      const grp = gs[g] as string;
      const last = p === parts.length - 1 && g === gs.length - 1;
      if (last && grp.includes(".")) {
        if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(grp) || grp.split(".").some((o) => Number(o) > 255)) return false;
        groups += 2;
        continue;
      }
      if (grp.length < 1 || grp.length > 4) return false;
      for (let k = 0; k < grp.length; k++) if (!isHex(grp.charCodeAt(k))) return false;
      groups++;
    }
  }
  return dbl >= 0 ? groups <= 7 && groups >= 1 : groups === 8;
}

/** IPv6 candidates are maximal runs of hex digits, `:` and `.` with two or more colons, bounded by non-word characters. */
function findIpv6(text: string): Span[] {
  const out: Span[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isHex(c) || c === 58)) {
      i++;
      continue;
    }
    const start = i;
    let colons = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 58) colons++;
      else if (!(isHex(d) || d === 46)) break;
      i++;
    }
    let end = i;
    if (text.charCodeAt(end) === 37) while (end < n && (isWordChar(text.charCodeAt(end)) || text.charCodeAt(end) === 37)) end++;
    const boundedLeft = start === 0 || !isWordChar(text.charCodeAt(start - 1));
    const boundedRight = end >= n || !isWordChar(text.charCodeAt(end));
    if (colons >= 2 && boundedLeft && boundedRight) {
      let s = start;
      let e = end;
      while (e > s && text.charCodeAt(e - 1) === 46) e--; // sentence full stop
      // `fe80::1:8080`-style host:port is ambiguous; accept only whole valid addresses.
      const cand = text.slice(s, e);
      if (isIpv6(cand)) out.push({ start: s, end: e });
      else if (cand.startsWith(":") && !cand.startsWith("::") && isIpv6(cand.slice(1))) out.push({ start: ++s, end: e });
    }
    i = Math.max(end, i + 1);
  }
  return out;
}

export const ipv6Detector: Detector = { name: "ipv6", screen: Shape.COLON, mightMatch: (t) => t.includes(":"), find: findIpv6 };

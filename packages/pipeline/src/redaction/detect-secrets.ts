// Credential detectors: JWTs, bearer/basic tokens, cloud and SaaS tokens, URL passwords, password pairs.

import { isWordChar, regexSpans, type Detector, type Span } from "./detector.js";
import { Shape } from "./value-screen.js";

const isB64Url = (c: number): boolean => isWordChar(c) || c === 45; // A-Z a-z 0-9 _ -

/** JWTs: three base64url segments joined by dots, the first two starting `eyJ` (a JSON object). */
function findJwts(text: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  for (;;) {
    const s = text.indexOf("eyJ", from);
    if (s < 0) break;
    if (s > 0 && (isB64Url(text.charCodeAt(s - 1)) || text.charCodeAt(s - 1) === 46)) {
      // inside a longer token: skip to its end so each character is read once
      let k = s;
      while (k < text.length && (isB64Url(text.charCodeAt(k)) || text.charCodeAt(k) === 46)) k++;
      from = Math.max(k, s + 1);
      continue;
    }
    let e = s;
    while (e < text.length && (isB64Url(text.charCodeAt(e)) || text.charCodeAt(e) === 46)) e++;
    const parts = text.slice(s, e).split(".");
    if (parts.length === 3 && (parts[0] as string).length >= 10 && (parts[1] as string).startsWith("eyJ") && (parts[1] as string).length >= 10) {
      out.push({ start: s, end: e });
    }
    from = Math.max(e, s + 1);
  }
  return out;
}

export const jwtDetector: Detector = { name: "jwt", screen: Shape.JWT, mightMatch: (t) => t.includes("eyJ"), find: findJwts };

const BEARER = /(?<![A-Za-z0-9_])bearer\s{1,8}([A-Za-z0-9._~+/-]{8,4096}=*)/dgi;
const BASIC = /(?<![A-Za-z0-9_])authorization["']?\s{0,4}[:=]\s{0,4}["']?basic\s{1,8}([A-Za-z0-9+/]{4,4096}=*)/dgi;
const BEARER_HINT = /bearer|basic/i;

/** `Bearer <token>` anywhere, and `Authorization: Basic <credentials>`; the token is replaced, the scheme kept. */
export const bearerTokenDetector: Detector = {
  name: "bearer_token",
  keywordGated: true,
  mightMatch: (t) => BEARER_HINT.test(t),
  find: (t) => mergeSpans([...regexSpans(BEARER, t, 1), ...regexSpans(BASIC, t, 1)]),
};

const GITHUB = /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g;
export const githubTokenDetector: Detector = {
  name: "github_token",
  screen: Shape.GITHUB,
  mightMatch: (t) => t.includes("gh") || t.includes("github_pat_"),
  find: (t) => regexSpans(GITHUB, t),
};

const SLACK = /(?<![A-Za-z0-9-])xox[abposre]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g;
export const slackTokenDetector: Detector = {
  name: "slack_token",
  screen: Shape.SLACK,
  mightMatch: (t) => t.includes("xox"),
  find: (t) => regexSpans(SLACK, t),
};

const AWS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g;
const AWS_KEY_HINT = /AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA/;
export const awsAccessKeyDetector: Detector = {
  name: "aws_access_key",
  keywordGated: true,
  mightMatch: (t) => AWS_KEY_HINT.test(t),
  find: (t) => regexSpans(AWS_KEY_ID, t),
};

const AWS_SECRET =
  /(?<![A-Za-z0-9])(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s{0,4}[:=]\s{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/dgi;
const AWS_SECRET_HINT = /secret_?(?:access_?)?key/i;
/** AWS secret access keys: 40 base64 characters after an `aws_secret_access_key`-like key. */
export const awsSecretKeyDetector: Detector = {
  name: "aws_secret_key",
  keywordGated: true,
  mightMatch: (t) => AWS_SECRET_HINT.test(t),
  find: (t) => regexSpans(AWS_SECRET, t, 1),
};

const URL_PASSWORD = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s:@/?#]{0,256}:([^\s@/?#]{1,256})@/dg;
/** `scheme://user:password@host`: the password is replaced, the user kept. */
export const urlPasswordDetector: Detector = {
  name: "url_password",
  screen: Shape.URL,
  mightMatch: (t) => t.includes("://"),
  find: (t) => regexSpans(URL_PASSWORD, t, 1),
};

const SECRET_KEYS =
  "password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|private[_-]?key";
const PAIR = new RegExp(
  `(?<![A-Za-z0-9_])(?:[A-Za-z0-9_]{0,32}[_.-])?(?:${SECRET_KEYS})(?:\\\\?["'])?\\s{0,4}[:=]\\s{0,4}(?:"((?:[^"\\\\\\n]|\\\\.){0,1024})"|\\\\"((?:[^"\\\\\\n]|\\\\[^"]){0,1024})\\\\"|'([^'\\n]{0,1024})'|([^\\s&,;"'}\\]<>]{1,1024}))`,
  "dgi",
);
const PAIR_HINT = /pass|pwd|secret|api[_-]?key|token|private/i;

/** Attribute keys whose whole value is a secret (`password`, `db.password`, `api_key`, `client_secret`, ...). */
export const SECRET_KEY_NAME = new RegExp(`^(?:.*[._-])?(?:${SECRET_KEYS})$`, "i");

/**
 * `password=...`, `pwd: ...`, `"password": "..."`, `?secret=...&` (logfmt, query strings, JSON, YAML-ish):
 * the value is replaced, the key kept.
 */
export const passwordDetector: Detector = {
  name: "password",
  keywordGated: true,
  mightMatch: (t) => PAIR_HINT.test(t),
  find: (t) => {
    const out: Span[] = [];
    PAIR.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = PAIR.exec(t)) !== null) {
      const idx = m.indices?.[1] ?? m.indices?.[2] ?? m.indices?.[3] ?? m.indices?.[4];
      if (idx !== undefined && idx[1] > idx[0]) out.push({ start: idx[0], end: idx[1] });
    }
    return out;
  },
};

/** Sorts and merges overlapping spans. */
export function mergeSpans(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start);
  const out: Span[] = [spans[0] as Span];
  for (let i = 1; i < spans.length; i++) {
    const s = spans[i] as Span;
    const last = out[out.length - 1] as Span;
    if (s.start < last.end) last.end = Math.max(last.end, s.end);
    else out.push(s);
  }
  return out;
}

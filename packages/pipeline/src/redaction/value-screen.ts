// One pass over a value deciding which built-in redaction rules can possibly match it (a bitmask of shapes).

/** Shape bits set by screenValue. A detector declares the bits one of which every value it matches has. */
export const Shape = {
  /** `://` (URL with credentials). */
  URL: 1 << 0,
  /** `eyJ` (JWT header). */
  JWT: 1 << 1,
  /** `gh` or `gi` (GitHub tokens `gh?_`, `github_pat_`). */
  GITHUB: 1 << 2,
  /** `xox` (Slack tokens). */
  SLACK: 1 << 3,
  /** 13 or more digits in one chain of digit groups joined by single spaces or dashes (card numbers). */
  CARD: 1 << 4,
  /** `ddd-dd-dddd` with exactly four digits at the end (US SSN). */
  SSN: 1 << 5,
  /** `@` (email). */
  AT: 1 << 6,
  /** `.` (IPv4). */
  DOT: 1 << 7,
  /** `:` (IPv6). */
  COLON: 1 << 8,
} as const;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** True when the four digits at `s` are preceded by `ddd-dd-`. */
function ssnShape(t: string, s: number): boolean {
  return (
    s >= 7 &&
    t.charCodeAt(s - 1) === 45 &&
    isDigit(t.charCodeAt(s - 2)) &&
    isDigit(t.charCodeAt(s - 3)) &&
    t.charCodeAt(s - 4) === 45 &&
    isDigit(t.charCodeAt(s - 5)) &&
    isDigit(t.charCodeAt(s - 6)) &&
    isDigit(t.charCodeAt(s - 7))
  );
}

/** Per ASCII character: 0 = plays no part in any shape, 1 = digit, 2 = may start or end a shape. */
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = 1;
for (const ch of "@:.egx -") CLASS[ch.charCodeAt(0)] = 2;

/**
 * Reads each character once and returns the Shape bits present in `t`. Invariant (checked by property
 * tests): a built-in detector with `screen` bits finds nothing in a value whose mask has none of them, so
 * skipping it is exact. Bits are necessary conditions only; the detector's own check still runs.
 */
export function screenValue(t: string): number {
  let mask = 0;
  let run = 0; // length of the current digit run
  let chain = 0; // digits in the current chain of groups joined by one space or dash
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    const k = c < 128 ? (CLASS[c] as number) : 0;
    if (k === 0) {
      if (run !== 0) {
        if (run === 4 && ssnShape(t, i - 4)) mask |= Shape.SSN;
        run = 0;
      }
      chain = 0;
      continue;
    }
    if (k === 1) {
      run++;
      if (++chain >= 13) mask |= Shape.CARD;
      continue;
    }
    if (run !== 0) {
      if (run === 4 && ssnShape(t, i - 4)) mask |= Shape.SSN;
      if (!((c === 32 || c === 45) && isDigit(t.charCodeAt(i + 1)))) chain = 0;
      run = 0;
    } else chain = 0;
    switch (c) {
      case 64: // @
        mask |= Shape.AT;
        break;
      case 58: // :
        mask |= Shape.COLON;
        if (t.charCodeAt(i + 1) === 47 && t.charCodeAt(i + 2) === 47) mask |= Shape.URL;
        break;
      case 46: // .
        mask |= Shape.DOT;
        break;
      case 101: // e
        if (t.charCodeAt(i + 1) === 121 && t.charCodeAt(i + 2) === 74) mask |= Shape.JWT;
        break;
      case 103: {
        // g
        const d = t.charCodeAt(i + 1);
        if (d === 104 || d === 105) mask |= Shape.GITHUB;
        break;
      }
      case 120: // x
        if (t.charCodeAt(i + 1) === 111 && t.charCodeAt(i + 2) === 120) mask |= Shape.SLACK;
        break;
      default:
        break;
    }
  }
  if (run === 4 && ssnShape(t, n - 4)) mask |= Shape.SSN;
  return mask;
}

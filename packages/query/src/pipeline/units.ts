// Unit conversions used by label filters, unwrap and templates: Go durations and humanized byte sizes.

const DUR_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DUR_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|y)/gy;

/** Parses a Go duration (`1h2m3.5s`, `-250ms`, `0`) into seconds; undefined when malformed. */
export function parseGoDurationSeconds(text: string): number | undefined {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  DUR_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (;;) {
    const m = DUR_PART.exec(s);
    if (m === null) break;
    total += Number(m[1]) * (DUR_UNITS[m[2] as string] ?? 0);
    consumed = DUR_PART.lastIndex;
    if (consumed === s.length) break;
  }
  if (consumed !== s.length) return undefined;
  return sign * total;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  e: 1e18,
  eb: 1e18,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
  ei: 1024 ** 6,
  eib: 1024 ** 6,
};

/** Parses a humanized size (`20MB`, `1.5 KiB`, `42`) into bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return undefined;
  const unit = BYTE_UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

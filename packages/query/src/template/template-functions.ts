// Functions available in line_format/label_format templates (Loki's documented set, Go/sprig argument order).

import { parseRfc3339Ns } from "@meshlog/core";
import { SafeRegex } from "../regex/safe-regex.js";
import { parseBytes, parseGoDurationSeconds } from "../pipeline/units.js";
import { TemplateExecError, type TemplateData } from "./go-template.js";

/** A point in time inside templates (`__timestamp__`, `toDate`, `now`). */
export class TimeValue {
  constructor(readonly ns: bigint) {}
  toString(): string {
    return formatGoLayout(this.ns, "2006-01-02 15:04:05.999999999 -0700 MST");
  }
}

export type TemplateValue = string | number | boolean | null | undefined | TimeValue;

const str = (v: TemplateValue): string => (v === undefined || v === null ? "" : v instanceof TimeValue ? v.toString() : String(v));
const num = (v: TemplateValue): number => {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  const n = Number(str(v).trim());
  return Number.isFinite(n) ? n : 0;
};
const int = (v: TemplateValue): number => Math.trunc(num(v));
const time = (v: TemplateValue): bigint => (v instanceof TimeValue ? v.ns : BigInt(Math.trunc(num(v))) * 1_000_000_000n);

const argc = (name: string, args: TemplateValue[], n: number): void => {
  if (args.length !== n) throw new TemplateExecError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
};

const regexCache = new Map<string, SafeRegex>();
function regex(p: string): SafeRegex {
  let r = regexCache.get(p);
  if (r === undefined) {
    try {
      r = SafeRegex.compile(p, { where: "template regex" });
    } catch (err) {
      throw new TemplateExecError((err as Error).message);
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(p, r);
  }
  return r;
}

function compare(a: TemplateValue, b: TemplateValue): number {
  if (typeof a === "number" || typeof b === "number") return num(a) - num(b);
  const x = str(a);
  const y = str(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sprintf(fmt: string, args: TemplateValue[]): string {
  let k = 0;
  return fmt.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdvfqxXtge%])/g,
    (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
      if (verb === "%") return "%";
      const a = args[k++];
      let s: string;
      switch (verb) {
        case "d":
          s = String(int(a));
          break;
        case "f":
          s = num(a).toFixed(prec !== undefined ? Number(prec) : 6);
          break;
        case "g":
        case "e":
          s = String(num(a));
          break;
        case "q":
          s = JSON.stringify(str(a));
          break;
        case "x":
          s = typeof a === "number" ? Math.trunc(a).toString(16) : Buffer.from(str(a)).toString("hex");
          break;
        case "X":
          s = (typeof a === "number" ? Math.trunc(a).toString(16) : Buffer.from(str(a)).toString("hex")).toUpperCase();
          break;
        case "t":
          s = String(Boolean(a));
          break;
        default:
          s = str(a);
          if (prec !== undefined) s = s.slice(0, Number(prec));
      }
      const w = width !== undefined ? Number(width) : 0;
      if (s.length < w) s = flags.includes("-") ? s.padEnd(w) : s.padStart(w, flags.includes("0") && verb !== "s" ? "0" : " ");
      return s;
    },
  );
}

type Fn = (args: TemplateValue[], data: TemplateData) => TemplateValue;

const trimCut = (s: string, cut: string, left: boolean, right: boolean): string => {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && cut.includes(s[a] as string)) a++;
  if (right) while (b > a && cut.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
};

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  __line__: (_a, d) => d.line,
  __timestamp__: (_a, d) => new TimeValue(d.timestampNs),
  ToLower: (a) => (argc("ToLower", a, 1), str(a[0]).toLowerCase()),
  ToUpper: (a) => (argc("ToUpper", a, 1), str(a[0]).toUpperCase()),
  lower: (a) => (argc("lower", a, 1), str(a[0]).toLowerCase()),
  upper: (a) => (argc("upper", a, 1), str(a[0]).toUpperCase()),
  title: (a) => (argc("title", a, 1), str(a[0]).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase())),
  trim: (a) => (argc("trim", a, 1), str(a[0]).trim()),
  trimSpace: (a) => (argc("trimSpace", a, 1), str(a[0]).trim()),
  trimAll: (a) => (argc("trimAll", a, 2), trimCut(str(a[1]), str(a[0]), true, true)),
  trimLeft: (a) => (argc("trimLeft", a, 2), trimCut(str(a[1]), str(a[0]), true, false)),
  trimRight: (a) => (argc("trimRight", a, 2), trimCut(str(a[1]), str(a[0]), false, true)),
  trimPrefix: (a) => {
    argc("trimPrefix", a, 2);
    const p = str(a[0]);
    const s = str(a[1]);
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimSuffix: (a) => {
    argc("trimSuffix", a, 2);
    const p = str(a[0]);
    const s = str(a[1]);
    return p !== "" && s.endsWith(p) ? s.slice(0, -p.length) : s;
  },
  replace: (a) => (argc("replace", a, 3), str(a[2]).split(str(a[0])).join(str(a[1]))),
  substr: (a) => {
    argc("substr", a, 3);
    const s = str(a[2]);
    const start = int(a[0]);
    const end = int(a[1]);
    if (start < 0) return s.slice(0, end < 0 ? undefined : end);
    if (end < 0 || end > s.length) return s.slice(start);
    return s.slice(start, end);
  },
  regexReplaceAll: (a) => (argc("regexReplaceAll", a, 3), regex(str(a[0])).replaceAll(str(a[1]), str(a[2]))),
  regexReplaceAllLiteral: (a) => (argc("regexReplaceAllLiteral", a, 3), regex(str(a[0])).replaceAll(str(a[1]), str(a[2]).replace(/\$/g, "\\$"))),
  default: (a) => (argc("default", a, 2), a[1] === undefined || a[1] === null || a[1] === "" || a[1] === 0 || a[1] === false ? a[0] : a[1]),
  printf: (a) => {
    if (a.length < 1) throw new TemplateExecError("printf needs a format");
    return sprintf(str(a[0]), a.slice(1));
  },
  print: (a) => a.map(str).join(""),
  println: (a) => a.map(str).join(" ") + "\n",
  contains: (a) => (argc("contains", a, 2), str(a[1]).includes(str(a[0]))),
  hasPrefix: (a) => (argc("hasPrefix", a, 2), str(a[1]).startsWith(str(a[0]))),
  hasSuffix: (a) => (argc("hasSuffix", a, 2), str(a[1]).endsWith(str(a[0]))),
  repeat: (a) => {
    argc("repeat", a, 2);
    const n = int(a[0]);
    if (n < 0 || n * str(a[1]).length > 65536) throw new TemplateExecError("repeat count out of range");
    return str(a[1]).repeat(n);
  },
  len: (a) => (argc("len", a, 1), str(a[0]).length),
  count: (a) => (argc("count", a, 2), (str(a[1]).match(new RegExp(str(a[0]).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g")) ?? []).length),
  alignLeft: (a) => {
    argc("alignLeft", a, 2);
    const n = int(a[0]);
    const s = str(a[1]);
    return s.length >= n ? s.slice(0, n) : s.padEnd(n);
  },
  alignRight: (a) => {
    argc("alignRight", a, 2);
    const n = int(a[0]);
    const s = str(a[1]);
    return s.length >= n ? s.slice(s.length - n) : s.padStart(n);
  },
  add: (a) => a.reduce<number>((s, v) => s + int(v), 0),
  sub: (a) => (argc("sub", a, 2), int(a[0]) - int(a[1])),
  mul: (a) => a.reduce<number>((s, v) => s * int(v), 1),
  div: (a) => {
    argc("div", a, 2);
    const d = int(a[1]);
    if (d === 0) throw new TemplateExecError("division by zero");
    return Math.trunc(int(a[0]) / d);
  },
  mod: (a) => {
    argc("mod", a, 2);
    const d = int(a[1]);
    if (d === 0) throw new TemplateExecError("division by zero");
    return int(a[0]) % d;
  },
  addf: (a) => a.reduce<number>((s, v) => s + num(v), 0),
  subf: (a) => a.slice(1).reduce<number>((s, v) => s - num(v), num(a[0])),
  mulf: (a) => a.reduce<number>((s, v) => s * num(v), 1),
  divf: (a) => a.slice(1).reduce<number>((s, v) => s / num(v), num(a[0])),
  max: (a) => Math.max(...a.map(int)),
  min: (a) => Math.min(...a.map(int)),
  maxf: (a) => Math.max(...a.map(num)),
  minf: (a) => Math.min(...a.map(num)),
  ceil: (a) => (argc("ceil", a, 1), Math.ceil(num(a[0]))),
  floor: (a) => (argc("floor", a, 1), Math.floor(num(a[0]))),
  round: (a) => {
    const p = a.length > 1 ? int(a[1]) : 0;
    const f = 10 ** p;
    return Math.round(num(a[0]) * f) / f;
  },
  int: (a) => (argc("int", a, 1), int(a[0])),
  float64: (a) => (argc("float64", a, 1), num(a[0])),
  eq: (a) => a.slice(1).some((b) => compare(a[0], b) === 0),
  ne: (a) => (argc("ne", a, 2), compare(a[0], a[1]) !== 0),
  lt: (a) => (argc("lt", a, 2), compare(a[0], a[1]) < 0),
  le: (a) => (argc("le", a, 2), compare(a[0], a[1]) <= 0),
  gt: (a) => (argc("gt", a, 2), compare(a[0], a[1]) > 0),
  ge: (a) => (argc("ge", a, 2), compare(a[0], a[1]) >= 0),
  and: (a) => {
    for (const v of a) if (!truthyValue(v)) return v;
    return a[a.length - 1];
  },
  or: (a) => {
    for (const v of a) if (truthyValue(v)) return v;
    return a[a.length - 1];
  },
  not: (a) => (argc("not", a, 1), !truthyValue(a[0])),
  duration: (a) => (argc("duration", a, 1), goDuration(str(a[0]))),
  duration_seconds: (a) => (argc("duration_seconds", a, 1), goDuration(str(a[0]))),
  bytes: (a) => {
    argc("bytes", a, 1);
    const b = parseBytes(str(a[0]));
    if (b === undefined) throw new TemplateExecError(`invalid bytes ${str(a[0])}`);
    return b;
  },
  unixEpoch: (a) => (argc("unixEpoch", a, 1), Number(time(a[0]) / 1_000_000_000n)),
  unixEpochMillis: (a) => (argc("unixEpochMillis", a, 1), Number(time(a[0]) / 1_000_000n)),
  unixEpochNanos: (a) => (argc("unixEpochNanos", a, 1), Number(time(a[0]))),
  unixToTime: (a) => {
    argc("unixToTime", a, 1);
    const s = str(a[0]);
    if (!/^\d+$/.test(s)) throw new TemplateExecError(`unixToTime: ${s} is not a number`);
    const n = BigInt(s);
    return new TimeValue(s.length <= 10 ? n * 1_000_000_000n : s.length <= 13 ? n * 1_000_000n : s.length <= 16 ? n * 1000n : n);
  },
  toDate: (a) => (argc("toDate", a, 2), new TimeValue(parseGoLayout(str(a[0]), str(a[1])))),
  toDateInZone: (a) => (argc("toDateInZone", a, 3), new TimeValue(parseGoLayout(str(a[0]), str(a[2])))),
  date: (a) => (argc("date", a, 2), formatGoLayout(time(a[1]), str(a[0]))),
  now: () => new TimeValue(BigInt(Date.now()) * 1_000_000n),
  b64enc: (a) => (argc("b64enc", a, 1), Buffer.from(str(a[0])).toString("base64")),
  b64dec: (a) => (argc("b64dec", a, 1), Buffer.from(str(a[0]), "base64").toString("utf8")),
  urlencode: (a) => (argc("urlencode", a, 1), encodeURIComponent(str(a[0]))),
  urldecode: (a) => {
    argc("urldecode", a, 1);
    try {
      return decodeURIComponent(str(a[0]));
    } catch {
      throw new TemplateExecError("urldecode: invalid escape");
    }
  },
};

function truthyValue(v: TemplateValue): boolean {
  return !(v === undefined || v === null || v === "" || v === 0 || v === false);
}

function goDuration(s: string): number {
  const v = parseGoDurationSeconds(s);
  if (v === undefined) throw new TemplateExecError(`invalid duration ${s}`);
  return v;
}

export function isTemplateFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name);
}

export function callTemplateFunction(name: string, args: TemplateValue[], data: TemplateData): TemplateValue {
  const f = FUNCTIONS[name];
  if (f === undefined) throw new TemplateExecError(`function "${name}" not defined`);
  return f(args, data);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Formats a UTC time with a Go reference layout (2006-01-02T15:04:05.000Z07:00 ...). */
export function formatGoLayout(ns: bigint, layout: string): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, "0");
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const h = d.getUTCHours();
  const tokens: [string, () => string][] = [
    ["2006", () => String(d.getUTCFullYear())],
    [
      "January",
      () =>
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"][d.getUTCMonth()] as string,
    ],
    ["Monday", () => ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][d.getUTCDay()] as string],
    ["Jan", () => MONTHS[d.getUTCMonth()] as string],
    ["Mon", () => DAYS[d.getUTCDay()] as string],
    ["MST", () => "UTC"],
    ["Z07:00", () => "Z"],
    ["-07:00", () => "+00:00"],
    ["-0700", () => "+0000"],
    [".000000000", () => "." + frac],
    [".999999999", () => (frac.replace(/0+$/, "") === "" ? "" : "." + frac.replace(/0+$/, ""))],
    [".000000", () => "." + frac.slice(0, 6)],
    [".000", () => "." + frac.slice(0, 3)],
    ["01", () => p2(d.getUTCMonth() + 1)],
    ["02", () => p2(d.getUTCDate())],
    ["06", () => p2(d.getUTCFullYear() % 100)],
    ["15", () => p2(h)],
    ["03", () => p2(h % 12 === 0 ? 12 : h % 12)],
    ["04", () => p2(d.getUTCMinutes())],
    ["05", () => p2(d.getUTCSeconds())],
    ["PM", () => (h >= 12 ? "PM" : "AM")],
  ];
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, f] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += f();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}

/** Parses a value with a Go layout; supports RFC 3339-like layouts and "2006-01-02" forms. */
export function parseGoLayout(layout: string, value: string): bigint {
  const direct = parseRfc3339Ns(value);
  if (direct !== undefined) return direct;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim());
  if (m !== null) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n;
  }
  throw new TemplateExecError(`toDate: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout)}`);
}

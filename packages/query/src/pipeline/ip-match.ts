// IP address matching for ip("...") filters: single addresses, CIDR prefixes and ranges, IPv4 and IPv6.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";

/** Parses an IPv4 or IPv6 address to a bigint and its family, or undefined. */
export function parseIp(text: string): { v: bigint; bits: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    let v = 0n;
    for (const p of text.split(".")) {
      const n = Number(p);
      if (n > 255 || (p.length > 1 && p.startsWith("0"))) return undefined;
      v = (v << 8n) | BigInt(n);
    }
    return { v, bits: 32 };
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  const v4 = /:(\d{1,3}(\.\d{1,3}){3})$/.exec(text);
  if (v4 !== null) {
    const p = parseIp(v4[1] as string);
    if (p === undefined) return undefined;
    return parseIp(`${text.slice(0, v4.index + 1)}${(p.v >> 16n).toString(16)}:${(p.v & 0xffffn).toString(16)}`);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string): bigint[] | undefined => {
    if (h === "") return [];
    const out: bigint[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  let groups: bigint[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<bigint>(fill).fill(0n), ...rest];
  } else groups = head;
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | g;
  return { v, bits: 128 };
}

/** A compiled ip("...") argument: `a.b.c.d`, `a.b.c.d/n`, `a.b.c.d-e.f.g.h` (and IPv6 forms). */
export class IpMatcher {
  readonly #lo: bigint;
  readonly #hi: bigint;
  readonly #bits: 32 | 128;

  constructor(spec: string, where = "ip()") {
    const bad = (): never => {
      throw new MeshlogError(QueryErrors.QUERY_INVALID, `${where}: ${JSON.stringify(spec)} is not an IP address, CIDR or range`);
    };
    const t = spec.trim();
    if (t.includes("/")) {
      const [addr = "", len = ""] = t.split("/");
      const ip = parseIp(addr) ?? bad();
      const n = /^\d{1,3}$/.test(len) ? Number(len) : -1;
      if (n < 0 || n > ip.bits) bad();
      const hostBits = BigInt(ip.bits - n);
      this.#lo = (ip.v >> hostBits) << hostBits;
      this.#hi = this.#lo + (1n << hostBits) - 1n;
      this.#bits = ip.bits;
    } else if (t.includes("-")) {
      const [a = "", b = ""] = t.split("-");
      const x = parseIp(a.trim()) ?? bad();
      const y = parseIp(b.trim()) ?? bad();
      if (x.bits !== y.bits || x.v > y.v) bad();
      this.#lo = x.v;
      this.#hi = y.v;
      this.#bits = x.bits;
    } else {
      const ip = parseIp(t) ?? bad();
      this.#lo = ip.v;
      this.#hi = ip.v;
      this.#bits = ip.bits;
    }
  }

  /** True when `text` is an address inside the range. */
  matches(text: string): boolean {
    const ip = parseIp(text);
    return ip !== undefined && ip.bits === this.#bits && ip.v >= this.#lo && ip.v <= this.#hi;
  }

  /** True when any address-looking token of a line is inside the range. */
  matchesLine(line: string): boolean {
    const re = this.#bits === 32 ? /\d{1,3}(?:\.\d{1,3}){3}/g : /[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:\.\d{1,3}){0,3}/g;
    for (const m of line.matchAll(re)) if (this.matches(m[0])) return true;
    return false;
  }
}

// Shared HTTP helpers of the query/tail/labels commands: address, token, tenant, GET with Loki errors.

import { flag, type ParsedArgs } from "../args.js";
import type { CliIo } from "../command.js";

export const QUERY_CONNECTION_FLAGS = ["addr", "token", "org-id"] as const;

export interface Connection {
  readonly addr: string;
  readonly headers: Record<string, string>;
}

/** --addr (MESHLOG_ADDR, default http://127.0.0.1:3100), --token (MESHLOG_TOKEN), --org-id (X-Scope-OrgID). */
export function connectionOf(p: ParsedArgs, io: CliIo): Connection {
  const addr = (flag(p, "addr") ?? io.env.MESHLOG_ADDR ?? "http://127.0.0.1:3100").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(addr)) throw new Error(`--addr must be an http:// or https:// URL, got ${JSON.stringify(addr)}`);
  const token = flag(p, "token") ?? io.env.MESHLOG_TOKEN;
  if (token === undefined || token === "") throw new Error("no token: pass --token or set MESHLOG_TOKEN");
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const org = flag(p, "org-id");
  if (org !== undefined) headers["x-scope-orgid"] = org;
  return { addr, headers };
}

/** GETs a path with query parameters; throws with the server's message on non-2xx. */
export async function getJson(c: Connection, path: string, params: Record<string, string | undefined>): Promise<unknown> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, v);
  const url = `${c.addr}${path}?${qs.toString()}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: c.headers });
  } catch (err) {
    throw new Error(`cannot reach ${c.addr}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.trim();
    try {
      const j = JSON.parse(text) as { error?: string };
      if (typeof j.error === "string") msg = j.error;
    } catch {
      // plain-text error body (Loki style)
    }
    throw new Error(`${res.status}: ${msg}`);
  }
  return JSON.parse(text) as unknown;
}

/** Formats a label set as Loki prints it: {a="1", b="2"}. */
export function fmtLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(", ")}}`;
}

/** RFC 3339 with nanoseconds from a ns string. */
export function fmtNs(ns: string): string {
  const n = BigInt(ns);
  const iso = new Date(Number(n / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${(n % 1_000_000_000n).toString().padStart(9, "0")}Z`;
}

// Reads Loki query parameters (query string or form body) with Loki's defaults and precise errors.

import type { FastifyRequest } from "fastify";
import { MeshlogError, type Clock } from "@meshlog/core";
import { parseStepParam, parseTimeParam, QueryErrors } from "@meshlog/query";

const NS = 1_000_000_000n;

/** Query-string and form parameters merged (repeated keys become arrays). */
export type Params = Readonly<Record<string, string | string[] | undefined>>;

export function paramsOf(request: FastifyRequest): Params {
  const q = (request.query ?? {}) as Record<string, string | string[]>;
  const b = request.body;
  if (b !== null && typeof b === "object" && !Buffer.isBuffer(b)) return { ...q, ...(b as Record<string, string | string[]>) };
  return q;
}

/** Parses an application/x-www-form-urlencoded body into a params object. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function str(p: Params, name: string): string | undefined {
  const v = p[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === undefined || s === "" ? undefined : s;
}

export function list(p: Params, name: string): string[] {
  const v = p[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function requireQuery(p: Params): string {
  const q = str(p, "query");
  if (q === undefined) throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "query parameter is required: pass query=<LogQL>");
  return q;
}

export function intParam(p: Params, name: string, dflt: number): number {
  const s = str(p, name);
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s.trim()))
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid ${name}: ${JSON.stringify(s.slice(0, 32))} is not a non-negative integer`);
  return Number(s);
}

export function directionParam(p: Params): "forward" | "backward" {
  const d = (str(p, "direction") ?? "backward").toLowerCase();
  if (d !== "forward" && d !== "backward")
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid direction: ${JSON.stringify(d.slice(0, 32))} (use forward or backward)`);
  return d;
}

/** start/end/since with Loki's defaults: end = now, start = end - since (default `defaultSince`). */
export function rangeParams(p: Params, clock: Clock, defaultSinceNs: bigint): { start: bigint; end: bigint } {
  const endText = str(p, "end");
  const end = endText !== undefined ? parseTimeParam(endText, "end") : clock.nowNs();
  const sinceText = str(p, "since");
  const since = sinceText !== undefined ? parseStepParam(sinceText, "since") : defaultSinceNs;
  const startText = str(p, "start");
  const start = startText !== undefined ? parseTimeParam(startText, "start") : end - since;
  if (end < start) throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "invalid start and end: end timestamp must not be before start time");
  return { start, end };
}

/** step for range queries: duration or float seconds; default as Loki: max(1s, range/250). */
export function stepParam(p: Params, start: bigint, end: bigint): bigint {
  const s = str(p, "step");
  if (s === undefined) {
    const d = (end - start) / 250n;
    return d < NS ? NS : (d / NS) * NS;
  }
  const step = parseStepParam(s, "step");
  if (step <= 0n)
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, "zero or negative query resolution step widths are not accepted. Try a positive integer");
  return step;
}

export const HOUR_NS = 3600n * NS;

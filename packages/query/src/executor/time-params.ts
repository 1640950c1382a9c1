// Parses time and step parameters in every form Loki accepts (ns, float seconds, RFC 3339, durations).

import { MeshlogError, parseDurationNs, parseRfc3339Ns } from "@meshlog/core";
import { QueryErrors } from "../errors.js";

/**
 * A point in time: integer nanoseconds (or seconds/milliseconds by digit count, as Loki guesses),
 * float seconds, or RFC 3339. `name` is used in the error message.
 */
export function parseTimeParam(text: string, name: string): bigint {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const n = BigInt(t);
    if (t.replace("-", "").length <= 10) return n * 1_000_000_000n;
    if (t.replace("-", "").length <= 13) return n * 1_000_000n;
    if (t.replace("-", "").length <= 16) return n * 1000n;
    return n;
  }
  if (/^\d+\.\d*$/.test(t)) {
    const [sec = "0", frac = ""] = t.split(".");
    return BigInt(sec) * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, "0"));
  }
  const ns = parseRfc3339Ns(t);
  if (ns !== undefined) return ns;
  throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid ${name}: cannot parse ${JSON.stringify(text.slice(0, 64))} to a valid timestamp`);
}

/** A step or duration: Prometheus duration (`15s`, `1m30s`, `500ms`) or float seconds (`15`, `0.5`). */
export function parseStepParam(text: string, name: string): bigint {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const [sec = "0", frac = ""] = t.split(".");
    return BigInt(sec) * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, "0"));
  }
  try {
    return parseDurationNs(t, name);
  } catch {
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid ${name}: cannot parse ${JSON.stringify(text.slice(0, 64))} to a valid duration`);
  }
}

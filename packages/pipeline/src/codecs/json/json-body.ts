// JSON log lines: flattened into dotted attribute keys, with level/time/trace ids picked up.

import type { ParsedBody } from "../body-format.js";
import { applyWellKnownFields } from "../structured-fields.js";
import { safeKey } from "../safe-key.js";

/** Bounds on flattening one JSON object into attributes. */
export interface JsonFlattenLimits {
  /** Objects nested deeper than this are kept as one JSON-text field when small, else skipped. */
  readonly maxDepth: number;
  /** At most this many fields are taken (the rest are ignored). */
  readonly maxFields: number;
}

export const DEFAULT_JSON_LIMITS: JsonFlattenLimits = { maxDepth: 4, maxFields: 128 };

/** Parses a JSON object text; undefined when the text is not a JSON object. Never throws. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const t = line.trimStart();
  if (t.charCodeAt(0) !== 123) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Flattens an object into `a.b.c` string fields: numbers and booleans as text, null skipped, arrays of
 * scalars as JSON text, deeper structures cut at `maxDepth`. Iterative, so hostile nesting cannot
 * overflow the stack.
 */
export function flattenJson(obj: Record<string, unknown>, limits: JsonFlattenLimits = DEFAULT_JSON_LIMITS): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  const stack: { prefix: string; value: Record<string, unknown>; depth: number }[] = [{ prefix: "", value: obj, depth: 1 }];
  while (stack.length > 0 && count < limits.maxFields) {
    const { prefix, value, depth } = stack.pop() as (typeof stack)[number];
    for (const key of Object.keys(value)) {
      if (count >= limits.maxFields) break;
      const v = value[key];
      const name = prefix === "" ? safeKey(key) : `${prefix}.${key}`;
      if (v === null || v === undefined) continue;
      if (typeof v === "string") out[name] = v;
      else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") out[name] = String(v);
      else if (Array.isArray(v)) {
        const scalars = v.length <= 64 && v.every((x) => x === null || typeof x !== "object");
        if (!scalars) continue;
        out[name] = JSON.stringify(v);
      } else if (typeof v === "object") {
        if (depth < limits.maxDepth) stack.push({ prefix: name, value: v as Record<string, unknown>, depth: depth + 1 });
        continue;
      } else continue;
      count++;
    }
  }
  return out;
}

/** Parses a generic JSON log line; undefined when it is not a JSON object. */
export function parseJsonBody(line: string): ParsedBody | undefined {
  const obj = parseJsonObject(line);
  return obj === undefined ? undefined : jsonObjectToBody(obj);
}

/** Builds the parsed body of an already-parsed generic JSON object. */
export function jsonObjectToBody(obj: Record<string, unknown>, limits?: JsonFlattenLimits): ParsedBody {
  return applyWellKnownFields({ format: "json", fields: flattenJson(obj, limits) });
}

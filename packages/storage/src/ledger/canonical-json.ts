// Canonical JSON (sorted keys, no whitespace, bigint as decimal string): the byte form that gets hashed.

import { MeshlogError } from "@meshlog/core";
import { LedgerErrors } from "./errors.js";

/** Nesting deeper than this is refused (hostile input must not exhaust the stack). */
export const CANONICAL_JSON_MAX_DEPTH = 64;

function fail(path: string, what: string): never {
  throw new MeshlogError(LedgerErrors.LEDGER_CANONICAL_JSON, `Cannot encode ${path} as canonical JSON: ${what}`);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string, depth: number, seen: Set<object>, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `non-finite number ${String(value)}`);
      out.push(JSON.stringify(value));
      return;
    case "bigint":
      out.push(`"${value.toString(10)}"`);
      return;
    case "object":
      break;
    default:
      fail(path, `unsupported type ${typeof value}`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (depth >= CANONICAL_JSON_MAX_DEPTH) fail(path, `nesting deeper than ${CANONICAL_JSON_MAX_DEPTH}`);
  if (seen.has(value)) fail(path, "cyclic reference");
  seen.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      const item: unknown = value[i];
      if (item === undefined) fail(`${path}[${i}]`, "undefined array element");
      encode(item, `${path}[${i}]`, depth + 1, seen, out);
    }
    out.push("]");
  } else {
    if (!isPlainObject(value)) fail(path, `not a plain object (${value.constructor?.name ?? "unknown"})`);
    const obj = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 requires.
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    out.push("{");
    keys.forEach((k, i) => {
      if (i > 0) out.push(",");
      out.push(JSON.stringify(k), ":");
      encode(obj[k], `${path}.${k}`, depth + 1, seen, out);
    });
    out.push("}");
  }
  seen.delete(value);
}

/**
 * Canonical JSON text of `value`: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers as JSON.stringify writes them (which matches RFC 8785 for the values used here), bigint as a
 * quoted decimal string, object properties whose value is undefined omitted.
 * Throws LEDGER_CANONICAL_JSON for cycles, undefined array elements, non-finite numbers, functions,
 * symbols, non-plain objects (Date, Map, Buffer...) and nesting deeper than CANONICAL_JSON_MAX_DEPTH.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, "$", 0, new Set(), out);
  return out.join("");
}

/** UTF-8 bytes of `canonicalJson(value)`. */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}

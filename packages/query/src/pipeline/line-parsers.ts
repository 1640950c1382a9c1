// Line parsers of the pipeline: json (with field expressions), logfmt, pattern, regexp and unpack.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { ExtractParam } from "../language/ast.js";
import { SafeRegex } from "../regex/safe-regex.js";
import { PipelineErrors, sanitizeLabelName, type LabelsBuilder } from "./labels-builder.js";

export type LineParser = (line: string, lb: LabelsBuilder) => string | undefined;

const scalarText = (v: unknown): string | undefined => {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
};

function flattenJson(obj: Record<string, unknown>, prefix: string, lb: LabelsBuilder, depth: number): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const name = prefix === "" ? sanitizeLabelName(k) : `${prefix}_${sanitizeLabelName(k)}`;
    if (v !== null && typeof v === "object") {
      if (!Array.isArray(v) && depth < 32) flattenJson(v as Record<string, unknown>, name, lb, depth + 1);
      continue;
    }
    const t = scalarText(v);
    if (t !== undefined && t !== "") lb.setParsed(name, t);
  }
}

/** Splits a json field expression (`a.b[0]`, `["x y"].z`) into path steps. */
export function parseJsonPath(expr: string, where = "json"): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  const fail = (): never => {
    throw new MeshlogError(QueryErrors.QUERY_INVALID, `${where}: invalid field expression ${JSON.stringify(expr)}`);
  };
  while (i < expr.length) {
    const c = expr[i];
    if (c === ".") {
      if (i === 0) fail();
      i++;
      continue;
    }
    if (c === "[") {
      const end = expr.indexOf("]", i);
      if (end < 0) fail();
      const inner = expr.slice(i + 1, end).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) out.push(JSON.parse(inner) as string);
      else fail();
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < expr.length && expr[j] !== "." && expr[j] !== "[") j++;
    out.push(expr.slice(i, j));
    i = j;
  }
  if (out.length === 0) fail();
  return out;
}

export function jsonParser(params: readonly ExtractParam[]): LineParser {
  const paths = params.map((p) => ({ label: p.label, path: parseJsonPath(p.expr) }));
  return (line, lb) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      lb.setError(PipelineErrors.json, (err as Error).message);
      return undefined;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      if (paths.length === 0) lb.setError(PipelineErrors.json, "the line is not a JSON object");
      return undefined;
    }
    if (paths.length === 0) {
      flattenJson(v as Record<string, unknown>, "", lb, 0);
      return undefined;
    }
    for (const { label, path } of paths) {
      let cur: unknown = v;
      for (const step of path) {
        if (cur === null || typeof cur !== "object") {
          cur = undefined;
          break;
        }
        cur = (cur as Record<string | number, unknown>)[step];
      }
      if (cur === undefined) continue;
      const t = scalarText(cur) ?? JSON.stringify(cur);
      lb.setParsed(label, t);
    }
    return undefined;
  };
}

/** Parses logfmt pairs; returns undefined on malformed input in strict mode (after setting the error). */
export function logfmtParser(strict: boolean, keepEmpty: boolean, params: readonly ExtractParam[]): LineParser {
  const wanted = params.length > 0 ? new Map(params.map((p) => [p.expr, p.label])) : undefined;
  return (line, lb) => {
    let i = 0;
    const n = line.length;
    while (i < n) {
      while (i < n && line.charCodeAt(i) <= 32) i++;
      if (i >= n) break;
      const ks = i;
      while (i < n && line[i] !== "=" && line.charCodeAt(i) > 32 && line[i] !== '"') i++;
      const key = line.slice(ks, i);
      if (key === "") {
        if (strict) {
          lb.setError(PipelineErrors.logfmt, `logfmt syntax error at pos ${i + 1} : unexpected '${line[i] ?? ""}'`);
          return undefined;
        }
        i++;
        continue;
      }
      let value = "";
      let hasEq = false;
      if (line[i] === "=") {
        hasEq = true;
        i++;
        if (line[i] === '"') {
          i++;
          let s = "";
          let closed = false;
          while (i < n) {
            const c = line[i] as string;
            if (c === "\\" && i + 1 < n) {
              const e = line[i + 1] as string;
              s += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
              i += 2;
              continue;
            }
            if (c === '"') {
              closed = true;
              i++;
              break;
            }
            s += c;
            i++;
          }
          if (!closed && strict) {
            lb.setError(PipelineErrors.logfmt, `logfmt syntax error at pos ${i + 1} : unterminated quoted value`);
            return undefined;
          }
          value = s;
        } else {
          const vs = i;
          while (i < n && line.charCodeAt(i) > 32) i++;
          value = line.slice(vs, i);
          if (strict && value.includes('"')) {
            lb.setError(PipelineErrors.logfmt, `logfmt syntax error at pos ${vs + 1} : unexpected '"'`);
            return undefined;
          }
        }
      } else if (strict && line[i] === '"') {
        lb.setError(PipelineErrors.logfmt, `logfmt syntax error at pos ${i + 1} : unexpected '"'`);
        return undefined;
      }
      if (value === "" && !keepEmpty) continue;
      if (!hasEq && !keepEmpty) continue;
      if (wanted !== undefined) {
        const label = wanted.get(key);
        if (label !== undefined) lb.setParsed(label, value);
      } else lb.setParsed(sanitizeLabelName(key), value);
    }
    return undefined;
  };
}

type PatternPart = { kind: "lit"; text: string } | { kind: "cap"; name: string };

/** Compiles a pattern (`<ip> - <_> [<ts>] "<method> <path>"`); needs `minCaptures` named captures. */
export function compilePattern(pattern: string, minCaptures: number, where = "pattern"): PatternPart[] {
  const parts: PatternPart[] = [];
  const re = /<(_|[a-zA-Z_][a-zA-Z0-9_]*)>/g;
  let last = 0;
  const names = new Set<string>();
  for (const m of pattern.matchAll(re)) {
    if (m.index > last) parts.push({ kind: "lit", text: pattern.slice(last, m.index) });
    const name = m[1] as string;
    if (parts.length > 0 && parts[parts.length - 1]?.kind === "cap") {
      throw new MeshlogError(
        QueryErrors.QUERY_INVALID,
        `${where}: ${JSON.stringify(pattern)} has consecutive captures at position ${m.index}; put a literal between them`,
      );
    }
    if (name !== "_" && names.has(name))
      throw new MeshlogError(QueryErrors.QUERY_INVALID, `${where}: duplicate capture <${name}> in ${JSON.stringify(pattern)}`);
    if (name !== "_") names.add(name);
    parts.push({ kind: "cap", name });
    last = m.index + m[0].length;
  }
  if (last < pattern.length) parts.push({ kind: "lit", text: pattern.slice(last) });
  if (names.size < minCaptures)
    throw new MeshlogError(QueryErrors.QUERY_INVALID, `${where}: ${JSON.stringify(pattern)} needs at least ${minCaptures} named capture like <name>`);
  if (parts.length === 0) throw new MeshlogError(QueryErrors.QUERY_INVALID, `${where}: the pattern is empty`);
  return parts;
}

/** Matches a compiled pattern against a line; returns captures, or undefined when it does not match. */
export function matchPattern(parts: readonly PatternPart[], line: string): [string, string][] | undefined {
  const caps: [string, string][] = [];
  let pos = 0;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k] as PatternPart;
    if (p.kind === "lit") {
      if (!line.startsWith(p.text, pos)) return undefined;
      pos += p.text.length;
      continue;
    }
    const next = parts[k + 1];
    let end: number;
    if (next === undefined) end = line.length;
    else {
      end = line.indexOf((next as { text: string }).text, pos);
      if (end < 0) return undefined;
    }
    if (p.name !== "_") caps.push([p.name, line.slice(pos, end)]);
    pos = end;
  }
  return caps;
}

export function patternParser(pattern: string): LineParser {
  const parts = compilePattern(pattern, 1);
  return (line, lb) => {
    const caps = matchPattern(parts, line);
    if (caps !== undefined) for (const [k, v] of caps) lb.setParsed(k, v);
    return undefined;
  };
}

export function regexpParser(pattern: string): LineParser {
  const re = SafeRegex.compile(pattern, { where: "regexp" });
  const names = re.groupNames();
  if (names.length === 0) throw new MeshlogError(QueryErrors.QUERY_INVALID, `regexp: ${JSON.stringify(pattern)} has no named capture group like (?P<name>...)`);
  for (const n of names)
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n))
      throw new MeshlogError(QueryErrors.QUERY_INVALID, `regexp: capture name ${JSON.stringify(n)} is not a valid label name`);
  return (line, lb) => {
    const g = re.namedGroups(line);
    if (g !== undefined) for (const [k, v] of Object.entries(g)) if (v !== "") lb.setParsed(k, v);
    return undefined;
  };
}

/** unpack: a JSON object of strings becomes labels; `_entry` becomes the new line. */
export const unpackParser: LineParser = (line, lb) => {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    lb.setError(PipelineErrors.json, (err as Error).message);
    return undefined;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    lb.setError(PipelineErrors.json, "the line is not a JSON object");
    return undefined;
  }
  let entry: string | undefined;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== "string") continue;
    if (k === "_entry") entry = val;
    else if (val !== "") lb.setParsed(sanitizeLabelName(k), val);
  }
  return entry;
};

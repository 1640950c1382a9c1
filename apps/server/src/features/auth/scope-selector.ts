// Strict parser for token/principal scopes: a LogQL stream selector such as {namespace="team-a", app=~"api|web"}.

import { MeshlogError } from "@meshlog/core";
import { SecurityErrors } from "./errors.js";

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface ScopeMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** Longest scope accepted, in characters. */
export const MAX_SCOPE_LENGTH = 4096;

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;

const fail = (text: string, pos: number, what: string): never => {
  throw new MeshlogError(
    SecurityErrors.SECURITY_SCOPE_INVALID,
    `scope: ${what} at position ${pos} of ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + "…" : text)}`,
  );
};

/**
 * Parses a stream selector. Accepts `{}`-wrapped, comma-separated matchers `name OP "value"` (double-quoted
 * with Go escapes, or backtick raw strings); at least one matcher; regexes must compile. Throws
 * SECURITY_SCOPE_INVALID naming the position on anything else (no pipelines, no trailing text).
 */
export function parseScopeSelector(text: string): ScopeMatcher[] {
  if (typeof text !== "string") fail(String(text), 0, "must be a string");
  if (text.length > MAX_SCOPE_LENGTH) fail(text, MAX_SCOPE_LENGTH, `longer than ${MAX_SCOPE_LENGTH} characters`);
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  ws();
  if (text[i] !== "{") fail(text, i, 'expected "{"');
  i++;
  const out: ScopeMatcher[] = [];
  ws();
  while (text[i] !== "}") {
    if (out.length > 0) {
      if (text[i] !== ",") fail(text, i, 'expected "," or "}"');
      i++;
      ws();
    }
    const start = i;
    if (i >= text.length || !NAME_START.test(text[i] as string)) fail(text, i, "expected a label name");
    while (i < text.length && NAME_CHAR.test(text[i] as string)) i++;
    const name = text.slice(start, i);
    ws();
    let op: MatchOp;
    if (text.startsWith("=~", i)) op = "=~";
    else if (text.startsWith("!~", i)) op = "!~";
    else if (text.startsWith("!=", i)) op = "!=";
    else if (text[i] === "=") op = "=";
    else return fail(text, i, `expected =, !=, =~ or !~ after ${name}`);
    i += op.length;
    ws();
    const value = readString();
    if (op === "=~" || op === "!~") {
      try {
        new RegExp(`^(?:${value})$`);
      } catch (err) {
        fail(text, start, `regex of ${name} does not compile (${(err as Error).message})`);
      }
    }
    out.push({ name, op, value });
    ws();
    if (i >= text.length) fail(text, i, 'unterminated selector, expected "}"');
  }
  i++;
  ws();
  if (i !== text.length) fail(text, i, "unexpected text after the selector (a scope is a stream selector only)");
  if (out.length === 0) fail(text, 0, "a scope needs at least one matcher");
  if (!out.some((m) => !emptyMatches(m))) fail(text, 0, "a scope needs at least one matcher that does not match the empty value");
  return out;

  function readString(): string {
    const q = text[i];
    if (q === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) fail(text, i, "unterminated raw string");
      const v = text.slice(i + 1, end);
      i = end + 1;
      return v;
    }
    if (q !== '"') return fail(text, i, "expected a quoted value");
    let v = "";
    i++;
    for (;;) {
      if (i >= text.length) fail(text, i, "unterminated string");
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return v;
      }
      if (c === "\n") fail(text, i, "newline inside a string");
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", "'": "'" };
        if (e !== undefined && simple[e] !== undefined) {
          v += simple[e];
          i += 2;
          continue;
        }
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          v += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        fail(text, i, "invalid escape sequence");
      }
      v += c;
      i++;
    }
  }
}

function emptyMatches(m: ScopeMatcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return new RegExp(`^(?:${m.value})$`).test("");
    case "!~":
      return !new RegExp(`^(?:${m.value})$`).test("");
  }
}

/** Canonical text of matchers: `{name="v", other=~"re"}` (values JSON-quoted). */
export function formatScope(matchers: readonly ScopeMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}

/** Validates and canonicalizes a scope. */
export function normalizeScope(text: string): string {
  return formatScope(parseScopeSelector(text));
}

/**
 * Intersection of two scopes (either may be absent = unrestricted). Selectors are conjunctions of matchers,
 * so the intersection is the selector holding the matchers of both.
 */
export function intersectScopes(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || a === "") return b === undefined || b === "" ? undefined : normalizeScope(b);
  if (b === undefined || b === "") return normalizeScope(a);
  const seen = new Set<string>();
  const all = [...parseScopeSelector(a), ...parseScopeSelector(b)].filter((m) => {
    const k = `${m.name}\u0000${m.op}\u0000${m.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return formatScope(all);
}

/** True when every matcher of the scope accepts the labels (missing labels have the empty value). */
export function scopeMatches(matchers: readonly ScopeMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? "";
    switch (m.op) {
      case "=":
        return v === m.value;
      case "!=":
        return v !== m.value;
      case "=~":
        return new RegExp(`^(?:${m.value})$`).test(v);
      case "!~":
        return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

/** True when scope `inner` is at least as narrow as `outer` (every matcher of outer appears in inner). */
export function scopeWithin(inner: string | undefined, outer: string | undefined): boolean {
  if (outer === undefined || outer === "") return true;
  if (inner === undefined || inner === "") return false;
  const have = new Set(parseScopeSelector(inner).map((m) => `${m.name}\u0000${m.op}\u0000${m.value}`));
  return parseScopeSelector(outer).every((m) => have.has(`${m.name}\u0000${m.op}\u0000${m.value}`));
}

// Linear-time regular expressions with RE2 semantics for user-supplied LogQL patterns.
// Patterns run on re2js (an RE2 port: no backtracking, linear in the input). Two provably safe fast paths
// avoid its per-call cost: plain literals use indexOf, and quantifier-free patterns (where a backtracking
// engine is bounded by input length × pattern length) use the built-in RegExp.

import { MeshlogError } from "@meshlog/core";
import { RE2JS } from "re2js";
import { QueryErrors } from "../errors.js";

/** Longest pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 8192;

type Engine = { kind: "literal"; needle: string; fold: boolean; anchored: boolean } | { kind: "js"; re: RegExp } | { kind: "re2"; re: RE2JS };

const META = /[\\.+*?()|[\]{}^$]/;

/**
 * A compiled user regex. `anchored` patterns must match the whole input (label matchers, label filters,
 * label_replace); unanchored ones match anywhere (line filters, regexp parser).
 */
export class SafeRegex {
  readonly source: string;
  readonly #engine: Engine;
  readonly #re2: RE2JS;

  private constructor(source: string, engine: Engine, re2: RE2JS) {
    this.source = source;
    this.#engine = engine;
    this.#re2 = re2;
  }

  /** Compiles `pattern`; throws QUERY_REGEX_INVALID naming `where` when it is not valid RE2 syntax. */
  static compile(pattern: string, opts: { anchored?: boolean; where?: string } = {}): SafeRegex {
    const anchored = opts.anchored === true;
    const where = opts.where ?? "regex";
    if (pattern.length > MAX_REGEX_LENGTH) {
      throw new MeshlogError(
        QueryErrors.QUERY_REGEX_INVALID,
        `${where}: the regular expression is ${pattern.length} characters, the limit is ${MAX_REGEX_LENGTH}`,
      );
    }
    const full = anchored ? `^(?:${pattern})$` : pattern;
    let re2: RE2JS;
    try {
      re2 = RE2JS.compile(full);
    } catch (err) {
      const msg = (err as Error).message;
      throw new MeshlogError(
        QueryErrors.QUERY_REGEX_INVALID,
        `${where}: invalid regular expression ${JSON.stringify(pattern.length > 200 ? pattern.slice(0, 200) + "…" : pattern)}: ${msg}`,
      );
    }
    let body = pattern;
    let fold = false;
    if (body.startsWith("(?i)")) {
      fold = true;
      body = body.slice(4);
    }
    let engine: Engine = { kind: "re2", re: re2 };
    if (!META.test(body) && !/[(?]/.test(body)) {
      engine = { kind: "literal", needle: fold ? body.toLowerCase() : body, fold, anchored };
    } else if (isQuantifierFree(body)) {
      try {
        engine = { kind: "js", re: new RegExp(anchored ? `^(?:${body})$` : body, fold ? "iu" : "u") };
      } catch {
        engine = { kind: "re2", re: re2 };
      }
    }
    return new SafeRegex(pattern, engine, re2);
  }

  /** True when the pattern matches `s` (anywhere, or fully when anchored). */
  test(s: string): boolean {
    const e = this.#engine;
    switch (e.kind) {
      case "literal": {
        const h = e.fold ? s.toLowerCase() : s;
        return e.anchored ? h === e.needle : h.includes(e.needle);
      }
      case "js":
        return e.re.test(s);
      case "re2":
        return e.re.test(s);
    }
  }

  /** Named capture groups of the first match, or undefined when it does not match. */
  namedGroups(s: string): Record<string, string> | undefined {
    const m = this.#re2.matcher(s);
    if (!m.find()) return undefined;
    const out: Record<string, string> = {};
    for (const [name] of Object.entries(this.#re2.namedGroups())) out[name] = m.group(name) ?? "";
    return out;
  }

  /** Names of the named capture groups. */
  groupNames(): string[] {
    return Object.keys(this.#re2.namedGroups());
  }

  /** Groups of the match (0 = whole), or undefined. */
  exec(s: string): (string | null)[] | undefined {
    const m = this.#re2.matcher(s);
    if (!m.find()) return undefined;
    const out: (string | null)[] = [];
    for (let g = 0; g <= m.groupCount(); g++) out.push(m.group(g));
    return out;
  }

  /** Replaces every match with `repl`, where `$1`/`${name}` refer to groups (Go's ReplaceAllString). */
  replaceAll(s: string, repl: string): string {
    const js = repl.replace(/\$\{(\d+)\}/g, "$$$1").replace(/\$\{([a-zA-Z_]\w*)\}/g, "$$<$1>");
    return this.#re2.matcher(s).replaceAll(js);
  }
}

/**
 * True when a pattern has no quantifiers (`* + ? {`), no alternation inside groups, no lookaround or
 * inline flags and only syntax that means the same in RE2 and in JavaScript. For such patterns a
 * backtracking engine does at most input × pattern work.
 */
function isQuantifierFree(p: string): boolean {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    switch (c) {
      case "\\": {
        const e = p[i + 1];
        if (e === undefined || !/[dDwW.\\/\-^$|()[\]{}*+?tnr]/.test(e)) return false;
        i++;
        break;
      }
      case "[": {
        const end = p.indexOf("]", i + 2);
        if (end < 0) return false;
        const cls = p.slice(i + 1, end);
        if (cls.includes("[") || cls.includes("\\")) return false;
        i = end;
        break;
      }
      case "(":
        if (p[i + 1] === "?") return false;
        depth++;
        break;
      case ")":
        depth--;
        if (depth < 0) return false;
        break;
      case "|":
        if (depth > 0) return false;
        break;
      case "*":
      case "+":
      case "?":
      case "{":
      case "}":
      case "]":
        return false;
      default:
        break;
    }
  }
  return depth === 0;
}

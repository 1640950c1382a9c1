// Compiles label filter expressions (strings, regexes, numbers, durations, bytes, ip) into predicates.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { CompareOp, LabelFilterExpr, LabelFilterLeaf, Matcher, MatchOp } from "../language/ast.js";
import { SafeRegex } from "../regex/safe-regex.js";
import { IpMatcher } from "./ip-match.js";
import { PipelineErrors, type LabelsBuilder } from "./labels-builder.js";
import { parseBytes, parseGoDurationSeconds } from "./units.js";

export type LabelPredicate = (lb: LabelsBuilder) => boolean;

/** Compiles a string matcher on a value (regexes are anchored, as in Loki). */
export function compileValueMatcher(op: MatchOp, value: string, where: string): (v: string) => boolean {
  switch (op) {
    case "=":
      return (v) => v === value;
    case "!=":
      return (v) => v !== value;
    case "=~": {
      const re = SafeRegex.compile(value, { anchored: true, where });
      return (v) => re.test(v);
    }
    case "!~": {
      const re = SafeRegex.compile(value, { anchored: true, where });
      return (v) => !re.test(v);
    }
  }
}

/** Compiles stream matchers into a predicate over a label set (missing labels are ""). */
export function compileMatchers(ms: readonly Matcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  const fns = ms.map((m) => ({ name: m.name, f: compileValueMatcher(m.op, m.value, `matcher ${m.name}${m.op}${JSON.stringify(m.value)}`) }));
  return (labels) => {
    for (const { name, f } of fns) if (!f(labels[name] ?? "")) return false;
    return true;
  };
}

const cmp = (op: CompareOp, a: number, b: number): boolean => {
  switch (op) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
  }
};

export function compileLabelFilter(e: LabelFilterExpr): LabelPredicate {
  switch (e.kind) {
    case "and": {
      const l = compileLabelFilter(e.left);
      const r = compileLabelFilter(e.right);
      return (lb) => l(lb) && r(lb);
    }
    case "or": {
      const l = compileLabelFilter(e.left);
      const r = compileLabelFilter(e.right);
      return (lb) => l(lb) || r(lb);
    }
    case "string": {
      const f = compileValueMatcher(e.op, e.value, `label filter ${e.name}${e.op}${JSON.stringify(e.value)}`);
      const name = e.name;
      return (lb) => f(lb.get(name) ?? "");
    }
    case "ip": {
      const m = new IpMatcher(e.value, `label filter ${e.name}${e.op}ip(...)`);
      const name = e.name;
      const neg = e.op === "!=";
      return (lb) => m.matches(lb.get(name) ?? "") !== neg;
    }
    case "number":
    case "duration":
    case "bytes": {
      let target: number;
      let conv: (s: string) => number | undefined;
      if (e.kind === "number") {
        target = e.value;
        conv = (s) => {
          const n = Number(s);
          return s.trim() === "" || Number.isNaN(n) ? undefined : n;
        };
      } else if (e.kind === "duration") {
        const t = parseGoDurationSeconds(e.text);
        if (t === undefined) throw new MeshlogError(QueryErrors.QUERY_INVALID, `label filter ${e.name}: ${e.text} is not a duration`);
        target = t;
        conv = parseGoDurationSeconds;
      } else {
        const t = parseBytes(e.text);
        if (t === undefined) throw new MeshlogError(QueryErrors.QUERY_INVALID, `label filter ${e.name}: ${e.text} is not a byte size`);
        target = t;
        conv = parseBytes;
      }
      const { name, op } = e;
      return (lb) => {
        const raw = lb.get(name);
        if (raw === undefined || raw === "") return false;
        const v = conv(raw);
        if (v === undefined) {
          lb.setError(PipelineErrors.labelFilter, `cannot convert ${JSON.stringify(raw.slice(0, 64))} of label ${name}`);
          return true;
        }
        return cmp(op, v, target);
      };
    }
  }
}

/** Label names a filter reads. */
export function labelFilterNames(e: LabelFilterExpr, out = new Set<string>()): Set<string> {
  if (e.kind === "and" || e.kind === "or") {
    labelFilterNames(e.left, out);
    labelFilterNames(e.right, out);
  } else out.add((e as LabelFilterLeaf).name);
  return out;
}

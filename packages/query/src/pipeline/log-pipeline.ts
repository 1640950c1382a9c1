// Compiles a LogQL pipeline (line filters, parsers, label filters, formatters) into one function per entry.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import type { LineFilterOp, LineFilterValue, Stage } from "../language/ast.js";
import { SafeRegex } from "../regex/safe-regex.js";
import { GoTemplate, TemplateExecError } from "../template/go-template.js";
import { IpMatcher } from "./ip-match.js";
import { compileLabelFilter, compileValueMatcher } from "./label-filter.js";
import { PipelineErrors, type LabelsBuilder } from "./labels-builder.js";
import { compilePattern, jsonParser, logfmtParser, matchPattern, patternParser, regexpParser, unpackParser, type LineParser } from "./line-parsers.js";

/** One entry moving through the pipeline. Stages may replace `line` and change `labels`. */
export interface PipelineEntry {
  ts: bigint;
  line: string;
  readonly labels: LabelsBuilder;
}

type StageFn = (e: PipelineEntry) => boolean;

/** A compiled pipeline. */
export interface LogPipeline {
  /** Runs every stage; false when the entry is filtered out. */
  process(e: PipelineEntry): boolean;
  /** Only line filters: labels are never read or changed. */
  readonly lineOnly: boolean;
  /** Substrings every surviving raw line contains (for bloom pruning), case-insensitive use only. */
  readonly requiredSubstrings: readonly string[];
  /** Runs only the leading line filters (before any stage that reads labels or changes the line). */
  readonly prefilter: ((line: string) => boolean) | undefined;
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

function compileLineFilter(op: LineFilterOp, values: readonly LineFilterValue[]): (line: string) => boolean {
  const tests = values.map((v): ((l: string) => boolean) => {
    if (v.kind === "ip") {
      const m = new IpMatcher(v.value, `line filter ${op} ip(${JSON.stringify(v.value)})`);
      return (l) => m.matchesLine(l);
    }
    switch (op) {
      case "|=":
      case "!=": {
        const needle = v.value;
        return (l) => l.includes(needle);
      }
      case "|~":
      case "!~": {
        const re = SafeRegex.compile(v.value, { where: `line filter ${op} ${JSON.stringify(v.value)}` });
        return (l) => re.test(l);
      }
      case "|>":
      case "!>": {
        const parts = compilePattern(v.value, 0, `line filter ${op}`);
        return (l) => matchPattern(parts, l) !== undefined;
      }
    }
  });
  const negate = op === "!=" || op === "!~" || op === "!>";
  if (tests.length === 1) {
    const t = tests[0] as (l: string) => boolean;
    return negate ? (l) => !t(l) : t;
  }
  return negate ? (l) => !tests.some((t) => t(l)) : (l) => tests.some((t) => t(l));
}

/**
 * The text a regex line filter requires when the regex is a plain literal, optionally case-insensitive
 * (`(?i)` prefix), with `\.`, `\-`, `\/` and `\ ` escapes: `|~ "(?i)timeout"` keeps only lines that hold
 * "timeout" in some case, so the store may drop the others (its needles ignore ASCII case). Undefined for
 * any other regex, and for case-insensitive literals with `k` or `s`, which RE2 also folds to non-ASCII
 * letters (U+212A, U+017F) that an ASCII-case comparison would miss.
 */
export function regexLiteral(re: string): string | undefined {
  const insensitive = re.startsWith("(?i)");
  const body = insensitive ? re.slice(4) : re;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === "\\") {
      const next = body[i + 1];
      if (next === undefined || !".-/ ".includes(next)) return undefined;
      out += next;
      i++;
    } else if (".*+?()[]{}|^$".includes(c)) return undefined;
    else out += c;
  }
  if (insensitive && /[ksKS]/.test(out)) return undefined;
  return /^[\x20-\x7e]*$/.test(out) ? out : undefined;
}

/** Compiles stages; throws QUERY_* errors for invalid regexes, templates, patterns or IP ranges. */
export function compilePipeline(stages: readonly Stage[]): LogPipeline {
  const fns: StageFn[] = [];
  const required: string[] = [];
  const prefilters: ((l: string) => boolean)[] = [];
  let rawLine = true;
  let lineOnly = true;
  let leading = true;
  let canError = false;
  for (const s of stages) {
    // `drop __error__` before any stage that can set an error is a no-op (Grafana adds it to every volume query).
    if (s.kind === "drop" && !canError && s.items.every((i) => (i.name === "__error__" || i.name === "__error_details__") && i.op === undefined)) continue;
    if (s.kind !== "lineFilter" && s.kind !== "drop" && s.kind !== "keep" && s.kind !== "decolorize") canError = true;
    switch (s.kind) {
      case "lineFilter": {
        const f = compileLineFilter(s.op, s.values);
        fns.push((e) => f(e.line));
        if (rawLine && s.values.length === 1 && s.values[0]?.kind === "str") {
          const lit = s.op === "|=" ? s.values[0].value : s.op === "|~" ? regexLiteral(s.values[0].value) : undefined;
          if (lit !== undefined && lit !== "") required.push(lit);
        }
        if (leading) prefilters.push(f);
        continue;
      }
      case "json":
      case "logfmt":
      case "pattern":
      case "regexp":
      case "unpack": {
        const p: LineParser =
          s.kind === "json"
            ? jsonParser(s.params)
            : s.kind === "logfmt"
              ? logfmtParser(s.strict, s.keepEmpty, s.params)
              : s.kind === "pattern"
                ? patternParser(s.pattern)
                : s.kind === "regexp"
                  ? regexpParser(s.pattern)
                  : unpackParser;
        fns.push((e) => {
          const replaced = p(e.line, e.labels);
          if (replaced !== undefined) e.line = replaced;
          return true;
        });
        if (s.kind === "unpack") rawLine = false;
        break;
      }
      case "labelFilter": {
        const f = compileLabelFilter(s.expr);
        fns.push((e) => f(e.labels));
        break;
      }
      case "lineFormat": {
        const t = GoTemplate.parse(s.template, "line_format");
        fns.push((e) => {
          try {
            e.line = t.execute({ labels: e.labels.all(), line: e.line, timestampNs: e.ts });
          } catch (err) {
            if (!(err instanceof TemplateExecError)) throw err;
            e.labels.setError(PipelineErrors.template, err.message);
          }
          return true;
        });
        rawLine = false;
        break;
      }
      case "labelFormat": {
        const items = s.items.map((i) =>
          "src" in i ? { dst: i.dst, src: i.src, t: undefined } : { dst: i.dst, src: undefined, t: GoTemplate.parse(i.template, "label_format") },
        );
        const seen = new Set<string>();
        for (const i of items) {
          if (seen.has(i.dst)) throw new MeshlogError(QueryErrors.QUERY_INVALID, `label_format: label ${i.dst} is set more than once in the same stage`);
          seen.add(i.dst);
        }
        fns.push((e) => {
          const lb = e.labels;
          const snapshot = items.some((i) => i.t !== undefined) ? lb.all() : {};
          for (const i of items) {
            if (i.src !== undefined) {
              const v = lb.get(i.src) ?? "";
              if (i.src !== i.dst) lb.delete(i.src);
              lb.set(i.dst, v);
            } else if (i.t !== undefined) {
              try {
                lb.set(i.dst, i.t.execute({ labels: snapshot, line: e.line, timestampNs: e.ts }));
              } catch (err) {
                if (!(err instanceof TemplateExecError)) throw err;
                lb.setError(PipelineErrors.template, err.message);
              }
            }
          }
          return true;
        });
        break;
      }
      case "drop":
      case "keep": {
        const items = s.items.map((i) => ({
          name: i.name,
          f: i.op !== undefined ? compileValueMatcher(i.op, i.value ?? "", `${s.kind} ${i.name}`) : undefined,
        }));
        if (s.kind === "drop") {
          fns.push((e) => {
            for (const i of items) {
              const v = e.labels.get(i.name);
              if (v !== undefined && (i.f === undefined || i.f(v))) e.labels.delete(i.name);
            }
            return true;
          });
        } else {
          fns.push((e) => {
            const lb = e.labels;
            for (const name of lb.names()) {
              const keep = items.some((i) => i.name === name && (i.f === undefined || i.f(lb.get(name) ?? "")));
              if (!keep) lb.delete(name);
            }
            return true;
          });
        }
        break;
      }
      case "decolorize":
        fns.push((e) => {
          if (e.line.includes("\x1b")) e.line = e.line.replace(ANSI, "");
          return true;
        });
        rawLine = false;
        break;
    }
    lineOnly = false;
    leading = false;
  }
  const n = fns.length;
  return {
    process(e) {
      for (let i = 0; i < n; i++) if (!(fns[i] as StageFn)(e)) return false;
      return true;
    },
    lineOnly,
    requiredSubstrings: required,
    prefilter: prefilters.length === 0 ? undefined : prefilters.length === 1 ? prefilters[0] : (l) => prefilters.every((f) => f(l)),
  };
}

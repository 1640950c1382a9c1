// Canonical LogQL text for an AST: format(parse(q)) is canonical and parse(format(ast)) equals ast.

import type { Expr, Grouping, LabelFilterExpr, LineFilterValue, LogExpr, LogRange, Matcher, MetricExpr, Stage, VectorMatching } from "./ast.js";
import { binaryPrecedence } from "./parser.js";

/** Quotes a string as a LogQL double-quoted literal. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

const fmtNumber = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

export function formatMatchers(ms: readonly Matcher[]): string {
  return `{${ms.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(", ")}}`;
}

const fmtLineValue = (v: LineFilterValue): string => (v.kind === "ip" ? `ip(${quote(v.value)})` : quote(v.value));

export function formatLabelFilter(e: LabelFilterExpr): string {
  switch (e.kind) {
    case "and": {
      const l = e.left.kind === "or" ? `(${formatLabelFilter(e.left)})` : formatLabelFilter(e.left);
      const r = e.right.kind === "or" || e.right.kind === "and" ? `(${formatLabelFilter(e.right)})` : formatLabelFilter(e.right);
      return `${l} and ${r}`;
    }
    case "or": {
      const r = e.right.kind === "or" ? `(${formatLabelFilter(e.right)})` : formatLabelFilter(e.right);
      return `${formatLabelFilter(e.left)} or ${r}`;
    }
    case "string":
      return `${e.name}${e.op}${quote(e.value)}`;
    case "ip":
      return `${e.name}${e.op}ip(${quote(e.value)})`;
    case "number":
      return `${e.name}${e.op}${fmtNumber(e.value)}`;
    case "duration":
    case "bytes":
      return `${e.name}${e.op}${e.text}`;
  }
}

function formatStage(s: Stage): string {
  switch (s.kind) {
    case "lineFilter":
      return `${s.op} ${s.values.map(fmtLineValue).join(" or ")}`;
    case "json":
      return `| json${s.params.length > 0 ? " " + s.params.map((p) => (p.expr === p.label ? p.label : `${p.label}=${quote(p.expr)}`)).join(", ") : ""}`;
    case "logfmt": {
      const flags = `${s.strict ? " --strict" : ""}${s.keepEmpty ? " --keep-empty" : ""}`;
      return `| logfmt${flags}${s.params.length > 0 ? " " + s.params.map((p) => (p.expr === p.label ? p.label : `${p.label}=${quote(p.expr)}`)).join(", ") : ""}`;
    }
    case "pattern":
      return `| pattern ${quote(s.pattern)}`;
    case "regexp":
      return `| regexp ${quote(s.pattern)}`;
    case "unpack":
      return "| unpack";
    case "decolorize":
      return "| decolorize";
    case "labelFilter":
      return `| ${formatLabelFilter(s.expr)}`;
    case "lineFormat":
      return `| line_format ${quote(s.template)}`;
    case "labelFormat":
      return `| label_format ${s.items.map((i) => ("src" in i ? `${i.dst}=${i.src}` : `${i.dst}=${quote(i.template)}`)).join(", ")}`;
    case "drop":
    case "keep":
      return `| ${s.kind} ${s.items.map((i) => (i.op !== undefined ? `${i.name}${i.op}${quote(i.value ?? "")}` : i.name)).join(", ")}`;
  }
}

export function formatLogExpr(e: LogExpr): string {
  return [formatMatchers(e.matchers), ...e.stages.map(formatStage)].join(" ");
}

function formatLogRange(r: LogRange): string {
  let s = formatLogExpr(r.log);
  if (r.unwrap !== undefined) {
    const u = r.unwrap;
    s += ` | unwrap ${u.conv === "" ? u.label : `${u.conv}(${u.label})`}`;
    for (const p of u.post) s += ` | ${formatLabelFilter(p)}`;
  }
  s += `${r.log.stages.length > 0 || r.unwrap !== undefined ? " " : ""}[${r.range}]`;
  if (r.offset !== undefined) s += ` offset ${r.offset}`;
  return s;
}

const fmtGrouping = (g: Grouping): string => `${g.without ? "without" : "by"} (${g.labels.join(", ")})`;

function fmtMatching(m: VectorMatching): string {
  let s = ` ${m.on ? "on" : "ignoring"} (${m.labels.join(", ")})`;
  if (m.group !== undefined) s += ` group_${m.group.side} (${m.group.include.join(", ")})`;
  return s;
}

function formatMetric(e: MetricExpr): string {
  switch (e.kind) {
    case "number":
      return fmtNumber(e.value);
    case "vector":
      return `vector(${fmtNumber(e.value)})`;
    case "rangeAgg":
      return `${e.op}(${e.param !== undefined ? `${fmtNumber(e.param)}, ` : ""}${formatLogRange(e.range)})${e.grouping !== undefined ? ` ${fmtGrouping(e.grouping)}` : ""}`;
    case "vectorAgg":
      return `${e.op}${e.grouping !== undefined ? ` ${fmtGrouping(e.grouping)} ` : ""}(${e.param !== undefined ? `${fmtNumber(e.param)}, ` : ""}${formatMetric(e.inner)})`;
    case "labelReplace":
      return `label_replace(${formatMetric(e.inner)}, ${quote(e.dst)}, ${quote(e.replacement)}, ${quote(e.src)}, ${quote(e.regex)})`;
    case "binary": {
      const p = binaryPrecedence(e.op);
      const rightAssoc = e.op === "^";
      const side = (c: MetricExpr, isLeft: boolean): string => {
        const text = formatMetric(c);
        // Negative number literals bind like unary minus; parenthesize them as operands of ^ on the left.
        if (c.kind === "number" && (c.value < 0 || Object.is(c.value, -0)) && isLeft && rightAssoc) return `(${text})`;
        if (c.kind !== "binary") return text;
        const cp = binaryPrecedence(c.op);
        const needs = cp < p || (cp === p && (isLeft ? rightAssoc : !rightAssoc));
        return needs ? `(${text})` : text;
      };
      return `${side(e.left, true)} ${e.op}${e.bool ? " bool" : ""}${e.matching !== undefined ? fmtMatching(e.matching) : ""} ${side(e.right, false)}`;
    }
  }
}

/** Formats any LogQL expression canonically (single line). */
export function formatExpr(e: Expr): string {
  return e.kind === "log" ? formatLogExpr(e) : formatMetric(e);
}

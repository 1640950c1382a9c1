// A lightweight LogQL tokenizer for highlighting and for knowing what to complete at the cursor.

export type TokenKind = "label" | "string" | "op" | "fn" | "num" | "kw" | "punct" | "text";
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

const FUNCTIONS = new Set([
  "rate",
  "count_over_time",
  "bytes_over_time",
  "bytes_rate",
  "absent_over_time",
  "sum_over_time",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "quantile_over_time",
  "first_over_time",
  "last_over_time",
  "rate_counter",
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "sort",
  "sort_desc",
  "approx_topk",
  "label_replace",
  "vector",
]);
const STAGES = ["json", "logfmt", "pattern", "regexp", "unpack", "line_format", "label_format", "drop", "keep", "decolorize", "unwrap"];
const KEYWORDS = new Set([
  ...STAGES,
  "by",
  "without",
  "and",
  "or",
  "unless",
  "bool",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "duration",
  "bytes",
  "ip",
]);
const OPS = ["|=", "!=", "|~", "!~", "|>", "!>", "=~", "==", ">=", "<=", "=", ">", "<", "|", "+", "-", "*", "/", "%", "^"];

export function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (c === '"' || c === "`") {
      let j = i + 1;
      while (j < q.length && q[j] !== c) j += q[j] === "\\" && c === '"' ? 2 : 1;
      out.push({ kind: "string", text: q.slice(i, j + 1), start: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < q.length && /[A-Za-z0-9_.]/.test(q[j] as string)) j++;
      const word = q.slice(i, j);
      let k = j;
      while (q[k] === " ") k++;
      const kind: TokenKind = FUNCTIONS.has(word) && q[k] === "(" ? "fn" : KEYWORDS.has(word) ? "kw" : /^[=!~<>]/.test(q[k] ?? "") ? "label" : "text";
      out.push({ kind, text: word, start: i });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < q.length && /[0-9.a-zA-Z]/.test(q[j] as string)) j++;
      out.push({ kind: "num", text: q.slice(i, j), start: i });
      i = j;
      continue;
    }
    const op = OPS.find((o) => q.startsWith(o, i));
    if (op !== undefined) {
      out.push({ kind: "op", text: op, start: i });
      i += op.length;
      continue;
    }
    out.push({ kind: /[{}()[\],]/.test(c) ? "punct" : "text", text: c, start: i });
    i++;
  }
  return out;
}

export type CompletionContext =
  | { kind: "label-name"; prefix: string; from: number }
  | { kind: "label-value"; label: string; prefix: string; from: number }
  | { kind: "stage"; prefix: string; from: number }
  | { kind: "none" };

/** What the cursor is in: a label name or value inside `{...}`, or a pipeline stage after `|`. */
export function completionContext(q: string, cursor: number): CompletionContext {
  const before = q.slice(0, cursor);
  const open = before.lastIndexOf("{");
  const close = before.lastIndexOf("}");
  if (open > close) {
    const inside = before.slice(open + 1);
    const value = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)$/.exec(inside);
    if (value !== null) return { kind: "label-value", label: value[1] as string, prefix: value[3] as string, from: cursor - (value[3] as string).length };
    const name = /(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)?$/.exec(inside);
    if (name !== null) return { kind: "label-name", prefix: name[1] ?? "", from: cursor - (name[1] ?? "").length };
    return { kind: "none" };
  }
  const stage = /\|\s*([a-z_]*)$/.exec(before);
  if (stage !== null && !/[=~>]$/.test(before.slice(0, before.length - (stage[1] ?? "").length).trimEnd()))
    return { kind: "stage", prefix: stage[1] ?? "", from: cursor - (stage[1] ?? "").length };
  return { kind: "none" };
}

export const PIPELINE_STAGES = [...STAGES, 'line_format "{{.}}"', "label_format", '__error__=""'];

/** Adds a label matcher to the first stream selector of a query (click-to-filter). */
export function addLabelMatcher(q: string, label: string, value: string, negate = false): string {
  const matcher = `${label}${negate ? "!=" : "="}${JSON.stringify(value)}`;
  const close = q.indexOf("}");
  if (close < 0) return `{${matcher}}`;
  const inside = q.slice(q.indexOf("{") + 1, close).trim();
  if (inside.includes(matcher)) return q;
  return `${q.slice(0, close).trimEnd()}${inside === "" ? "" : ", "}${matcher}${q.slice(close)}`;
}

/** Appends a line filter stage to a log query (before any metric wrapping is not handled: log queries only). */
export function addLineFilter(q: string, text: string, negate = false): string {
  return `${q.trimEnd()} ${negate ? "!=" : "|="} ${JSON.stringify(text)}`;
}

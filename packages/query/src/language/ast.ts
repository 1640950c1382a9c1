// LogQL abstract syntax tree: log queries (selector + pipeline) and metric queries (aggregations, binary ops).

export type MatchOp = "=" | "!=" | "=~" | "!~";

/** A stream label matcher: `name op "value"`. */
export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type LineFilterOp = "|=" | "!=" | "|~" | "!~" | "|>" | "!>";

/** One alternative of a line filter: a literal/regex/pattern string, or ip("cidr/range"). */
export type LineFilterValue = { readonly kind: "str"; readonly value: string } | { readonly kind: "ip"; readonly value: string };

export type CompareOp = "==" | "!=" | ">" | ">=" | "<" | "<=";

/** Leaf label filters; duration and bytes keep the literal text (`5s`, `20MB`) so formatting round-trips. */
export type LabelFilterLeaf =
  | { readonly kind: "string"; readonly name: string; readonly op: MatchOp; readonly value: string }
  | { readonly kind: "number"; readonly name: string; readonly op: CompareOp; readonly value: number }
  | { readonly kind: "duration"; readonly name: string; readonly op: CompareOp; readonly text: string }
  | { readonly kind: "bytes"; readonly name: string; readonly op: CompareOp; readonly text: string }
  | { readonly kind: "ip"; readonly name: string; readonly op: "=" | "!="; readonly value: string };

export type LabelFilterExpr = LabelFilterLeaf | { readonly kind: "and" | "or"; readonly left: LabelFilterExpr; readonly right: LabelFilterExpr };

/** `label="expr"` parameter of json/logfmt extraction. */
export interface ExtractParam {
  readonly label: string;
  readonly expr: string;
}

/** label_format item: `dst=src` (rename) or `dst="template"`. */
export type LabelFormatItem = { readonly dst: string; readonly src: string } | { readonly dst: string; readonly template: string };

/** drop/keep item: a bare name, or a name with a matcher on its value. */
export interface NameMatcher {
  readonly name: string;
  readonly op?: MatchOp;
  readonly value?: string;
}

export type Stage =
  | { readonly kind: "lineFilter"; readonly op: LineFilterOp; readonly values: readonly LineFilterValue[] }
  | { readonly kind: "json"; readonly params: readonly ExtractParam[] }
  | { readonly kind: "logfmt"; readonly strict: boolean; readonly keepEmpty: boolean; readonly params: readonly ExtractParam[] }
  | { readonly kind: "pattern"; readonly pattern: string }
  | { readonly kind: "regexp"; readonly pattern: string }
  | { readonly kind: "unpack" }
  | { readonly kind: "labelFilter"; readonly expr: LabelFilterExpr }
  | { readonly kind: "lineFormat"; readonly template: string }
  | { readonly kind: "labelFormat"; readonly items: readonly LabelFormatItem[] }
  | { readonly kind: "drop" | "keep"; readonly items: readonly NameMatcher[] }
  | { readonly kind: "decolorize" };

/** A log query: stream selector plus pipeline. */
export interface LogExpr {
  readonly kind: "log";
  readonly matchers: readonly Matcher[];
  readonly stages: readonly Stage[];
}

export type UnwrapConv = "" | "duration" | "duration_seconds" | "bytes";

export interface Unwrap {
  readonly label: string;
  readonly conv: UnwrapConv;
  /** Label filters after unwrap (`| unwrap x | __error__=""`). */
  readonly post: readonly LabelFilterExpr[];
}

/** `{...} | pipeline | unwrap x [range] offset d` inside a range aggregation. */
export interface LogRange {
  readonly log: LogExpr;
  readonly unwrap?: Unwrap;
  /** Range duration text, e.g. "5m". */
  readonly range: string;
  readonly offset?: string;
}

export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

export const RANGE_OPS = [
  "count_over_time",
  "rate",
  "bytes_over_time",
  "bytes_rate",
  "absent_over_time",
  "rate_counter",
  "sum_over_time",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "first_over_time",
  "last_over_time",
  "quantile_over_time",
] as const;
export type RangeOp = (typeof RANGE_OPS)[number];

export const VECTOR_OPS = ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "sort", "sort_desc", "approx_topk"] as const;
export type VectorOp = (typeof VECTOR_OPS)[number];

export const BINARY_OPS = ["or", "and", "unless", "==", "!=", ">", ">=", "<", "<=", "+", "-", "*", "/", "%", "^"] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export interface VectorMatching {
  readonly on: boolean;
  readonly labels: readonly string[];
  /** group_left / group_right with extra labels to copy. */
  readonly group?: { readonly side: "left" | "right"; readonly include: readonly string[] };
}

export type MetricExpr =
  | { readonly kind: "rangeAgg"; readonly op: RangeOp; readonly param?: number; readonly range: LogRange; readonly grouping?: Grouping }
  | { readonly kind: "vectorAgg"; readonly op: VectorOp; readonly param?: number; readonly grouping?: Grouping; readonly inner: MetricExpr }
  | {
      readonly kind: "binary";
      readonly op: BinaryOp;
      readonly bool: boolean;
      readonly matching?: VectorMatching;
      readonly left: MetricExpr;
      readonly right: MetricExpr;
    }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "vector"; readonly value: number }
  | {
      readonly kind: "labelReplace";
      readonly inner: MetricExpr;
      readonly dst: string;
      readonly replacement: string;
      readonly src: string;
      readonly regex: string;
    };

export type Expr = LogExpr | MetricExpr;

export const isLogExpr = (e: Expr): e is LogExpr => e.kind === "log";

// LogQL parser: recursive descent for selectors and pipelines, precedence climbing for binary operators.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import {
  BINARY_OPS, RANGE_OPS, VECTOR_OPS,
  type BinaryOp, type CompareOp, type Expr, type ExtractParam, type Grouping, type LabelFilterExpr, type LabelFilterLeaf,
  type LabelFormatItem, type LineFilterOp, type LineFilterValue, type LogExpr, type LogRange, type Matcher, type MatchOp,
  type MetricExpr, type NameMatcher, type RangeOp, type Stage, type Unwrap, type UnwrapConv, type VectorMatching, type VectorOp,
} from "./ast.js";
import { syntaxError, tokenize, type Token } from "./lexer.js";

/** Deepest nesting accepted; deeper queries are refused with QUERY_TOO_LARGE rather than risking the stack. */
export const MAX_NESTING = 64;

const PREC: Readonly<Record<string, number>> = {
  or: 1, and: 2, unless: 2, "==": 3, "!=": 3, ">": 3, ">=": 3, "<": 3, "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "^": 6,
};
export const binaryPrecedence = (op: BinaryOp): number => PREC[op] ?? 0;

const LINE_FILTER_OPS = new Set(["|=", "!=", "|~", "!~", "|>", "!>"]);
const COMPARE = new Set(["==", "!=", ">", ">=", "<", "<="]);
const MATCH = new Set(["=", "!=", "=~", "!~"]);

/** Parses a LogQL query (log or metric). Throws QUERY_SYNTAX with Loki-shaped messages. */
export function parseExpr(text: string): Expr {
  const p = new Parser(text);
  const e = p.parseTop();
  return e;
}

/** Parses a bare stream selector `{a="b", c=~"d"}` (used for scopes and match[]). */
export function parseSelector(text: string): Matcher[] {
  const p = new Parser(text);
  return p.parseSelectorOnly();
}

function describe(t: Token): string {
  switch (t.type) {
    case "eof": return "end of input";
    case "ident": return `IDENTIFIER ${JSON.stringify(t.text)}`;
    case "string": return "STRING";
    case "number": return "NUMBER";
    case "duration": return "DURATION";
    case "bytes": return "BYTES";
    case "flag": return `flag ${t.text}`;
    default: return JSON.stringify(t.text);
  }
}

class Parser {
  readonly #toks: Token[];
  #i = 0;
  #depth = 0;

  constructor(text: string) {
    this.#toks = tokenize(text);
  }

  get #t(): Token {
    return this.#toks[this.#i] as Token;
  }
  #peek(k = 1): Token {
    return this.#toks[Math.min(this.#i + k, this.#toks.length - 1)] as Token;
  }
  #next(): Token {
    const t = this.#t;
    if (this.#i < this.#toks.length - 1) this.#i++;
    return t;
  }
  #isOp(text: string, t = this.#t): boolean {
    return t.type === "op" && t.text === text;
  }
  #isIdent(text: string, t = this.#t): boolean {
    return t.type === "ident" && t.text === text;
  }
  #fail(expecting?: string, t = this.#t): never {
    throw syntaxError(t.line, t.col, `syntax error: unexpected ${describe(t)}${expecting !== undefined ? `, expecting ${expecting}` : ""}`);
  }
  #expectOp(text: string): Token {
    if (!this.#isOp(text)) this.#fail(JSON.stringify(text));
    return this.#next();
  }
  #expectString(): string {
    if (this.#t.type !== "string") this.#fail("STRING");
    return this.#next().text;
  }
  #expectIdent(): string {
    if (this.#t.type !== "ident") this.#fail("IDENTIFIER");
    return this.#next().text;
  }
  #expectEof(): void {
    const t: Token = this.#t;
    if (t.type !== "eof") this.#fail();
  }
  #enter(): void {
    if (++this.#depth > MAX_NESTING) {
      const t = this.#t;
      throw new MeshlogError(QueryErrors.QUERY_TOO_LARGE, `parse error at line ${t.line}, col ${t.col}: query nests deeper than ${MAX_NESTING} levels`);
    }
  }
  #leave(): void {
    this.#depth--;
  }

  parseTop(): Expr {
    if (this.#t.type === "eof") this.#fail();
    const e = this.#parseBinary(1);
    this.#expectEof();
    return e;
  }

  parseSelectorOnly(): Matcher[] {
    const m = this.#parseSelector();
    this.#expectEof();
    return m;
  }

  #parseBinary(minPrec: number): Expr {
    this.#enter();
    let left = this.#parseUnary();
    for (;;) {
      const t = this.#t;
      const opText = t.type === "op" || t.type === "ident" ? t.text : "";
      const prec = PREC[opText];
      if (prec === undefined || prec < minPrec || !(BINARY_OPS as readonly string[]).includes(opText)) break;
      if (t.type === "ident" && !["or", "and", "unless"].includes(opText)) break;
      this.#next();
      const op = opText as BinaryOp;
      let bool = false;
      if (this.#isIdent("bool")) {
        this.#next();
        bool = true;
      }
      let matching: VectorMatching | undefined;
      if (this.#isIdent("on") || this.#isIdent("ignoring")) {
        const on = this.#next().text === "on";
        const labels = this.#parseLabelList();
        let group: VectorMatching["group"];
        if (this.#isIdent("group_left") || this.#isIdent("group_right")) {
          const side = this.#next().text === "group_left" ? "left" : "right";
          group = { side, include: this.#isOp("(") ? this.#parseLabelList() : [] };
        }
        matching = group !== undefined ? { on, labels, group } : { on, labels };
      }
      const right = this.#parseBinary(op === "^" ? prec : prec + 1);
      left = {
        kind: "binary", op, bool,
        ...(matching !== undefined ? { matching } : {}),
        left: this.#asMetric(left, t), right: this.#asMetric(right, t),
      };
    }
    this.#leave();
    return left;
  }

  #asMetric(e: Expr, at: Token): MetricExpr {
    if (e.kind === "log") throw syntaxError(at.line, at.col, "syntax error: a log query cannot be an operand of a binary operation; wrap it in a range aggregation such as count_over_time");
    return e;
  }

  #parseUnary(): Expr {
    const t = this.#t;
    if (this.#isOp("-") || this.#isOp("+")) {
      const neg = this.#next().text === "-";
      const n = this.#t;
      if (n.type !== "number") this.#fail("NUMBER");
      this.#next();
      const v = parseNumber(n.text);
      return { kind: "number", value: neg ? -v : v };
    }
    if (t.type === "number") {
      this.#next();
      return { kind: "number", value: parseNumber(t.text) };
    }
    if (this.#isOp("(")) {
      this.#next();
      const e = this.#parseBinary(1);
      this.#expectOp(")");
      return e;
    }
    if (this.#isOp("{")) return this.#parseLogExpr();
    if (t.type === "ident") {
      if ((RANGE_OPS as readonly string[]).includes(t.text)) return this.#parseRangeAgg();
      if ((VECTOR_OPS as readonly string[]).includes(t.text)) return this.#parseVectorAgg();
      if (t.text === "vector") {
        this.#next();
        this.#expectOp("(");
        const neg = this.#isOp("-") ? (this.#next(), true) : false;
        const n = this.#t;
        if (n.type !== "number") this.#fail("NUMBER");
        this.#next();
        this.#expectOp(")");
        const v = parseNumber(n.text);
        return { kind: "vector", value: neg ? -v : v };
      }
      if (t.text === "label_replace") {
        this.#next();
        this.#expectOp("(");
        const inner = this.#asMetric(this.#parseBinary(1), t);
        const args: string[] = [];
        for (let k = 0; k < 4; k++) {
          this.#expectOp(",");
          args.push(this.#expectString());
        }
        this.#expectOp(")");
        const [dst, replacement, src, regex] = args as [string, string, string, string];
        return { kind: "labelReplace", inner, dst, replacement, src, regex };
      }
    }
    this.#fail();
  }

  #parseSelector(): Matcher[] {
    this.#expectOp("{");
    const out: Matcher[] = [];
    while (!this.#isOp("}")) {
      const name = this.#expectIdent();
      const opTok = this.#t;
      if (opTok.type !== "op" || !MATCH.has(opTok.text)) this.#fail('"=", "!=", "=~" or "!~"');
      this.#next();
      const value = this.#expectString();
      out.push({ name, op: opTok.text as MatchOp, value });
      if (this.#isOp(",")) this.#next();
      else if (!this.#isOp("}")) this.#fail('"," or "}"');
    }
    this.#next();
    return out;
  }

  #parseLogExpr(): LogExpr {
    const matchers = this.#parseSelector();
    const stages = this.#parseStages(false).stages;
    return { kind: "log", matchers, stages };
  }

  /** Parses pipeline stages; with allowUnwrap, also `| unwrap ...` and post-unwrap label filters. */
  #parseStages(allowUnwrap: boolean): { stages: Stage[]; unwrap?: Unwrap } {
    const stages: Stage[] = [];
    let unwrap: Unwrap | undefined;
    for (;;) {
      const t = this.#t;
      if (t.type === "op" && LINE_FILTER_OPS.has(t.text)) {
        if (unwrap !== undefined) this.#fail('"|" or "["');
        this.#next();
        stages.push({ kind: "lineFilter", op: t.text as LineFilterOp, values: this.#parseLineFilterValues() });
        continue;
      }
      if (!this.#isOp("|")) break;
      this.#next();
      const s = this.#t;
      if (unwrap !== undefined) {
        (unwrap.post as LabelFilterExpr[]).push(this.#parseLabelFilterExpr());
        continue;
      }
      if (s.type === "ident") {
        switch (s.text) {
          case "json":
            this.#next();
            stages.push({ kind: "json", params: this.#parseExtractParams() });
            continue;
          case "logfmt": {
            this.#next();
            let strict = false;
            let keepEmpty = false;
            while (this.#t.type === "flag") {
              const f = this.#next();
              if (f.text === "--strict") strict = true;
              else if (f.text === "--keep-empty") keepEmpty = true;
              else throw syntaxError(f.line, f.col, `syntax error: unknown logfmt flag ${f.text} (use --strict or --keep-empty)`);
            }
            stages.push({ kind: "logfmt", strict, keepEmpty, params: this.#parseExtractParams() });
            continue;
          }
          case "pattern":
            this.#next();
            stages.push({ kind: "pattern", pattern: this.#expectString() });
            continue;
          case "regexp":
            this.#next();
            stages.push({ kind: "regexp", pattern: this.#expectString() });
            continue;
          case "unpack":
            this.#next();
            stages.push({ kind: "unpack" });
            continue;
          case "decolorize":
            this.#next();
            stages.push({ kind: "decolorize" });
            continue;
          case "line_format":
            this.#next();
            stages.push({ kind: "lineFormat", template: this.#expectString() });
            continue;
          case "label_format":
            this.#next();
            stages.push({ kind: "labelFormat", items: this.#parseLabelFormatItems() });
            continue;
          case "drop":
          case "keep":
            this.#next();
            stages.push({ kind: s.text, items: this.#parseNameMatchers() });
            continue;
          case "unwrap": {
            if (!allowUnwrap) throw syntaxError(s.line, s.col, "syntax error: unexpected unwrap: unwrap is only allowed inside a range aggregation such as sum_over_time");
            this.#next();
            let conv: UnwrapConv = "";
            let label: string;
            if ((this.#isIdent("duration") || this.#isIdent("duration_seconds") || this.#isIdent("bytes")) && this.#isOp("(", this.#peek())) {
              conv = this.#next().text as UnwrapConv;
              this.#expectOp("(");
              label = this.#expectIdent();
              this.#expectOp(")");
            } else label = this.#expectIdent();
            unwrap = { label, conv, post: [] };
            continue;
          }
          default:
            break;
        }
      }
      stages.push({ kind: "labelFilter", expr: this.#parseLabelFilterExpr() });
    }
    return unwrap !== undefined ? { stages, unwrap } : { stages };
  }

  #parseLineFilterValues(): LineFilterValue[] {
    const values: LineFilterValue[] = [this.#parseLineFilterValue()];
    while (this.#isIdent("or") && (this.#peek().type === "string" || this.#isIdent("ip", this.#peek()))) {
      this.#next();
      values.push(this.#parseLineFilterValue());
    }
    return values;
  }

  #parseLineFilterValue(): LineFilterValue {
    if (this.#isIdent("ip")) {
      this.#next();
      this.#expectOp("(");
      const v = this.#expectString();
      this.#expectOp(")");
      return { kind: "ip", value: v };
    }
    return { kind: "str", value: this.#expectString() };
  }

  #parseExtractParams(): ExtractParam[] {
    const out: ExtractParam[] = [];
    while (this.#t.type === "ident") {
      const label = this.#next().text;
      let expr = label;
      if (this.#isOp("=")) {
        this.#next();
        expr = this.#expectString();
      }
      out.push({ label, expr });
      if (!this.#isOp(",")) break;
      this.#next();
    }
    return out;
  }

  #parseLabelFormatItems(): LabelFormatItem[] {
    const out: LabelFormatItem[] = [];
    do {
      if (out.length > 0) this.#next();
      const dst = this.#expectIdent();
      this.#expectOp("=");
      if (this.#t.type === "string") out.push({ dst, template: this.#next().text });
      else out.push({ dst, src: this.#expectIdent() });
    } while (this.#isOp(","));
    return out;
  }

  #parseNameMatchers(): NameMatcher[] {
    const out: NameMatcher[] = [];
    do {
      if (out.length > 0) this.#next();
      const name = this.#expectIdent();
      const t = this.#t;
      if (t.type === "op" && MATCH.has(t.text)) {
        this.#next();
        out.push({ name, op: t.text as MatchOp, value: this.#expectString() });
      } else out.push({ name });
    } while (this.#isOp(","));
    return out;
  }

  #parseLabelFilterExpr(): LabelFilterExpr {
    this.#enter();
    let left = this.#parseLabelFilterAnd();
    while (this.#isIdent("or")) {
      this.#next();
      left = { kind: "or", left, right: this.#parseLabelFilterAnd() };
    }
    this.#leave();
    return left;
  }

  #parseLabelFilterAnd(): LabelFilterExpr {
    let left = this.#parseLabelFilterLeaf();
    for (;;) {
      if (this.#isIdent("and") || this.#isOp(",")) this.#next();
      else if (!(this.#isOp("(") || (this.#t.type === "ident" && this.#t.text !== "or" && this.#t.text !== "offset"))) break;
      left = { kind: "and", left, right: this.#parseLabelFilterLeaf() };
    }
    return left;
  }

  #parseLabelFilterLeaf(): LabelFilterExpr {
    if (this.#isOp("(")) {
      this.#next();
      const e = this.#parseLabelFilterExpr();
      this.#expectOp(")");
      return e;
    }
    const name = this.#expectIdent();
    const opTok = this.#t;
    if (opTok.type !== "op" || !(MATCH.has(opTok.text) || COMPARE.has(opTok.text))) this.#fail("a comparison operator");
    this.#next();
    const op = opTok.text;
    const v = this.#t;
    if (v.type === "string" && MATCH.has(op)) {
      this.#next();
      return { kind: "string", name, op: op as MatchOp, value: v.text };
    }
    if (this.#isIdent("ip") && (op === "=" || op === "!=")) {
      this.#next();
      this.#expectOp("(");
      const value = this.#expectString();
      this.#expectOp(")");
      return { kind: "ip", name, op, value };
    }
    if (op === "=~" || op === "!~") this.#fail("STRING");
    const cmp = (op === "=" ? "==" : op) as CompareOp;
    let neg = false;
    if (this.#isOp("-")) {
      this.#next();
      neg = true;
    }
    const lit = this.#t;
    let leaf: LabelFilterLeaf;
    if (lit.type === "number") leaf = { kind: "number", name, op: cmp, value: neg ? -parseNumber(lit.text) : parseNumber(lit.text) };
    else if (lit.type === "duration") leaf = { kind: "duration", name, op: cmp, text: (neg ? "-" : "") + lit.text };
    else if (lit.type === "bytes") leaf = { kind: "bytes", name, op: cmp, text: lit.text };
    else this.#fail("NUMBER, DURATION, BYTES or STRING");
    this.#next();
    return leaf;
  }

  #parseLabelList(): string[] {
    this.#expectOp("(");
    const out: string[] = [];
    while (!this.#isOp(")")) {
      out.push(this.#expectIdent());
      if (this.#isOp(",")) this.#next();
      else if (!this.#isOp(")")) this.#fail('"," or ")"');
    }
    this.#next();
    return out;
  }

  #parseGrouping(): Grouping | undefined {
    if (this.#isIdent("by") || this.#isIdent("without")) {
      const without = this.#next().text === "without";
      return { without, labels: this.#parseLabelList() };
    }
    return undefined;
  }

  #parseRangeAgg(): MetricExpr {
    const op = this.#next().text as RangeOp;
    this.#expectOp("(");
    let param: number | undefined;
    if (op === "quantile_over_time") {
      const neg = this.#isOp("-") ? (this.#next(), true) : false;
      const t = this.#t;
      if (t.type !== "number") this.#fail("NUMBER");
      this.#next();
      param = neg ? -parseNumber(t.text) : parseNumber(t.text);
      this.#expectOp(",");
    }
    const range = this.#parseLogRange();
    this.#expectOp(")");
    const grouping = this.#parseGrouping();
    return { kind: "rangeAgg", op, ...(param !== undefined ? { param } : {}), range, ...(grouping !== undefined ? { grouping } : {}) };
  }

  #parseLogRange(): LogRange {
    this.#enter();
    let log: LogExpr;
    let unwrap: Unwrap | undefined;
    let parenthesized = false;
    if (this.#isOp("(")) {
      this.#next();
      parenthesized = true;
    }
    const matchers = this.#parseSelector();
    const first = this.#parseStages(true);
    if (parenthesized) this.#expectOp(")");
    let stages = first.stages;
    unwrap = first.unwrap;
    if (!this.#isOp("[")) this.#fail('"["');
    this.#next();
    const d = this.#t;
    if (d.type !== "duration") this.#fail("DURATION");
    this.#next();
    this.#expectOp("]");
    let offset: string | undefined;
    if (this.#isIdent("offset")) {
      this.#next();
      const o = this.#t;
      if (o.type !== "duration") this.#fail("DURATION");
      offset = this.#next().text;
    }
    if (!parenthesized && (this.#isOp("|") || (this.#t.type === "op" && LINE_FILTER_OPS.has(this.#t.text)))) {
      if (first.stages.length > 0 || first.unwrap !== undefined) this.#fail('")"');
      const after = this.#parseStages(true);
      stages = after.stages;
      unwrap = after.unwrap;
    }
    log = { kind: "log", matchers, stages };
    this.#leave();
    return { log, ...(unwrap !== undefined ? { unwrap } : {}), range: d.text, ...(offset !== undefined ? { offset } : {}) };
  }

  #parseVectorAgg(): MetricExpr {
    const opTok = this.#next();
    const op = opTok.text as VectorOp;
    let grouping = this.#parseGrouping();
    this.#expectOp("(");
    let param: number | undefined;
    if (op === "topk" || op === "bottomk") {
      const t = this.#t;
      if (t.type !== "number") this.#fail("NUMBER");
      this.#next();
      param = parseNumber(t.text);
      this.#expectOp(",");
    }
    const inner = this.#asMetric(this.#parseBinary(1), opTok);
    this.#expectOp(")");
    if (grouping === undefined) grouping = this.#parseGrouping();
    return { kind: "vectorAgg", op, ...(param !== undefined ? { param } : {}), ...(grouping !== undefined ? { grouping } : {}), inner };
  }
}

function parseNumber(text: string): number {
  return /^0[xX]/.test(text) ? parseInt(text.slice(2), 16) : Number(text);
}

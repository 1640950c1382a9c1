// Parser for stream selectors and log pipelines: line filters, parsers, label filters, formatters, drop/keep.

import type {
  CompareOp,
  ExtractParam,
  Grouping,
  LabelFilterExpr,
  LabelFilterLeaf,
  LabelFormatItem,
  LineFilterOp,
  LineFilterValue,
  LogExpr,
  Matcher,
  MatchOp,
  NameMatcher,
  Stage,
  Unwrap,
  UnwrapConv,
} from "./ast.js";
import { syntaxError } from "./lexer.js";
import { COMPARE, LINE_FILTER_OPS, MATCH, TokenCursor, parseNumber } from "./token-cursor.js";

export class PipelineParser extends TokenCursor {
  protected parseSelector(): Matcher[] {
    this.expectOp("{");
    const out: Matcher[] = [];
    while (!this.isOp("}")) {
      const name = this.expectIdent();
      const opTok = this.t;
      if (opTok.type !== "op" || !MATCH.has(opTok.text)) this.fail('"=", "!=", "=~" or "!~"');
      this.next();
      const value = this.expectString();
      out.push({ name, op: opTok.text as MatchOp, value });
      if (this.isOp(",")) this.next();
      else if (!this.isOp("}")) this.fail('"," or "}"');
    }
    this.next();
    return out;
  }

  protected parseLogExpr(): LogExpr {
    const matchers = this.parseSelector();
    const stages = this.parseStages(false).stages;
    return { kind: "log", matchers, stages };
  }

  /** Parses pipeline stages; with allowUnwrap, also `| unwrap ...` and post-unwrap label filters. */
  protected parseStages(allowUnwrap: boolean): { stages: Stage[]; unwrap?: Unwrap } {
    const stages: Stage[] = [];
    let unwrap: Unwrap | undefined;
    for (;;) {
      const t = this.t;
      if (t.type === "op" && LINE_FILTER_OPS.has(t.text)) {
        if (unwrap !== undefined) this.fail('"|" or "["');
        this.next();
        stages.push({ kind: "lineFilter", op: t.text as LineFilterOp, values: this.parseLineFilterValues() });
        continue;
      }
      if (!this.isOp("|")) break;
      this.next();
      const s = this.t;
      if (unwrap !== undefined) {
        (unwrap.post as LabelFilterExpr[]).push(this.parseLabelFilterExpr());
        continue;
      }
      if (s.type === "ident") {
        switch (s.text) {
          case "json":
            this.next();
            stages.push({ kind: "json", params: this.parseExtractParams() });
            continue;
          case "logfmt": {
            this.next();
            let strict = false;
            let keepEmpty = false;
            while (this.t.type === "flag") {
              const f = this.next();
              if (f.text === "--strict") strict = true;
              else if (f.text === "--keep-empty") keepEmpty = true;
              else throw syntaxError(f.line, f.col, `syntax error: unknown logfmt flag ${f.text} (use --strict or --keep-empty)`);
            }
            stages.push({ kind: "logfmt", strict, keepEmpty, params: this.parseExtractParams() });
            continue;
          }
          case "pattern":
            this.next();
            stages.push({ kind: "pattern", pattern: this.expectString() });
            continue;
          case "regexp":
            this.next();
            stages.push({ kind: "regexp", pattern: this.expectString() });
            continue;
          case "unpack":
            this.next();
            stages.push({ kind: "unpack" });
            continue;
          case "decolorize":
            this.next();
            stages.push({ kind: "decolorize" });
            continue;
          case "line_format":
            this.next();
            stages.push({ kind: "lineFormat", template: this.expectString() });
            continue;
          case "label_format":
            this.next();
            stages.push({ kind: "labelFormat", items: this.parseLabelFormatItems() });
            continue;
          case "drop":
          case "keep":
            this.next();
            stages.push({ kind: s.text, items: this.parseNameMatchers() });
            continue;
          case "unwrap": {
            if (!allowUnwrap)
              throw syntaxError(s.line, s.col, "syntax error: unexpected unwrap: unwrap is only allowed inside a range aggregation such as sum_over_time");
            this.next();
            let conv: UnwrapConv = "";
            let label: string;
            if ((this.isIdent("duration") || this.isIdent("duration_seconds") || this.isIdent("bytes")) && this.isOp("(", this.peek())) {
              conv = this.next().text as UnwrapConv;
              this.expectOp("(");
              label = this.expectIdent();
              this.expectOp(")");
            } else label = this.expectIdent();
            unwrap = { label, conv, post: [] };
            continue;
          }
          default:
            break;
        }
      }
      stages.push({ kind: "labelFilter", expr: this.parseLabelFilterExpr() });
    }
    return unwrap !== undefined ? { stages, unwrap } : { stages };
  }

  protected parseLineFilterValues(): LineFilterValue[] {
    const values: LineFilterValue[] = [this.parseLineFilterValue()];
    while (this.isIdent("or") && (this.peek().type === "string" || this.isIdent("ip", this.peek()))) {
      this.next();
      values.push(this.parseLineFilterValue());
    }
    return values;
  }

  protected parseLineFilterValue(): LineFilterValue {
    if (this.isIdent("ip")) {
      this.next();
      this.expectOp("(");
      const v = this.expectString();
      this.expectOp(")");
      return { kind: "ip", value: v };
    }
    return { kind: "str", value: this.expectString() };
  }

  protected parseExtractParams(): ExtractParam[] {
    const out: ExtractParam[] = [];
    while (this.t.type === "ident") {
      const label = this.next().text;
      let expr = label;
      if (this.isOp("=")) {
        this.next();
        expr = this.expectString();
      }
      out.push({ label, expr });
      if (!this.isOp(",")) break;
      this.next();
    }
    return out;
  }

  protected parseLabelFormatItems(): LabelFormatItem[] {
    const out: LabelFormatItem[] = [];
    do {
      if (out.length > 0) this.next();
      const dst = this.expectIdent();
      this.expectOp("=");
      if (this.t.type === "string") out.push({ dst, template: this.next().text });
      else out.push({ dst, src: this.expectIdent() });
    } while (this.isOp(","));
    return out;
  }

  protected parseNameMatchers(): NameMatcher[] {
    const out: NameMatcher[] = [];
    do {
      if (out.length > 0) this.next();
      const name = this.expectIdent();
      const t = this.t;
      if (t.type === "op" && MATCH.has(t.text)) {
        this.next();
        out.push({ name, op: t.text as MatchOp, value: this.expectString() });
      } else out.push({ name });
    } while (this.isOp(","));
    return out;
  }

  protected parseLabelFilterExpr(): LabelFilterExpr {
    this.enter();
    let left = this.parseLabelFilterAnd();
    while (this.isIdent("or")) {
      this.next();
      left = { kind: "or", left, right: this.parseLabelFilterAnd() };
    }
    this.leave();
    return left;
  }

  protected parseLabelFilterAnd(): LabelFilterExpr {
    let left = this.parseLabelFilterLeaf();
    for (;;) {
      if (this.isIdent("and") || this.isOp(",")) this.next();
      else if (!(this.isOp("(") || (this.t.type === "ident" && this.t.text !== "or" && this.t.text !== "offset"))) break;
      left = { kind: "and", left, right: this.parseLabelFilterLeaf() };
    }
    return left;
  }

  protected parseLabelFilterLeaf(): LabelFilterExpr {
    if (this.isOp("(")) {
      this.next();
      const e = this.parseLabelFilterExpr();
      this.expectOp(")");
      return e;
    }
    const name = this.expectIdent();
    const opTok = this.t;
    if (opTok.type !== "op" || !(MATCH.has(opTok.text) || COMPARE.has(opTok.text))) this.fail("a comparison operator");
    this.next();
    const op = opTok.text;
    const v = this.t;
    if (v.type === "string" && MATCH.has(op)) {
      this.next();
      return { kind: "string", name, op: op as MatchOp, value: v.text };
    }
    if (this.isIdent("ip") && (op === "=" || op === "!=")) {
      this.next();
      this.expectOp("(");
      const value = this.expectString();
      this.expectOp(")");
      return { kind: "ip", name, op, value };
    }
    if (op === "=~" || op === "!~") this.fail("STRING");
    const cmp = (op === "=" ? "==" : op) as CompareOp;
    let neg = false;
    if (this.isOp("-")) {
      this.next();
      neg = true;
    }
    const lit = this.t;
    let leaf: LabelFilterLeaf;
    if (lit.type === "number") leaf = { kind: "number", name, op: cmp, value: neg ? -parseNumber(lit.text) : parseNumber(lit.text) };
    else if (lit.type === "duration") leaf = { kind: "duration", name, op: cmp, text: (neg ? "-" : "") + lit.text };
    else if (lit.type === "bytes") leaf = { kind: "bytes", name, op: cmp, text: lit.text };
    else this.fail("NUMBER, DURATION, BYTES or STRING");
    this.next();
    return leaf;
  }

  protected parseLabelList(): string[] {
    this.expectOp("(");
    const out: string[] = [];
    while (!this.isOp(")")) {
      out.push(this.expectIdent());
      if (this.isOp(",")) this.next();
      else if (!this.isOp(")")) this.fail('"," or ")"');
    }
    this.next();
    return out;
  }

  protected parseGrouping(): Grouping | undefined {
    if (this.isIdent("by") || this.isIdent("without")) {
      const without = this.next().text === "without";
      return { without, labels: this.parseLabelList() };
    }
    return undefined;
  }
}

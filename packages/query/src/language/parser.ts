// LogQL parser: precedence climbing for binary operators, range and vector aggregations (pipelines in pipeline-parser.ts).

import {
  BINARY_OPS,
  RANGE_OPS,
  VECTOR_OPS,
  type BinaryOp,
  type Expr,
  type LogRange,
  type Matcher,
  type MetricExpr,
  type RangeOp,
  type Unwrap,
  type VectorMatching,
  type VectorOp,
  type LogExpr,
} from "./ast.js";
import { syntaxError, type Token } from "./lexer.js";
import { PipelineParser } from "./pipeline-parser.js";
import { LINE_FILTER_OPS, parseNumber } from "./token-cursor.js";

export { MAX_NESTING } from "./token-cursor.js";

const PREC: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  ">": 3,
  ">=": 3,
  "<": 3,
  "<=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  "^": 6,
};
export const binaryPrecedence = (op: BinaryOp): number => PREC[op] ?? 0;

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

class Parser extends PipelineParser {
  parseTop(): Expr {
    if (this.t.type === "eof") this.fail();
    const e = this.parseBinary(1);
    this.expectEof();
    return e;
  }

  parseSelectorOnly(): Matcher[] {
    const m = this.parseSelector();
    this.expectEof();
    return m;
  }

  protected parseBinary(minPrec: number): Expr {
    this.enter();
    let left = this.parseUnary();
    for (;;) {
      const t = this.t;
      const opText = t.type === "op" || t.type === "ident" ? t.text : "";
      const prec = PREC[opText];
      if (prec === undefined || prec < minPrec || !(BINARY_OPS as readonly string[]).includes(opText)) break;
      if (t.type === "ident" && !["or", "and", "unless"].includes(opText)) break;
      this.next();
      const op = opText as BinaryOp;
      let bool = false;
      if (this.isIdent("bool")) {
        this.next();
        bool = true;
      }
      let matching: VectorMatching | undefined;
      if (this.isIdent("on") || this.isIdent("ignoring")) {
        const on = this.next().text === "on";
        const labels = this.parseLabelList();
        let group: VectorMatching["group"];
        if (this.isIdent("group_left") || this.isIdent("group_right")) {
          const side = this.next().text === "group_left" ? "left" : "right";
          group = { side, include: this.isOp("(") ? this.parseLabelList() : [] };
        }
        matching = group !== undefined ? { on, labels, group } : { on, labels };
      }
      const right = this.parseBinary(op === "^" ? prec : prec + 1);
      left = {
        kind: "binary",
        op,
        bool,
        ...(matching !== undefined ? { matching } : {}),
        left: this.asMetric(left, t),
        right: this.asMetric(right, t),
      };
    }
    this.leave();
    return left;
  }

  protected asMetric(e: Expr, at: Token): MetricExpr {
    if (e.kind === "log")
      throw syntaxError(
        at.line,
        at.col,
        "syntax error: a log query cannot be an operand of a binary operation; wrap it in a range aggregation such as count_over_time",
      );
    return e;
  }

  protected parseUnary(): Expr {
    const t = this.t;
    if (this.isOp("-") || this.isOp("+")) {
      const neg = this.next().text === "-";
      const n = this.t;
      if (n.type !== "number") this.fail("NUMBER");
      this.next();
      const v = parseNumber(n.text);
      return { kind: "number", value: neg ? -v : v };
    }
    if (t.type === "number") {
      this.next();
      return { kind: "number", value: parseNumber(t.text) };
    }
    if (this.isOp("(")) {
      this.next();
      const e = this.parseBinary(1);
      this.expectOp(")");
      return e;
    }
    if (this.isOp("{")) return this.parseLogExpr();
    if (t.type === "ident") {
      if ((RANGE_OPS as readonly string[]).includes(t.text)) return this.parseRangeAgg();
      if ((VECTOR_OPS as readonly string[]).includes(t.text)) return this.parseVectorAgg();
      if (t.text === "vector") {
        this.next();
        this.expectOp("(");
        const neg = this.isOp("-") ? (this.next(), true) : false;
        const n = this.t;
        if (n.type !== "number") this.fail("NUMBER");
        this.next();
        this.expectOp(")");
        const v = parseNumber(n.text);
        return { kind: "vector", value: neg ? -v : v };
      }
      if (t.text === "label_replace") {
        this.next();
        this.expectOp("(");
        const inner = this.asMetric(this.parseBinary(1), t);
        const args: string[] = [];
        for (let k = 0; k < 4; k++) {
          this.expectOp(",");
          args.push(this.expectString());
        }
        this.expectOp(")");
        const [dst, replacement, src, regex] = args as [string, string, string, string];
        return { kind: "labelReplace", inner, dst, replacement, src, regex };
      }
    }
    this.fail();
  }

  protected parseRangeAgg(): MetricExpr {
    const op = this.next().text as RangeOp;
    this.expectOp("(");
    let param: number | undefined;
    if (op === "quantile_over_time") {
      const neg = this.isOp("-") ? (this.next(), true) : false;
      const t = this.t;
      if (t.type !== "number") this.fail("NUMBER");
      this.next();
      param = neg ? -parseNumber(t.text) : parseNumber(t.text);
      this.expectOp(",");
    }
    const range = this.parseLogRange();
    this.expectOp(")");
    const grouping = this.parseGrouping();
    return { kind: "rangeAgg", op, ...(param !== undefined ? { param } : {}), range, ...(grouping !== undefined ? { grouping } : {}) };
  }

  protected parseLogRange(): LogRange {
    this.enter();
    let log: LogExpr;
    let unwrap: Unwrap | undefined;
    let parenthesized = false;
    if (this.isOp("(")) {
      this.next();
      parenthesized = true;
    }
    const matchers = this.parseSelector();
    const first = this.parseStages(true);
    if (parenthesized) this.expectOp(")");
    let stages = first.stages;
    unwrap = first.unwrap;
    if (!this.isOp("[")) this.fail('"["');
    this.next();
    const d = this.t;
    if (d.type !== "duration") this.fail("DURATION");
    this.next();
    this.expectOp("]");
    let offset: string | undefined;
    if (this.isIdent("offset")) {
      this.next();
      const o = this.t;
      if (o.type !== "duration") this.fail("DURATION");
      offset = this.next().text;
    }
    if (!parenthesized && (this.isOp("|") || (this.t.type === "op" && LINE_FILTER_OPS.has(this.t.text)))) {
      if (first.stages.length > 0 || first.unwrap !== undefined) this.fail('")"');
      const after = this.parseStages(true);
      stages = after.stages;
      unwrap = after.unwrap;
    }
    log = { kind: "log", matchers, stages };
    this.leave();
    return { log, ...(unwrap !== undefined ? { unwrap } : {}), range: d.text, ...(offset !== undefined ? { offset } : {}) };
  }

  protected parseVectorAgg(): MetricExpr {
    const opTok = this.next();
    const op = opTok.text as VectorOp;
    let grouping = this.parseGrouping();
    this.expectOp("(");
    let param: number | undefined;
    if (op === "topk" || op === "bottomk" || op === "approx_topk") {
      const t = this.t;
      if (t.type !== "number") this.fail("NUMBER");
      this.next();
      param = parseNumber(t.text);
      this.expectOp(",");
    }
    const inner = this.asMetric(this.parseBinary(1), opTok);
    this.expectOp(")");
    if (grouping === undefined) grouping = this.parseGrouping();
    return { kind: "vectorAgg", op, ...(param !== undefined ? { param } : {}), ...(grouping !== undefined ? { grouping } : {}), inner };
  }
}

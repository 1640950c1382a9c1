// Token cursor shared by the LogQL parsers: lookahead, expectations with Loki-shaped errors, nesting guard.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import { syntaxError, tokenize, type Token } from "./lexer.js";

/** Deepest nesting accepted; deeper queries are refused with QUERY_TOO_LARGE rather than risking the stack. */
export const MAX_NESTING = 64;

export const LINE_FILTER_OPS: ReadonlySet<string> = new Set(["|=", "!=", "|~", "!~", "|>", "!>"]);
export const COMPARE: ReadonlySet<string> = new Set(["==", "!=", ">", ">=", "<", "<="]);
export const MATCH: ReadonlySet<string> = new Set(["=", "!=", "=~", "!~"]);

export function describe(t: Token): string {
  switch (t.type) {
    case "eof":
      return "end of input";
    case "ident":
      return `IDENTIFIER ${JSON.stringify(t.text)}`;
    case "string":
      return "STRING";
    case "number":
      return "NUMBER";
    case "duration":
      return "DURATION";
    case "bytes":
      return "BYTES";
    case "flag":
      return `flag ${t.text}`;
    default:
      return JSON.stringify(t.text);
  }
}

export class TokenCursor {
  protected readonly toks: Token[];
  protected i = 0;
  protected depth = 0;

  constructor(text: string) {
    this.toks = tokenize(text);
  }

  protected get t(): Token {
    return this.toks[this.i] as Token;
  }
  protected peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)] as Token;
  }
  protected next(): Token {
    const t = this.t;
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  protected isOp(text: string, t = this.t): boolean {
    return t.type === "op" && t.text === text;
  }
  protected isIdent(text: string, t = this.t): boolean {
    return t.type === "ident" && t.text === text;
  }
  protected fail(expecting?: string, t = this.t): never {
    throw syntaxError(t.line, t.col, `syntax error: unexpected ${describe(t)}${expecting !== undefined ? `, expecting ${expecting}` : ""}`);
  }
  protected expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(JSON.stringify(text));
    return this.next();
  }
  protected expectString(): string {
    if (this.t.type !== "string") this.fail("STRING");
    return this.next().text;
  }
  protected expectIdent(): string {
    if (this.t.type !== "ident") this.fail("IDENTIFIER");
    return this.next().text;
  }
  protected expectEof(): void {
    const t: Token = this.t;
    if (t.type !== "eof") this.fail();
  }
  protected enter(): void {
    if (++this.depth > MAX_NESTING) {
      const t = this.t;
      throw new MeshlogError(QueryErrors.QUERY_TOO_LARGE, `parse error at line ${t.line}, col ${t.col}: query nests deeper than ${MAX_NESTING} levels`);
    }
  }
  protected leave(): void {
    this.depth--;
  }
}

export function parseNumber(text: string): number {
  return /^0[xX]/.test(text) ? parseInt(text.slice(2), 16) : Number(text);
}

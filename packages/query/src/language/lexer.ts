// LogQL lexer: turns query text into tokens with line/column positions (strings, durations, bytes, operators).

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";

export type TokenType = "ident" | "string" | "number" | "duration" | "bytes" | "op" | "flag" | "eof";

export interface Token {
  readonly type: TokenType;
  /** Identifier/operator text, the decoded string value, or the literal text of numbers/durations/bytes. */
  readonly text: string;
  readonly line: number;
  readonly col: number;
  /** Offset in the query text. */
  readonly pos: number;
}

/** Operators, longest first so `|=` wins over `|`. */
const OPS = ["!=", "=~", "!~", "|=", "|~", "|>", "!>", "==", ">=", "<=", "{", "}", "(", ")", "[", "]", ",", "=", "|", ">", "<", "+", "-", "*", "/", "%", "^"];

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$/;
const BYTES = /^\d+(\.\d+)?([kKmMgGtTpPeE]i?)?[bB]$/;

/** Builds a Loki-shaped syntax error: `parse error at line 1, col 12: syntax error: ...`. */
export function syntaxError(line: number, col: number, message: string): MeshlogError {
  return new MeshlogError(QueryErrors.QUERY_SYNTAX, `parse error at line ${line}, col ${col}: ${message}`, { details: { line, col } });
}

/** Tokenizes a whole query. Throws QUERY_SYNTAX on an unterminated string or an unknown character. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;
  const push = (type: TokenType, text: string, start: number, startLine: number, startCol: number): void => {
    out.push({ type, text, line: startLine, col: startCol, pos: start });
  };
  while (i < n) {
    const c = src[i] as string;
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    const col = i - lineStart + 1;
    const start = i;
    if (c === "#") {
      while (i < n && src[i] !== "\n") i++;
      continue;
    }
    if (c === '"') {
      let s = "";
      i++;
      for (;;) {
        if (i >= n) throw syntaxError(line, col, "syntax error: unterminated string literal");
        const ch = src[i] as string;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === "\n") throw syntaxError(line, col, "syntax error: newline in string literal");
        if (ch === "\\") {
          const e = src[i + 1];
          i += 2;
          switch (e) {
            case "n":
              s += "\n";
              break;
            case "t":
              s += "\t";
              break;
            case "r":
              s += "\r";
              break;
            case "a":
              s += "\x07";
              break;
            case "b":
              s += "\b";
              break;
            case "f":
              s += "\f";
              break;
            case "v":
              s += "\v";
              break;
            case "\\":
              s += "\\";
              break;
            case '"':
              s += '"';
              break;
            case "'":
              s += "'";
              break;
            case "x": {
              const h = src.slice(i, i + 2);
              if (!/^[0-9a-fA-F]{2}$/.test(h)) throw syntaxError(line, col, "syntax error: invalid \\x escape in string");
              s += String.fromCharCode(parseInt(h, 16));
              i += 2;
              break;
            }
            case "u":
            case "U": {
              const len = e === "u" ? 4 : 8;
              const h = src.slice(i, i + len);
              if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw syntaxError(line, col, `syntax error: invalid \\${e} escape in string`);
              const cp = parseInt(h, 16);
              if (cp > 0x10ffff) throw syntaxError(line, col, "syntax error: escape sequence is invalid Unicode code point");
              s += String.fromCodePoint(cp);
              i += len;
              break;
            }
            default: {
              if (e !== undefined && /[0-7]/.test(e)) {
                const o = src.slice(i - 1, i + 2);
                if (!/^[0-7]{3}$/.test(o)) throw syntaxError(line, col, "syntax error: invalid octal escape in string");
                s += String.fromCharCode(parseInt(o, 8));
                i += 2;
                break;
              }
              throw syntaxError(line, col, `syntax error: unknown escape sequence \\${e ?? ""} in string`);
            }
          }
          continue;
        }
        s += ch;
        i++;
      }
      push("string", s, start, line, col);
      continue;
    }
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end < 0) throw syntaxError(line, col, "syntax error: unterminated raw string literal");
      const s = src.slice(i + 1, end);
      push("string", s, start, line, col);
      for (const ch of s) if (ch === "\n") line++;
      if (s.includes("\n")) lineStart = i + 1 + s.lastIndexOf("\n") + 1;
      i = end + 1;
      continue;
    }
    if ((c >= "0" && c <= "9") || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      let j = i;
      if (c === "0" && (src[i + 1] === "x" || src[i + 1] === "X")) {
        j += 2;
        while (j < n && /[0-9a-fA-F]/.test(src[j] as string)) j++;
        push("number", src.slice(i, j), start, line, col);
        i = j;
        continue;
      }
      while (j < n && /[0-9a-zA-Zµ._]/.test(src[j] as string)) {
        if ((src[j] === "e" || src[j] === "E") && (src[j + 1] === "+" || src[j + 1] === "-") && /^[0-9.]+$/.test(src.slice(i, j))) j += 2;
        else j++;
      }
      const text = src.slice(i, j);
      if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) push("number", text, start, line, col);
      else if (DURATION.test(text)) push("duration", text, start, line, col);
      else if (BYTES.test(text)) push("bytes", text, start, line, col);
      else throw syntaxError(line, col, `syntax error: unexpected literal ${JSON.stringify(text)}`);
      i = j;
      continue;
    }
    if (/[a-zA-Z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[a-zA-Z0-9_]/.test(src[j] as string)) j++;
      push("ident", src.slice(i, j), start, line, col);
      i = j;
      continue;
    }
    if (c === "-" && src[i + 1] === "-" && /[a-z]/.test(src[i + 2] ?? "")) {
      let j = i + 2;
      while (j < n && /[a-z-]/.test(src[j] as string)) j++;
      push("flag", src.slice(i, j), start, line, col);
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw syntaxError(line, col, `syntax error: unexpected character ${JSON.stringify(c)}`);
    push("op", op, start, line, col);
    i += op.length;
  }
  out.push({ type: "eof", text: "", line, col: i - lineStart + 1, pos: i });
  return out;
}

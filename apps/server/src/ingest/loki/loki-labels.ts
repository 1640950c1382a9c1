// Strict parser for Loki/Prometheus label strings as sent in push requests: {app="api", env="prod"}.

import { MeshlogError } from "@meshlog/core";
import { LokiErrors } from "./errors.js";

/** Longest label string accepted (Loki's own limits are far lower per label; this only bounds work). */
export const MAX_LABEL_STRING_LENGTH = 64 * 1024;

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;

/**
 * Parses `{name="value", ...}`. Values are double-quoted with Go escapes (\" \\ \n \t \r \uXXXX \xXX).
 * Only the `=` matcher is allowed; duplicate names, empty sets and trailing garbage are errors.
 */
export function parseLokiLabels(text: string): Record<string, string> {
  if (text.length > MAX_LABEL_STRING_LENGTH) fail(`label string is ${text.length} characters, the limit is ${MAX_LABEL_STRING_LENGTH}`, 0, text);
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  ws();
  if (text[i] !== "{") fail(`expected "{"`, i, text);
  i++;
  ws();
  let count = 0;
  if (text[i] === "}") fail("at least one label pair is required per stream", i, text);
  for (;;) {
    ws();
    const start = i;
    if (i >= n || !NAME_START.test(text[i] as string)) fail("expected a label name", i, text);
    while (i < n && NAME_CHAR.test(text[i] as string)) i++;
    const name = text.slice(start, i);
    ws();
    if (text[i] !== "=") fail(`expected "=" after label name "${name}"`, i, text);
    i++;
    if (text[i] === "~" || text[i] === "=") fail(`only the = matcher is allowed in push labels`, i, text);
    ws();
    if (text[i] !== '"') fail(`expected a double-quoted value for label "${name}"`, i, text);
    i++;
    let value = "";
    let closed = false;
    while (i < n) {
      const c = text[i] as string;
      if (c === '"') {
        closed = true;
        i++;
        break;
      }
      if (c === "\\") {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            value += '"';
            break;
          case "\\":
            value += "\\";
            break;
          case "n":
            value += "\n";
            break;
          case "t":
            value += "\t";
            break;
          case "r":
            value += "\r";
            break;
          case "a":
            value += "\x07";
            break;
          case "b":
            value += "\b";
            break;
          case "f":
            value += "\f";
            break;
          case "v":
            value += "\v";
            break;
          case "u":
          case "x": {
            const len = e === "u" ? 4 : 2;
            const hex = text.slice(i, i + len);
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`invalid \\${e} escape in the value of "${name}"`, i, text);
            value += String.fromCharCode(parseInt(hex, 16));
            i += len;
            break;
          }
          default:
            fail(`invalid escape "\\${e ?? ""}" in the value of "${name}"`, i - 1, text);
        }
        continue;
      }
      if (c === "\n") fail(`unescaped newline in the value of "${name}"`, i, text);
      value += c;
      i++;
    }
    if (!closed) fail(`unterminated value of label "${name}"`, i, text);
    if (Object.prototype.hasOwnProperty.call(out, name)) fail(`duplicate label name "${name}"`, start, text);
    out[name] = value;
    count++;
    ws();
    if (text[i] === ",") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        break;
      }
      continue;
    }
    if (text[i] === "}") {
      i++;
      break;
    }
    fail(`expected "," or "}" after the value of "${name}"`, i, text);
  }
  ws();
  if (i !== n) fail("unexpected text after the closing }", i, text);
  if (count === 0) fail("at least one label pair is required per stream", i, text);
  return { ...out };
}

function fail(msg: string, pos: number, text: string): never {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  throw new MeshlogError(LokiErrors.LOKI_LABELS_INVALID, `error parsing labels ${JSON.stringify(shown)}: ${msg} at position ${pos + 1}`);
}

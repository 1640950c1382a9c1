// A subset of Go's text/template for line_format and label_format: fields, pipelines, function calls,
// if/else if/else/end, comments and whitespace trimming. No loops, so execution is linear in the template.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import { callTemplateFunction, isTemplateFunction, type TemplateValue } from "./template-functions.js";

type Operand =
  { kind: "field"; name: string } | { kind: "dot" } | { kind: "lit"; value: TemplateValue } | { kind: "call"; name: string } | { kind: "pipe"; pipe: Pipeline };
type Command = Operand[];
type Pipeline = Command[];

type Node =
  { kind: "text"; text: string } | { kind: "action"; pipe: Pipeline } | { kind: "if"; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] };

/** Data a template sees: labels as `.name`, plus the line and timestamp for `__line__`/`__timestamp__`. */
export interface TemplateData {
  readonly labels: Readonly<Record<string, string>>;
  readonly line: string;
  readonly timestampNs: bigint;
}

/** Raised while executing (not parsing) a template; the pipeline turns it into __error__=TemplateFormatErr. */
export class TemplateExecError extends Error {}

const MAX_TEMPLATE = 64 * 1024;

/** A parsed template. `execute` throws TemplateExecError on runtime errors. */
export class GoTemplate {
  readonly #nodes: Node[];
  /** Label names referenced as `.name` (for analysis). */
  readonly fields: ReadonlySet<string>;

  private constructor(nodes: Node[], fields: Set<string>) {
    this.#nodes = nodes;
    this.fields = fields;
  }

  static parse(src: string, where = "template"): GoTemplate {
    if (src.length > MAX_TEMPLATE) throw new MeshlogError(QueryErrors.QUERY_TEMPLATE_INVALID, `${where}: template is longer than ${MAX_TEMPLATE} characters`);
    const fields = new Set<string>();
    const p = new TemplateParser(src, where, fields);
    return new GoTemplate(p.parseAll(), fields);
  }

  execute(data: TemplateData): string {
    let out = "";
    const run = (nodes: Node[]): void => {
      for (const n of nodes) {
        if (n.kind === "text") out += n.text;
        else if (n.kind === "action") out += toText(evalPipe(n.pipe, data));
        else {
          let done = false;
          for (const b of n.branches) {
            if (truthy(evalPipe(b.cond, data))) {
              run(b.body);
              done = true;
              break;
            }
          }
          if (!done) run(n.otherwise);
        }
      }
    };
    run(this.#nodes);
    return out;
  }
}

function toText(v: TemplateValue): string {
  if (v === undefined || v === null) return "<no value>";
  if (typeof v === "object") return String((v as { toString(): string }).toString());
  return String(v);
}

function truthy(v: TemplateValue): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return v !== 0;
  if (typeof v === "boolean") return v;
  return true;
}

function evalOperand(o: Operand, data: TemplateData): TemplateValue {
  switch (o.kind) {
    case "field":
      return data.labels[o.name] ?? "";
    case "dot":
      return "";
    case "lit":
      return o.value;
    case "call":
      return callTemplateFunction(o.name, [], data);
    case "pipe":
      return evalPipe(o.pipe, data);
  }
}

function evalPipe(pipe: Pipeline, data: TemplateData): TemplateValue {
  let prev: TemplateValue | typeof NONE = NONE;
  for (const cmd of pipe) {
    const head = cmd[0];
    if (head === undefined) throw new TemplateExecError("empty command");
    if (head.kind === "call") {
      const args = cmd.slice(1).map((a) => evalOperand(a, data));
      if (prev !== NONE) args.push(prev);
      prev = callTemplateFunction(head.name, args, data);
    } else {
      if (cmd.length > 1 || prev !== NONE) throw new TemplateExecError("can't give argument to non-function");
      prev = evalOperand(head, data);
    }
  }
  return prev === NONE ? undefined : prev;
}
const NONE = Symbol("none");

class TemplateParser {
  readonly #src: string;
  readonly #where: string;
  readonly #fields: Set<string>;
  #i = 0;
  /** Tokens of the current action. */
  #toks: string[] = [];
  #k = 0;

  constructor(src: string, where: string, fields: Set<string>) {
    this.#src = src;
    this.#where = where;
    this.#fields = fields;
  }

  #fail(msg: string): never {
    throw new MeshlogError(QueryErrors.QUERY_TEMPLATE_INVALID, `${this.#where}: template: ${msg}`);
  }

  parseAll(): Node[] {
    const { nodes, end } = this.#parseList();
    if (end !== "eof") this.#fail(`unexpected {{${end}}}`);
    return nodes;
  }

  /** Parses nodes until {{else}}, {{else if}}, {{end}} or end of input. */
  #parseList(): { nodes: Node[]; end: string } {
    const nodes: Node[] = [];
    const src = this.#src;
    for (;;) {
      const open = src.indexOf("{{", this.#i);
      if (open < 0) {
        if (this.#i < src.length) nodes.push({ kind: "text", text: src.slice(this.#i) });
        this.#i = src.length;
        return { nodes, end: "eof" };
      }
      let text = src.slice(this.#i, open);
      let start = open + 2;
      if (src[start] === "-" && /\s/.test(src[start + 1] ?? "")) {
        text = text.replace(/\s+$/, "");
        start++;
      }
      if (text !== "") nodes.push({ kind: "text", text });
      const close = findClose(src, start);
      if (close < 0) this.#fail("unclosed action");
      let inner = src.slice(start, close);
      let after = close + 2;
      if (/\s-$/.test(inner)) {
        inner = inner.slice(0, -1);
        while (after < src.length && /\s/.test(src[after] as string)) after++;
      }
      this.#i = after;
      const trimmed = inner.trim();
      if (trimmed.startsWith("/*")) {
        if (!trimmed.endsWith("*/")) this.#fail("unclosed comment");
        continue;
      }
      this.#toks = lexAction(trimmed, (m) => this.#fail(m));
      this.#k = 0;
      const first = this.#toks[0];
      if (first === undefined) this.#fail("missing value for command");
      if (first === "end") return { nodes, end: "end" };
      if (first === "else") {
        if (this.#toks[1] === "if") {
          this.#k = 2;
          return { nodes, end: "elseif" };
        }
        return { nodes, end: "else" };
      }
      if (first === "if") {
        this.#k = 1;
        const branches: { cond: Pipeline; body: Node[] }[] = [];
        let cond = this.#parsePipeline();
        let otherwise: Node[] = [];
        for (;;) {
          const r = this.#parseList();
          branches.push({ cond, body: r.nodes });
          if (r.end === "end") break;
          if (r.end === "elseif") {
            cond = this.#parsePipeline();
            continue;
          }
          if (r.end === "else") {
            const e = this.#parseList();
            if (e.end !== "end") this.#fail("expected {{end}} after {{else}}");
            otherwise = e.nodes;
            break;
          }
          this.#fail("unexpected EOF in if");
        }
        nodes.push({ kind: "if", branches, otherwise });
        continue;
      }
      if (["range", "with", "define", "template", "block"].includes(first)) this.#fail(`{{${first}}} is not supported`);
      nodes.push({ kind: "action", pipe: this.#parsePipeline() });
    }
  }

  #parsePipeline(): Pipeline {
    const pipe: Pipeline = [];
    let cmd: Command = [];
    while (this.#k < this.#toks.length) {
      const t = this.#toks[this.#k++] as string;
      if (t === ")") {
        this.#k--;
        break;
      }
      if (t === "|") {
        if (cmd.length === 0) this.#fail("missing command before |");
        pipe.push(cmd);
        cmd = [];
        continue;
      }
      if (t === "(") {
        const inner = this.#parsePipeline();
        if (this.#toks[this.#k++] !== ")") this.#fail("unclosed left paren");
        cmd.push({ kind: "pipe", pipe: inner });
        continue;
      }
      cmd.push(this.#operand(t));
    }
    if (cmd.length === 0) this.#fail("missing value for command");
    pipe.push(cmd);
    return pipe;
  }

  #operand(t: string): Operand {
    if (t === ".") return { kind: "dot" };
    if (t.startsWith(".")) {
      const name = t.slice(1);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) this.#fail(`bad field ${t}`);
      this.#fields.add(name);
      return { kind: "field", name };
    }
    if (t.startsWith('"') || t.startsWith("`")) return { kind: "lit", value: t.startsWith("`") ? t.slice(1, -1) : (JSON.parse(t) as string) };
    if (t === "true" || t === "false") return { kind: "lit", value: t === "true" };
    if (t === "nil") return { kind: "lit", value: null };
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return { kind: "lit", value: Number(t) };
    if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t)) {
      if (!isTemplateFunction(t)) this.#fail(`function "${t}" not defined`);
      return { kind: "call", name: t };
    }
    this.#fail(`unexpected ${JSON.stringify(t)} in command`);
  }
}

function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "`") {
      const e = src.indexOf("`", i + 1);
      if (e < 0) return -1;
      i = e + 1;
      continue;
    }
    if (c === "}" && src[i + 1] === "}") return i;
    i++;
  }
  return -1;
}

function lexAction(s: string, fail: (m: string) => never): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "|" || c === "(" || c === ")") {
      out.push(c);
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      if (j >= s.length) fail("unterminated quoted string");
      const lit = s.slice(i, j + 1);
      try {
        JSON.parse(lit);
      } catch {
        fail(`bad string literal ${lit}`);
      }
      out.push(lit);
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = s.indexOf("`", i + 1);
      if (j < 0) fail("unterminated raw quoted string");
      out.push(s.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/[\s|()]/.test(s[j] as string)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

// Turns the raw lines of one file into record bodies: plain lines, start-pattern or Java stack joins.

import { z } from "zod";
import { durationSchema } from "../../config/units.js";

/** A finished record body and the file offset just after its last line (its checkpoint). */
export interface FramedLine {
  body: string;
  end: number;
  timestamp?: bigint;
  attributes?: Record<string, string>;
}

/**
 * Per-file state machine. `push` takes one line without its newline, with the offsets of its first byte
 * and of the byte after its newline. `pendingStart` is the offset of the earliest line held back (the
 * checkpoint must not pass it), undefined when nothing is held.
 */
export interface LineFramer {
  push(line: string, start: number, end: number): FramedLine[];
  /** Releases held lines (timeout, end of a rotated file). */
  flush(): FramedLine[];
  pendingStart(): number | undefined;
}

export const multilineSchema = z
  .strictObject({
    mode: z
      .enum(["none", "start_pattern", "continue_pattern", "java"])
      .default("none")
      .describe(
        "none; start_pattern: a line matching `pattern` starts a record; continue_pattern: a line matching `pattern` continues the previous one; java: stack-trace lines (at ..., Caused by:, ... N more, indented) continue the previous one.",
      ),
    pattern: z.string().optional().describe("Regular expression for start_pattern / continue_pattern."),
    timeout: durationSchema.default(1000).describe("A held record is emitted when no line arrives for this long."),
    max_lines: z.number().int().min(2).max(100_000).default(500).describe("A record is emitted when it reaches this many lines."),
  })
  .refine((m) => (m.mode !== "start_pattern" && m.mode !== "continue_pattern") || m.pattern !== undefined, {
    message: "multiline.pattern is required for start_pattern and continue_pattern",
    path: ["pattern"],
  })
  .refine((m) => m.pattern === undefined || isValidRegExp(m.pattern), { message: "multiline.pattern is not a valid regular expression", path: ["pattern"] })
  .prefault({})
  .describe("Joining of multi-line records.");
export type MultilineConfig = z.output<typeof multilineSchema>;

function isValidRegExp(p: string): boolean {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}

const JAVA_CONTINUATION = /^(\s+at\s|\s+\.\.\.\s\d+\s(more|common frames omitted)|Caused by:|\s*Suppressed:|\s+)/;

export class PlainFramer implements LineFramer {
  push(line: string, _start: number, end: number): FramedLine[] {
    return [{ body: line, end }];
  }
  flush(): FramedLine[] {
    return [];
  }
  pendingStart(): undefined {
    return undefined;
  }
}

/** Joins continuation lines onto the record they belong to, with "\n" between lines. */
export class MultilineFramer implements LineFramer {
  readonly #isContinuation: (line: string) => boolean;
  readonly #maxLines: number;
  #lines: string[] = [];
  #start = 0;
  #end = 0;
  #meta: Pick<FramedLine, "timestamp" | "attributes"> = {};

  constructor(cfg: MultilineConfig) {
    this.#maxLines = cfg.max_lines;
    const re = cfg.pattern === undefined ? undefined : new RegExp(cfg.pattern);
    if (cfg.mode === "start_pattern" && re !== undefined) this.#isContinuation = (l) => !re.test(l);
    else if (cfg.mode === "continue_pattern" && re !== undefined) this.#isContinuation = (l) => re.test(l);
    else this.#isContinuation = (l) => JAVA_CONTINUATION.test(l) && l.trim() !== "";
  }

  /** `meta` (time, attributes) of the first line of a record is kept for the joined record. */
  push(line: string, start: number, end: number, meta: Pick<FramedLine, "timestamp" | "attributes"> = {}): FramedLine[] {
    const out: FramedLine[] = [];
    if (this.#lines.length > 0 && (!this.#isContinuation(line) || this.#lines.length >= this.#maxLines)) out.push(...this.flush());
    if (this.#lines.length === 0) {
      this.#start = start;
      this.#meta = meta;
    }
    this.#lines.push(line);
    this.#end = end;
    return out;
  }

  flush(): FramedLine[] {
    if (this.#lines.length === 0) return [];
    const body = this.#lines.join("\n");
    this.#lines = [];
    return [{ ...this.#meta, body, end: this.#end }];
  }

  pendingStart(): number | undefined {
    return this.#lines.length > 0 ? this.#start : undefined;
  }
}

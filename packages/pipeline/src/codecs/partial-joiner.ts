// Joins container runtime partial lines (CRI `P`, Docker json-file without trailing newline) per stream.

/** One line of a container log, after its envelope was parsed. */
export interface ContainerLine {
  timestamp: bigint;
  /** `stdout` or `stderr`. */
  stream: string;
  /** True when the runtime split a longer line here and more follows. */
  partial: boolean;
  content: string;
}

/** A joined line; `truncated` is set when the joined text hit the size bound and was flushed early. */
export interface JoinedLine extends ContainerLine {
  truncated?: boolean;
}

/**
 * Concatenates partial lines of the same stream up to the next full one. One joiner serves one log file
 * (stdout and stderr are joined separately). The joined line carries the first part's timestamp. The
 * joined text is bounded by `maxBytes` (characters); past it the line is emitted with `truncated: true`
 * and the rest of the sequence starts a new line.
 */
export class PartialJoiner {
  readonly #maxChars: number;
  readonly #pending = new Map<string, { timestamp: bigint; parts: string[]; size: number }>();

  constructor(opts: { maxBytes?: number } = {}) {
    this.#maxChars = opts.maxBytes ?? 1024 * 1024;
  }

  /** Feeds one line; returns a complete line when `line` completes one (or the bound is hit), else undefined. */
  push(line: ContainerLine): JoinedLine | undefined {
    const p = this.#pending.get(line.stream);
    if (p === undefined && !line.partial) return { timestamp: line.timestamp, stream: line.stream, partial: false, content: line.content };
    const cur = p ?? { timestamp: line.timestamp, parts: [], size: 0 };
    cur.parts.push(line.content);
    cur.size += line.content.length;
    if (!line.partial) {
      this.#pending.delete(line.stream);
      return { timestamp: cur.timestamp, stream: line.stream, partial: false, content: cur.parts.join("") };
    }
    if (cur.size >= this.#maxChars) {
      this.#pending.delete(line.stream);
      return { timestamp: cur.timestamp, stream: line.stream, partial: false, content: cur.parts.join(""), truncated: true };
    }
    this.#pending.set(line.stream, cur);
    return undefined;
  }

  /** Number of streams with an unfinished line. */
  get pendingStreams(): number {
    return this.#pending.size;
  }

  /** Emits every unfinished line as it is (at end of file, rotation, or a flush timeout). */
  flush(): JoinedLine[] {
    const out: JoinedLine[] = [];
    for (const [stream, p] of this.#pending) out.push({ timestamp: p.timestamp, stream, partial: true, content: p.parts.join("") });
    this.#pending.clear();
    return out;
  }
}

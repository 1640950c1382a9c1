// LineFramer for container runtime files: unwraps CRI (or Docker json-file) lines and joins partials.

import { CriJoiner, PartialJoiner, parseCriLine, parseDockerLine, type ContainerLine, type JoinedLine } from "@meshlog/pipeline";
import { MultilineFramer, type FramedLine, type LineFramer, type MultilineConfig } from "../file/line-framer.js";

/**
 * Uses the pipeline's envelope parsers and joiner. Lines that are neither CRI nor Docker pass through as
 * they are. The checkpoint may not pass the first part of a line still being joined (`pendingStart`).
 */
export class ContainerFramer implements LineFramer {
  readonly #joiner: PartialJoiner;
  readonly #starts = new Map<string, number>();
  readonly #multiline: MultilineConfig | undefined;
  /** Multiline joining runs per stream on the unwrapped lines (stack traces written to stderr stay together). */
  readonly #ml = new Map<string, MultilineFramer>();

  constructor(maxBytes: number, multiline?: MultilineConfig) {
    this.#joiner = new CriJoiner({ maxBytes });
    this.#multiline = multiline?.mode === "none" ? undefined : multiline;
  }

  #join(j: JoinedLine, start: number, end: number): FramedLine[] {
    const framed = this.#framed(j, end);
    if (this.#multiline === undefined) return [framed];
    let ml = this.#ml.get(j.stream);
    if (ml === undefined) {
      ml = new MultilineFramer(this.#multiline);
      this.#ml.set(j.stream, ml);
    }
    return ml.push(framed.body, start, end, {
      ...(framed.timestamp === undefined ? {} : { timestamp: framed.timestamp }),
      ...(framed.attributes === undefined ? {} : { attributes: framed.attributes }),
    });
  }

  #framed(j: JoinedLine, end: number): FramedLine {
    const attributes: Record<string, string> = { "log.iostream": j.stream };
    if (j.truncated === true) attributes["log.truncated"] = "true";
    if (j.partial) attributes["log.partial"] = "true";
    return { body: j.content, end, timestamp: j.timestamp, attributes };
  }

  push(line: string, start: number, end: number): FramedLine[] {
    const parsed: ContainerLine | undefined = parseCriLine(line) ?? parseDockerLine(line);
    if (parsed === undefined) return [{ body: line, end }];
    const first = this.#starts.get(parsed.stream) ?? start;
    this.#starts.set(parsed.stream, first);
    const joined = this.#joiner.push(parsed);
    if (joined === undefined) return [];
    this.#starts.delete(parsed.stream);
    return this.#join(joined, first, end);
  }

  flush(): FramedLine[] {
    const out = this.#joiner.flush().flatMap((j) => this.#join(j, this.#starts.get(j.stream) ?? 0, 0));
    this.#starts.clear();
    for (const ml of this.#ml.values()) out.push(...ml.flush());
    return out;
  }

  pendingStart(): number | undefined {
    let min: number | undefined;
    for (const s of this.#starts.values()) if (min === undefined || s < min) min = s;
    for (const ml of this.#ml.values()) {
      const s = ml.pendingStart();
      if (s !== undefined && (min === undefined || s < min)) min = s;
    }
    return min;
  }
}

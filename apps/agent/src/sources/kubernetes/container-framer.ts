// LineFramer for container runtime files: unwraps CRI (or Docker json-file) lines and joins partials.

import { CriJoiner, PartialJoiner, parseCriLine, parseDockerLine, type ContainerLine, type JoinedLine } from "@meshlog/pipeline";
import type { FramedLine, LineFramer } from "../file/line-framer.js";

/**
 * Uses the pipeline's envelope parsers and joiner. Lines that are neither CRI nor Docker pass through as
 * they are. The checkpoint may not pass the first part of a line still being joined (`pendingStart`).
 */
export class ContainerFramer implements LineFramer {
  readonly #joiner: PartialJoiner;
  readonly #starts = new Map<string, number>();

  constructor(maxBytes: number) {
    this.#joiner = new CriJoiner({ maxBytes });
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
    if (!this.#starts.has(parsed.stream)) this.#starts.set(parsed.stream, start);
    const joined = this.#joiner.push(parsed);
    if (joined === undefined) return [];
    this.#starts.delete(parsed.stream);
    return [this.#framed(joined, end)];
  }

  flush(): FramedLine[] {
    this.#starts.clear();
    return this.#joiner.flush().map((j) => this.#framed(j, 0));
  }

  pendingStart(): number | undefined {
    let min: number | undefined;
    for (const s of this.#starts.values()) if (min === undefined || s < min) min = s;
    return min;
  }
}

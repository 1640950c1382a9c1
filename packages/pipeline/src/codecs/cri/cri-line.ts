// Kubernetes CRI container log lines (`2024-01-01T00:00:00.123456789Z stdout F msg`) and the partial-line joiner.

import { PartialJoiner, type ContainerLine } from "../partial-joiner.js";
import { parseRfc3339Fast } from "../fast-time.js";

/** A parsed CRI line; `tags` is the raw tag field (`F`, `P`, or future `F:x` forms). */
export interface CriLine extends ContainerLine {
  tags: string;
}

/**
 * Parses `<RFC3339Nano> <stdout|stderr> <tags> <content>`; undefined when the line is not CRI. The content
 * may be empty. The timestamp may have 0-9 fractional digits and a `Z` or `+hh:mm` offset.
 */
export function parseCriLine(line: string): CriLine | undefined {
  const a = line.indexOf(" ");
  if (a < 20 || a > 40) return undefined;
  const b = line.indexOf(" ", a + 1);
  if (b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  let c = line.indexOf(" ", b + 1);
  if (c < 0) c = line.length;
  const tags = line.slice(b + 1, c);
  const first = tags.split(":", 1)[0];
  if (first !== "F" && first !== "P") return undefined;
  const timestamp = parseRfc3339Fast(line.slice(0, a));
  if (timestamp === undefined) return undefined;
  let content = c < line.length ? line.slice(c + 1) : "";
  if (content.endsWith("\n")) content = content.slice(0, -1);
  return { timestamp, stream, tags, partial: first === "P", content };
}

/** Joins CRI `P` lines up to the next `F` line of the same stream (one joiner per log file). */
export class CriJoiner extends PartialJoiner {
  /** Parses and feeds one raw line; undefined while a line is incomplete or when the text is not CRI. */
  pushLine(line: string): (ContainerLine & { truncated?: boolean }) | undefined {
    const parsed = parseCriLine(line);
    return parsed === undefined ? undefined : this.push(parsed);
  }
}

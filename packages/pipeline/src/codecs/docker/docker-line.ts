// Docker json-file log lines (`{"log":"...\n","stream":"stdout","time":"..."}`) and their partial-line joiner.

import { PartialJoiner, type ContainerLine } from "../partial-joiner.js";
import { parseRfc3339Fast } from "../fast-time.js";
import { safeKey } from "../safe-key.js";

/** A parsed json-file line; `attrs` holds `--log-opt labels/env` values when present. */
export interface DockerLine extends ContainerLine {
  attrs: Record<string, string>;
}

/** True when a parsed JSON object is a Docker json-file entry. */
export function isDockerObject(o: Record<string, unknown>): boolean {
  return typeof o.log === "string" && typeof o.stream === "string" && typeof o.time === "string";
}

/** Builds a DockerLine from a parsed object; undefined when it is not a json-file entry. */
export function dockerLineOf(o: Record<string, unknown>): DockerLine | undefined {
  if (!isDockerObject(o)) return undefined;
  const timestamp = parseRfc3339Fast(o.time as string);
  if (timestamp === undefined) return undefined;
  const log = o.log as string;
  const partial = !log.endsWith("\n");
  const attrs: Record<string, string> = {};
  if (o.attrs !== null && typeof o.attrs === "object" && !Array.isArray(o.attrs)) {
    for (const [k, v] of Object.entries(o.attrs as Record<string, unknown>)) if (typeof v === "string") attrs[safeKey(k)] = v;
  }
  return { timestamp, stream: o.stream as string, partial, content: partial ? log : log.slice(0, log.endsWith("\r\n") ? -2 : -1), attrs };
}

/** Parses one json-file line; undefined when it is not one. Never throws. */
export function parseDockerLine(line: string): DockerLine | undefined {
  if (line.charCodeAt(0) !== 123) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? dockerLineOf(v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Joins json-file lines whose `log` lacks the trailing newline (split at 16 KiB) per stream. */
export class DockerJoiner extends PartialJoiner {
  /** Parses and feeds one raw line; undefined while a line is incomplete or when the text is not json-file. */
  pushLine(line: string): (ContainerLine & { truncated?: boolean }) | undefined {
    const parsed = parseDockerLine(line);
    return parsed === undefined ? undefined : this.push(parsed);
  }
}

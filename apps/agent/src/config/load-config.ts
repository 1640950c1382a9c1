// Loads the agent config: env interpolation, YAML with positions, strict schemas, errors with file:line.

import { readFile } from "node:fs/promises";
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { MeshlogError } from "@meshlog/core";
import { AgentErrors } from "../errors.js";
import type { SinkDefinition, SourceDefinition } from "../contracts.js";
import type { AgentTransformDefinition } from "../transforms/index.js";
import { agentConfigSchema, type AgentConfigRaw } from "./agent-config-schema.js";
import { interpolateEnv } from "./interpolate.js";

export interface ResolvedComponent<D> {
  readonly name: string;
  readonly type: string;
  readonly def: D;
  /** Output of the component's configSchema (defaults applied). */
  readonly config: unknown;
}

export interface AgentConfig {
  readonly file: string;
  readonly data_dir: string;
  readonly log_level: AgentConfigRaw["log_level"];
  readonly api: AgentConfigRaw["api"];
  readonly labels: Record<string, string>;
  readonly fields: Record<string, string>;
  readonly buffer: { max_size: number; segment_size: number; when_full: "block" | "drop_oldest"; sync: boolean };
  readonly checkpoint_interval: number;
  readonly retry: { initial_backoff: number; max_backoff: number };
  readonly sources: readonly ResolvedComponent<SourceDefinition>[];
  readonly transforms: readonly ResolvedComponent<AgentTransformDefinition>[];
  readonly sinks: readonly ResolvedComponent<SinkDefinition>[];
}

export interface Registries {
  readonly sources: readonly SourceDefinition<never>[];
  readonly transforms: readonly AgentTransformDefinition[];
  readonly sinks: readonly SinkDefinition<never>[];
}

type PathKey = string | number;

class Locator {
  readonly #doc: Document;
  readonly #lc: LineCounter;
  readonly #file: string;
  constructor(doc: Document, lc: LineCounter, file: string) {
    this.#doc = doc;
    this.#lc = lc;
    this.#file = file;
  }
  #pos(offset: number | undefined): string {
    if (offset === undefined) return this.#file;
    const p = this.#lc.linePos(offset);
    return `${this.#file}:${p.line}:${p.col}`;
  }
  /** file:line:col of the value at `path` (or of its closest existing parent). */
  at(path: readonly PathKey[]): string {
    for (let n = path.length; n >= 0; n--) {
      const node = this.#doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range !== undefined) return this.#pos(node.range[0]);
    }
    return this.#file;
  }
  /** file:line:col of the key `key` inside the map at `path`. */
  keyAt(path: readonly PathKey[], key: string): string {
    const map = path.length === 0 ? this.#doc.contents : this.#doc.getIn(path, true);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return this.#pos(pair.key.range?.[0]);
      }
    }
    return this.at(path);
  }
}

function pathText(path: readonly PathKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PathKey[], loc: Locator): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push(`${loc.keyAt(path, key)}: unknown key "${pathText([...path, key])}"`);
    } else {
      out.push(`${loc.at(path)}: ${pathText(path) || "(top level)"}: ${issue.message}`);
    }
  }
  return out;
}

function resolveComponent<D extends { type: string; configSchema: z.ZodType<unknown> }>(
  kind: string,
  name: string,
  section: { type: string } & Record<string, unknown>,
  path: PathKey[],
  registry: readonly D[],
  loc: Locator,
  errors: string[],
): ResolvedComponent<D> | undefined {
  const def = registry.find((d) => d.type === section.type);
  if (def === undefined) {
    errors.push(
      `${loc.at([...path, "type"])}: ${pathText([...path, "type"])}: unknown ${kind} type "${section.type}" (known: ${registry.map((d) => d.type).join(", ")})`,
    );
    return undefined;
  }
  const { type: _type, ...rest } = section;
  const parsed = def.configSchema.safeParse(rest);
  if (!parsed.success) {
    errors.push(...describeIssues(parsed.error.issues, path, loc));
    return undefined;
  }
  return { name, type: def.type, def, config: parsed.data };
}

/** Parses config text. `file` is used in error messages only. */
export function parseConfigText(text: string, file: string, env: Readonly<Record<string, string | undefined>>, registries: Registries): AgentConfig {
  const lc = new LineCounter();
  const doc = parseDocument(interpolateEnv(text, env, file), { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const p = e?.pos === undefined ? undefined : lc.linePos(e.pos[0]);
    throw new MeshlogError(
      AgentErrors.AGENT_CONFIG_UNREADABLE,
      `${file}${p === undefined ? "" : `:${p.line}:${p.col}`}: not valid YAML: ${e?.message ?? "parse error"}`,
    );
  }
  const loc = new Locator(doc, lc, file);
  const top = agentConfigSchema.safeParse(doc.toJS() ?? {});
  if (!top.success) {
    throw new MeshlogError(AgentErrors.AGENT_CONFIG_INVALID, `Invalid agent config:\n${describeIssues(top.error.issues, [], loc).join("\n")}`);
  }
  const raw = top.data;
  const errors: string[] = [];
  const sources = Object.entries(raw.sources).flatMap(
    ([name, s]) => resolveComponent("source", name, s, ["sources", name], registries.sources as readonly SourceDefinition[], loc, errors) ?? [],
  );
  const transforms = raw.transforms.flatMap(
    (t, i) => resolveComponent("transform", `transforms[${i}]`, t, ["transforms", i], registries.transforms, loc, errors) ?? [],
  );
  const sinks = Object.entries(raw.sinks).flatMap(
    ([name, s]) => resolveComponent("sink", name, s, ["sinks", name], registries.sinks as readonly SinkDefinition[], loc, errors) ?? [],
  );
  if (Object.keys(raw.sources).length === 0) errors.push(`${loc.at(["sources"])}: sources: at least one source is required`);
  if (Object.keys(raw.sinks).length === 0) errors.push(`${loc.at(["sinks"])}: sinks: at least one sink is required`);
  const segment = raw.buffer.segment_size ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(raw.buffer.max_size / 8)));
  if (raw.buffer.max_size < 4 * segment)
    errors.push(`${loc.at(["buffer", "max_size"])}: buffer.max_size must be at least 4 x buffer.segment_size (${segment} bytes)`);
  if (errors.length > 0) throw new MeshlogError(AgentErrors.AGENT_CONFIG_INVALID, `Invalid agent config:\n${errors.join("\n")}`);
  return {
    file,
    data_dir: raw.data_dir,
    log_level: raw.log_level,
    api: raw.api,
    labels: raw.labels,
    fields: raw.fields,
    buffer: { max_size: raw.buffer.max_size, segment_size: segment, when_full: raw.buffer.when_full, sync: raw.buffer.sync },
    checkpoint_interval: raw.checkpoint_interval,
    retry: raw.retry,
    sources,
    transforms,
    sinks,
  };
}

/** Reads and validates a config file. */
export async function loadConfig(file: string, env: Readonly<Record<string, string | undefined>>, registries: Registries): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new MeshlogError(AgentErrors.AGENT_CONFIG_UNREADABLE, `Cannot read agent config "${file}": ${(cause as Error).message}`, { cause });
  }
  return parseConfigText(text, file, env, registries);
}

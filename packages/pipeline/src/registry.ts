// The transform registry: an explicit array of components, and chains built from config (agent YAML).

import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { Transform, TransformContext, TransformDefinition } from "./contracts.js";
import { PipelineErrors } from "./errors.js";
import { parseConfig } from "./parse-config.js";
import { addFieldsTransform } from "./transforms/add-fields/index.js";
import { dropTransform } from "./transforms/drop/index.js";
import { labelsTransform } from "./transforms/labels/index.js";
import { parseTransform } from "./transforms/parse/index.js";
import { redactTransform } from "./transforms/redact/index.js";
import { sampleTransform } from "./transforms/sample/index.js";

/** Every built-in transform. Registering one is one line here. */
export const TRANSFORMS: readonly TransformDefinition<never>[] = [
  parseTransform as TransformDefinition<never>,
  labelsTransform as TransformDefinition<never>,
  redactTransform as TransformDefinition<never>,
  dropTransform as TransformDefinition<never>,
  sampleTransform as TransformDefinition<never>,
  addFieldsTransform as TransformDefinition<never>,
];

/** One configured step: `{ type: "redact", ...config }` as written in YAML. */
export type TransformSpec = { type: string } & Record<string, unknown>;

/** A chain of transforms applied in order. */
export interface TransformChain extends Transform {
  readonly steps: readonly { type: string; transform: Transform }[];
}

/** Looks up transform definitions by type and creates configured transforms. */
export class TransformRegistry {
  readonly #defs = new Map<string, TransformDefinition<never>>();

  constructor(definitions: readonly TransformDefinition<never>[] = TRANSFORMS) {
    for (const d of definitions) {
      if (this.#defs.has(d.type)) throw new Error(`BUG: transform type "${d.type}" registered twice`);
      this.#defs.set(d.type, d);
    }
  }

  /** Registered types, in registration order. */
  types(): string[] {
    return [...this.#defs.keys()];
  }

  get(type: string): TransformDefinition<never> | undefined {
    return this.#defs.get(type);
  }

  /**
   * Validates `spec` against its type's schema and creates the transform. `where` prefixes errors
   * (e.g. `agent.yaml transforms[2]`). Throws PIPELINE_TRANSFORM_UNKNOWN or PIPELINE_CONFIG_INVALID.
   */
  create(spec: unknown, ctx: TransformContext, where = "transform"): Transform {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, `${where}: must be an object with a "type" key`);
    }
    const { type, ...config } = spec as Record<string, unknown>;
    if (typeof type !== "string")
      throw new MeshlogError(PipelineErrors.PIPELINE_CONFIG_INVALID, `${where}: "type" is required (one of ${this.types().join(", ")})`);
    const def = this.#defs.get(type);
    if (def === undefined) {
      throw new MeshlogError(PipelineErrors.PIPELINE_TRANSFORM_UNKNOWN, `${where}: unknown transform type "${type}" (known: ${this.types().join(", ")})`);
    }
    const parsed = parseConfig(def.configSchema, config, `${where} (${type})`);
    try {
      return def.create(parsed as never, ctx);
    } catch (err) {
      if (err instanceof MeshlogError) throw new MeshlogError(err.code, `${where} (${type}): ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** Builds a chain from a list of specs; errors name the index (`transforms[1] (drop): ...`). */
  buildChain(specs: readonly unknown[], ctx: TransformContext, where = "transforms"): TransformChain {
    const steps = specs.map((s, i) => ({ type: (s as { type?: unknown } | null)?.type as string, transform: this.create(s, ctx, `${where}[${i}]`) }));
    return {
      steps,
      process(records: LogRecord[]): LogRecord[] {
        let out = records;
        for (const s of steps) {
          if (out.length === 0) break;
          out = s.transform.process(out);
        }
        return out;
      },
    };
  }
}

/** The registry with every built-in transform. */
export const defaultTransformRegistry = new TransformRegistry();

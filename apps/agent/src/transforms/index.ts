// Transform registry of the agent: the shared pipeline's transform components, one line each.

import type { LogRecord, Logger } from "@meshlog/core";
import type { z } from "zod";

/** Same shape as the pipeline's TransformDefinition: `{ type, configSchema, create(config, ctx) }`. */
export interface AgentTransformDefinition {
  readonly type: string;
  readonly configSchema: z.ZodType<unknown>;
  create(config: never, ctx: { readonly logger: Logger }): { process(records: LogRecord[]): LogRecord[] };
}

export const TRANSFORMS: readonly AgentTransformDefinition[] = [];

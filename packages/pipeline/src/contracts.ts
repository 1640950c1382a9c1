// Transform contract: a transform component is `{ type, configSchema, create(config, ctx) }`.

import type { Logger, LogRecord } from "@meshlog/core";
import type { z } from "zod";

/** What a transform gets when it is created. */
export interface TransformContext {
  readonly logger: Logger;
}

/**
 * A configured transform step. `process` may mutate the records it is given and returns the records
 * to pass on (a subset, the same array, or new records). It must not throw for a bad record; it keeps or
 * drops it and may log.
 */
export interface Transform {
  process(records: LogRecord[]): LogRecord[];
}

/**
 * A transform component. `configSchema` is a strict zod object with defaults and descriptions: it parses
 * the user's config (without the `type` key) into `C`.
 */
export interface TransformDefinition<C = unknown> {
  readonly type: string;
  readonly description: string;
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: TransformContext): Transform;
}

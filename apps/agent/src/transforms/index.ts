// Transform registry of the agent: the shared pipeline's transform components (parse, labels, redact, drop, sample, add_fields).

import { TRANSFORMS as PIPELINE_TRANSFORMS, type TransformDefinition } from "@meshlog/pipeline";

export type AgentTransformDefinition = TransformDefinition<never>;

export const TRANSFORMS: readonly AgentTransformDefinition[] = PIPELINE_TRANSFORMS;

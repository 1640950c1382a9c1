// Public surface of @meshlog/query: LogQL language, regex safety and the query engine.
export * from "./errors.js";
export * from "./language/ast.js";
export { parseExpr, parseSelector, MAX_NESTING } from "./language/parser.js";
export { formatExpr, formatMatchers, formatLogExpr } from "./language/formatter.js";
export { tokenize, type Token } from "./language/lexer.js";
export { SafeRegex } from "./regex/safe-regex.js";
export { GoTemplate } from "./template/go-template.js";
export { compilePipeline, type LogPipeline, type PipelineEntry } from "./pipeline/log-pipeline.js";
export { LabelsBuilder } from "./pipeline/labels-builder.js";
export { QueryEngine, type MetadataRequest } from "./executor/query-engine.js";
export * from "./executor/query-types.js";
export type { DetectedField, IndexStats } from "./executor/metadata.js";
export { analyze, validateSelector, matchesEmpty } from "./language/analyzer.js";
export { parseTimeParam, parseStepParam } from "./executor/time-params.js";
export { compileMatchers } from "./pipeline/label-filter.js";
export { metadataOf } from "./executor/query-context.js";

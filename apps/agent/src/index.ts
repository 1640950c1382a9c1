// Public surface of @meshlog/agent: the entry point, the component contracts and registries.

export { main, REGISTRIES } from "./main.js";
export { Agent, type AgentOptions } from "./runtime/agent.js";
export { loadConfig, parseConfigText, type AgentConfig, type Registries } from "./config/load-config.js";
export type { Sink, SinkContext, SinkDefinition, SinkResult, Source, SourceContext, SourceDefinition } from "./contracts.js";
export { AgentErrors } from "./errors.js";

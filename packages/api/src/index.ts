// Public surface of @meshlog/api: one contract for server, CLI, web and agent.
export * from "./loki-types.js";
export * from "./admin-types.js";
export * from "./alerting-types.js";
export * from "./anomaly-types.js";
export * from "./retention-types.js";
export * from "./client.js";

// Public surface of @meshlog/core.
export * from "./errors.js";
export * from "./time.js";
export * from "./severity.js";
export * from "./labels.js";
export * from "./record.js";
export * from "./clock.js";
export * from "./logger.js";
export * from "./text-bloom.js";

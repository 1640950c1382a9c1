// Public surface of @meshlog/storage.
export * from "./contract.js";
export * from "./errors.js";
export { MemoryStore } from "./testing/memory-store.js";
export type { FileSystem, FileHandle, FileStat } from "./io/file-system.js";
export { NodeFileSystem } from "./io/node-file-system.js";

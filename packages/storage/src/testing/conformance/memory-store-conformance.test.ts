// Runs the LogStore conformance suite against the in-memory reference store.

import { MemoryStore } from "../memory-store.js";
import { runLogStoreConformance } from "./log-store-conformance.js";

await runLogStoreConformance("MemoryStore", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));

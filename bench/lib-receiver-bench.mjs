// Shared scaffolding of the receiver benchmarks: command-line options, a counting null store and the server
// context a receiver module needs (no auth unless given, no audit, silent logger).

import { IngestWriter } from "../apps/server/dist/ingest/ingest-writer.js";
import { MetricsRegistry } from "../apps/server/dist/features/metrics/metrics-registry.js";
import { serverConfigSchema } from "../apps/server/dist/config/server-config.js";
import { silentLogger, systemClock } from "@meshlog/core";

/** `opt("seconds", "3")` reads `--seconds N` from the command line, else the default. */
export function benchOptions(argv = process.argv.slice(2)) {
  return (name, def) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
  };
}

/** A store that keeps nothing: append resolves at once and counts the records (`store.stored`). */
export function countingNullStore() {
  const store = {
    stored: 0,
    async append(_tenant, records) {
      store.stored += records.length;
    },
    async streams() {
      return [];
    },
    async *select() {},
    tail() {
      return () => {};
    },
    async tenants() {
      return [];
    },
    async stats(t) {
      return { tenant: t, streams: 0, blocks: 0, records: 0, storedBytes: 0 };
    },
    async flush() {},
    async close() {},
  };
  return store;
}

/** The server context for one bench case: `settings` go through the real config schema. */
export function benchServerContext(dataDir, settings, store, authenticate = async () => undefined) {
  const metrics = new MetricsRegistry();
  return {
    config: serverConfigSchema.parse({ dataDir, adminToken: "bench", ...settings }),
    dataDir,
    store,
    log: silentLogger,
    clock: systemClock,
    auth: { authenticate },
    audit: { record() {}, async flush() {} },
    metrics,
    ingest: new IngestWriter(store, metrics, silentLogger),
    services: new Map(),
  };
}

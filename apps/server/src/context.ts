// The services every server module and route receives (the composition root builds it in main.ts).

import type { Clock, Logger } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import type { ServerConfig } from "./config/server-config.js";
import type { AuditSink } from "./features/audit/audit-sink.js";
import type { Authenticator } from "./features/auth/principal.js";
import type { MetricsRegistry } from "./features/metrics/metrics-registry.js";
import type { IngestWriter } from "./ingest/ingest-writer.js";

export interface ServerContext {
  readonly config: ServerConfig;
  /** Absolute data folder. */
  readonly dataDir: string;
  readonly store: LogStore;
  readonly log: Logger;
  readonly clock: Clock;
  /** Resolves secrets (tokens, API keys, shared keys) to principals. Replaceable by the security feature. */
  auth: Authenticator;
  audit: AuditSink;
  readonly metrics: MetricsRegistry;
  /** The one way receivers write records: limits, redaction, label rules, then durable append. */
  readonly ingest: IngestWriter;
  /** Extension slots that features fill for each other (e.g. "tokens", "queryEngine"). */
  readonly services: Map<string, unknown>;
}

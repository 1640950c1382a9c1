// Audit sink that appends events as records of the reserved audit tenant, batched, through the log store.

import { AUDIT_TENANT, type Clock, type Logger, type LogRecord } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import type { AuditEvent, AuditSink } from "./audit-sink.js";

export class StoreAuditSink implements AuditSink {
  readonly #store: LogStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  #pending: LogRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> = Promise.resolve();

  constructor(store: LogStore, clock: Clock, log: Logger) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  record(event: AuditEvent): void {
    const now = this.#clock.nowNs();
    const attributes: Record<string, string> = { principal: event.principal, tenant: event.tenant, result: event.result };
    if (event.remoteAddress !== undefined) attributes["client.address"] = event.remoteAddress;
    if (event.method !== undefined) attributes["http.method"] = event.method;
    if (event.route !== undefined) attributes["http.route"] = event.route;
    if (event.status !== undefined) attributes["http.status_code"] = String(event.status);
    if (event.rows !== undefined) attributes.rows = String(event.rows);
    for (const [k, v] of Object.entries(event.details ?? {})) attributes[`detail.${k}`] = String(v);
    this.#pending.push({
      timestamp: now,
      observedTimestamp: now,
      severityNumber: event.result === "ok" ? 9 : 13,
      severityText: event.result === "ok" ? "INFO" : "WARN",
      body: JSON.stringify({ ...event, time: undefined }),
      attributes,
      resource: { "service.name": "meshlog" },
      traceId: "",
      spanId: "",
      tenant: AUDIT_TENANT,
      labels: { source: "audit", action: event.action.split(".")[0] ?? event.action, result: event.result },
    });
    if (this.#pending.length >= 256) void this.#drain();
    else this.#timer ??= setTimeout(() => void this.#drain(), 100).unref();
  }

  #drain(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#inflight;
    this.#inflight = this.#inflight
      .then(() => this.#store.append(AUDIT_TENANT, batch))
      .catch((err: unknown) => {
        // Keep the events: they are retried with the next batch rather than lost.
        this.#pending.unshift(...batch);
        this.#log.error("audit events could not be written; retrying", { err: err as Error, events: batch.length });
        // Unref'd: a server that failed to start (store closed) must still be able to exit.
        this.#timer ??= setTimeout(() => void this.#drain(), 1000).unref();
      });
    return this.#inflight;
  }

  async flush(): Promise<void> {
    await this.#drain();
    await this.#inflight;
  }
}

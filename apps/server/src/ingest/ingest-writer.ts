// The single write path of the server: every receiver hands records here; they are checked, redacted,
// labelled and appended durably. Resolves only when the store has made them durable.

import { recordSize, type Logger, type LogRecord } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import type { MetricsRegistry, Counter } from "../features/metrics/metrics-registry.js";

/** A step applied to records before they are stored (redaction, label rules, enrichment). Mutates in place. */
export type RecordProcessor = (records: LogRecord[]) => LogRecord[];

/** Rejects a write before it is stored (rate limits, stream limits); throws MeshlogError. */
export type WriteGuard = (tenant: string, records: readonly LogRecord[], bytes: number) => void;

export class IngestWriter {
  readonly #store: LogStore;
  readonly #processors: RecordProcessor[] = [];
  readonly #guards: WriteGuard[] = [];
  readonly #observers: ((tenant: string, records: readonly LogRecord[]) => void)[] = [];
  readonly #received: Counter;
  readonly #bytes: Counter;
  readonly #rejected: Counter;
  #bus: { publish(tenant: string, records: readonly LogRecord[]): Promise<void> } | undefined;

  constructor(store: LogStore, metrics: MetricsRegistry, _log: Logger) {
    this.#store = store;
    this.#received = metrics.counter("meshlog_ingest_records_total", "Records accepted and stored, by receiver and tenant.");
    this.#bytes = metrics.counter("meshlog_ingest_bytes_total", "Approximate bytes of records stored, by receiver and tenant.");
    this.#rejected = metrics.counter("meshlog_ingest_rejected_total", "Records rejected, by receiver and reason.");
  }

  /** Adds a processing step (runs in registration order). */
  use(p: RecordProcessor): void {
    this.#processors.push(p);
  }

  /** Adds a check run before anything is stored. */
  guard(g: WriteGuard): void {
    this.#guards.push(g);
  }

  /** Adds an observer told about every batch once it is durable (source inventory, live statistics). */
  onStored(fn: (tenant: string, records: readonly LogRecord[]) => void): void {
    this.#observers.push(fn);
  }

  /**
   * Scale-out wiring (bus.kind nats): write() publishes processed batches to the ingest bus and resolves on the
   * bus's durable ack instead of appending to the store; the bus writer calls committed() after its store append.
   */
  routeTo(bus: { publish(tenant: string, records: readonly LogRecord[]): Promise<void> } | undefined): void {
    this.#bus = bus;
  }

  /** Tells the onStored observers about a batch the bus writer has committed to the store. */
  committed(tenant: string, records: readonly LogRecord[]): void {
    for (const o of this.#observers) o(tenant, records);
  }

  /** Counts rejected records (for receivers that reject items themselves). */
  countRejected(receiver: string, reason: string, n = 1): void {
    this.#rejected.inc({ receiver, reason }, n);
  }

  /** Processes and durably appends records of one tenant. Throws MeshlogError on limits/backpressure. */
  async write(receiver: string, tenant: string, records: LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    let bytes = 0;
    for (const r of records) bytes += recordSize(r);
    for (const g of this.#guards) g(tenant, records, bytes);
    let out = records;
    for (const p of this.#processors) out = p(out);
    if (this.#bus !== undefined) {
      await this.#bus.publish(tenant, out);
      this.#received.inc({ receiver, tenant }, out.length);
      this.#bytes.inc({ receiver, tenant }, bytes);
      return;
    }
    await this.#store.append(tenant, out);
    this.#received.inc({ receiver, tenant }, out.length);
    this.#bytes.inc({ receiver, tenant }, bytes);
    for (const o of this.#observers) o(tenant, out);
  }
}

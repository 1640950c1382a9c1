// The ingest bus seam (DESIGN §8): receivers publish processed batches to a durable bus; writers consume them
// and commit them to the store. Not configured (bus.kind none), receivers append to the store directly.

import type { LogRecord } from "@meshlog/core";

/**
 * Commits one delivered batch to the store. Resolves once the records are durable there; rejecting means
 * "not committed" and the batch is tried again (the bus never drops a batch the committer refused).
 */
export type BusCommitter = (tenant: string, records: LogRecord[]) => Promise<void>;

/**
 * A durable, replicated queue of record batches between receivers and store writers.
 *
 * Delivery guarantee: at least once. publish() resolves only when the bus has stored the batch durably
 * (for JetStream: the stream's quorum acknowledged it), so the receiver may acknowledge its client; a batch
 * is removed from the bus only after a committer resolved for it. Duplicates are suppressed where it is cheap
 * (redeliveries of batches this process already committed); docs/scale-out.md lists when one can still occur.
 * Per stream, batches are committed in the order the bus holds them (except a delivery lost in flight when a
 * bus node dies, which comes back after the redelivery timeout; see docs/scale-out.md).
 */
export interface IngestBus {
  /** Implementation name, e.g. "nats". */
  readonly kind: string;
  /**
   * Publishes one tenant's processed records. Resolves once durable in the bus. Rejects with BUS_UNAVAILABLE
   * (503, retry) when the bus cannot confirm in time, BUS_RECORD_TOO_LARGE (413) for a record over the message limit.
   */
  publish(tenant: string, records: readonly LogRecord[]): Promise<void>;
  /** Starts consuming: every batch is handed to `commit` and acknowledged to the bus after it resolves. Call once. */
  start(commit: BusCommitter): Promise<void>;
  /** True while the bus connection is up (publishes can succeed). */
  connected(): boolean;
  /** Stops consuming (the batches in hand are committed or left for redelivery), then disconnects. */
  close(): Promise<void>;
}

// Component contracts of the agent: sources and sinks are `{ type, configSchema, create(config, ctx) }`.

import type { Clock, LogRecord, Logger } from "@meshlog/core";
import type { z } from "zod";
import type { Metrics } from "./runtime/metrics.js";

/** What a source gets when it is created. */
export interface SourceContext {
  /** The source's name in the config (`sources.<name>`). */
  readonly name: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Static record fields from the top-level config (cluster, region, platform) are applied by the runtime. */
  readonly dataDir: string;
  /** This source's checkpoints as last recorded in the disk buffer (key without the source prefix). */
  checkpoints(): Map<string, unknown>;
  /**
   * Hands records to the transforms and the disk buffer. Resolves once they are in the buffer; while the
   * buffer is full (block policy) it does not resolve, which is how a source pauses. `checkpoints` are
   * stored in the same buffer frame as the records, so they become durable exactly when the records do
   * (a value of null deletes the key).
   */
  emit(records: LogRecord[], checkpoints?: Record<string, unknown>): Promise<void>;
  /** True while the buffer is at its cap: network sources answer with backpressure (429/503, paused reads). */
  isFull(): boolean;
}

/** A running source. */
export interface Source {
  /** Starts reading; resolves once listening / the first scan is done. Errors name the source. */
  start(): Promise<void>;
  /** Stops reading and waits until in-flight emits finished; positions are already in the buffer. */
  stop(): Promise<void>;
  /** Bound address of network sources (tests use port 0). */
  address?(): { host: string; port: number } | undefined;
}

export interface SourceDefinition<C = unknown> {
  readonly type: string;
  readonly description: string;
  /** A strict zod object without the `type` key; parses user config into C (defaults applied). */
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: SourceContext): Source;
}

/**
 * A sink's answer for one batch (vector-style finalizers): the buffer cursor advances on `delivered` and
 * `rejected`, never on `retry`. `delivered` may carry per-record rejections the destination reported.
 */
export type SinkResult =
  | { readonly status: "delivered"; readonly rejected?: readonly { readonly index: number; readonly error: string }[] }
  | { readonly status: "retry"; readonly reason: string; readonly afterMs?: number }
  | { readonly status: "rejected"; readonly reason: string };

export interface SinkContext {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface Sink {
  /** Sends one batch. Must not throw for destination errors: answer retry or rejected instead. */
  send(records: readonly LogRecord[]): Promise<SinkResult>;
  close(): Promise<void>;
}

/** Batch limits every sink config accepts (see `batchSchema`). */
export interface BatchConfig {
  readonly max_records: number;
  readonly max_bytes: number;
}

export interface SinkDefinition<C extends { batch: BatchConfig } = { batch: BatchConfig }> {
  readonly type: string;
  readonly description: string;
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: SinkContext): Sink;
}

// Composition of a running agent: checkpoints, disk buffer, sources -> transforms -> buffer -> sinks.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, type Clock, type LogRecord, type Logger } from "@meshlog/core";
import { DiskBuffer } from "../buffer/disk-buffer.js";
import { CheckpointStore } from "../checkpoints/checkpoint-store.js";
import type { AgentConfig } from "../config/load-config.js";
import { splitHostPort } from "../config/units.js";
import type { BatchConfig, Source, SourceContext } from "../contracts.js";
import { ApiServer } from "./api-server.js";
import { M, Metrics } from "./metrics.js";
import { SinkRunner, type RetryPolicy } from "./sink-runner.js";

export interface AgentOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
}

interface Stage {
  readonly name: string;
  process(records: LogRecord[]): LogRecord[];
}

/** Settings that need a restart to change (the buffer files live under data_dir). */
function restartKey(c: AgentConfig): string {
  return JSON.stringify([c.data_dir, c.buffer, c.api]);
}

/**
 * Lifecycle: start() opens the buffer and checkpoints, then starts sinks before sources. reload() stops
 * sources (their data is already in the buffer) and sinks, swaps the pipeline and starts the new ones on
 * the same buffer, so nothing buffered is lost. stop() is the reverse of start().
 */
export class Agent {
  readonly metrics = new Metrics();
  readonly #o: AgentOptions;
  readonly #clock: Clock;
  #config: AgentConfig;
  #checkpoints!: CheckpointStore;
  #buffer!: DiskBuffer;
  #api: ApiServer | undefined;
  #sources = new Map<string, Source>();
  /** Aborted when sources stop, so an emit waiting for buffer space gives up instead of racing a successor. */
  #sourceStop = new AbortController();
  #runners: SinkRunner[] = [];
  #stages: Stage[] = [];
  #timer: NodeJS.Timeout | undefined;

  private constructor(config: AgentConfig, o: AgentOptions) {
    this.#config = config;
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  static async start(config: AgentConfig, o: AgentOptions): Promise<Agent> {
    const a = new Agent(config, o);
    await a.#open();
    return a;
  }

  get buffer(): DiskBuffer {
    return this.#buffer;
  }

  async #open(): Promise<void> {
    const c = this.#config;
    await mkdir(c.data_dir, { recursive: true });
    this.#checkpoints = await CheckpointStore.load(c.data_dir);
    this.#buffer = await DiskBuffer.open({
      dir: join(c.data_dir, "buffer"),
      maxBytes: c.buffer.max_size,
      segmentBytes: c.buffer.segment_size,
      whenFull: c.buffer.when_full,
      sync: c.buffer.sync,
      readers: c.sinks.map((s) => s.name),
      checkpoints: this.#checkpoints,
      logger: this.#o.logger,
      metrics: this.metrics,
    });
    await this.#checkpoints.persist();
    if (c.api.enabled) {
      this.#api = new ApiServer(this.metrics, () => this.#health());
      const { host, port } = splitHostPort(c.api.address);
      await this.#api.listen(host, port);
    }
    this.#timer = setInterval(() => {
      this.#checkpoints.persist().catch((err: unknown) => this.#o.logger.error("cannot persist checkpoints", { error: err as Error }));
    }, c.checkpoint_interval);
    this.#timer.unref();
    await this.#startComponents();
    this.#o.logger.info("agent started", {
      config: c.file,
      sources: c.sources.map((s) => `${s.name}:${s.type}`),
      sinks: c.sinks.map((s) => `${s.name}:${s.type}`),
    });
  }

  /** `degraded` while the buffer is full or a sink is retrying; the HTTP status stays 200 (liveness). */
  #health(): { status: "ok" | "degraded"; [k: string]: unknown } {
    const sinks = this.#runners.map((r) => r.status());
    const full = this.#buffer.isFull();
    return {
      status: full || sinks.some((s) => s.failing) ? "degraded" : "ok",
      bufferBytes: this.#buffer.totalBytes,
      bufferFull: full,
      sources: [...this.#sources.keys()],
      sinks,
    };
  }

  async #startComponents(): Promise<void> {
    const c = this.#config;
    const logger = this.#o.logger;
    this.#stages = c.transforms.map((t) => {
      const created = t.def.create(t.config as never, { logger });
      return { name: t.name, process: (r: LogRecord[]) => created.process(r) };
    });
    for (const s of c.sinks) {
      const sink = s.def.create(s.config as { batch: BatchConfig }, { name: s.name, logger, metrics: this.metrics });
      const { max_records: maxRecords, max_bytes: maxBytes } = (s.config as { batch: BatchConfig }).batch;
      const runner = new SinkRunner({
        name: s.name,
        sink,
        buffer: this.#buffer,
        maxRecords,
        maxBytes,
        logger,
        metrics: this.metrics,
        retry: this.#o.retry ?? { initialMs: c.retry.initial_backoff, maxMs: c.retry.max_backoff },
      });
      runner.start();
      this.#runners.push(runner);
    }
    for (const s of c.sources) {
      const source = s.def.create(s.config as never, this.#sourceContext(s.name));
      try {
        await source.start();
      } catch (err) {
        await source.stop().catch(() => undefined);
        throw err;
      }
      this.#sources.set(s.name, source);
    }
  }

  #sourceContext(name: string): SourceContext {
    const prefix = `${name}/`;
    const stop = this.#sourceStop.signal;
    const c = this.#config;
    return {
      name,
      logger: this.#o.logger,
      clock: this.#clock,
      metrics: this.metrics,
      dataDir: c.data_dir,
      checkpoints: () => this.#checkpoints.entries(prefix),
      isFull: () => this.#buffer.isFull(),
      emit: async (records, checkpoints) => {
        this.metrics.inc(...M.sourceRecords, { source: name }, records.length);
        let out = records;
        for (const r of out) {
          r.labels = { source: "agent", ...c.labels, ...r.labels };
          if (Object.keys(c.fields).length > 0) r.resource = { ...c.fields, ...r.resource };
        }
        for (const st of this.#stages) {
          try {
            out = st.process(out);
          } catch (err) {
            this.#o.logger.error("transform failed; records passed on unchanged", { transform: st.name, error: err as Error });
          }
        }
        if (out.length < records.length) this.metrics.inc(...M.transformDropped, { source: name }, records.length - out.length);
        let updates: Record<string, unknown> | undefined;
        if (checkpoints !== undefined) {
          updates = {};
          for (const [k, v] of Object.entries(checkpoints)) updates[prefix + k] = v;
        }
        await this.#buffer.write(out, updates, stop);
      },
    };
  }

  /** Bound address of a network source (tests). */
  sourceAddress(name: string): { host: string; port: number } | undefined {
    return this.#sources.get(name)?.address?.();
  }

  apiAddress(): { host: string; port: number } | undefined {
    return this.#api?.address();
  }

  async #stopComponents(): Promise<void> {
    this.#sourceStop.abort();
    for (const s of this.#sources.values()) await s.stop();
    this.#sourceStop = new AbortController();
    this.#sources.clear();
    for (const r of this.#runners) await r.stop();
    this.#runners = [];
  }

  /** Applies a new config without losing buffered data; buffer, data_dir and api changes need a restart. */
  async reload(next: AgentConfig): Promise<void> {
    if (restartKey(next) !== restartKey(this.#config)) {
      this.#o.logger.warn("data_dir, buffer and api settings change only on restart; other changes are applied", { config: next.file });
    }
    await this.#stopComponents();
    await this.#checkpoints.persist();
    const keep = { data_dir: this.#config.data_dir, buffer: this.#config.buffer, api: this.#config.api };
    this.#config = { ...next, ...keep };
    await this.#buffer.setReaders(next.sinks.map((s) => s.name));
    await this.#startComponents();
    this.#o.logger.info("config reloaded", { config: next.file });
  }

  /** Waits until every sink acknowledged everything buffered, or `timeoutMs` passed; true when drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#config.sinks.every((s) => this.#buffer.caughtUp(s.name))) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#stopComponents();
    await this.#buffer.close();
    await this.#api?.close();
    this.#o.logger.info("agent stopped");
  }
}

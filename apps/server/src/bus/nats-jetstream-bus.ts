// The NATS JetStream ingest bus: receivers publish batches to a replicated stream and answer their clients on
// JetStream's ack; a durable pull consumer feeds a BusWriter that commits to the store and acks after commit.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  AckPolicy,
  connect,
  credsAuthenticator,
  DeliverPolicy,
  Events,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConnectionOptions,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from "nats";
import { MeshlogError, type Logger, type LogRecord } from "@meshlog/core";
import { encodeBusBatches } from "./bus-batch-codec.js";
import { streamReplicas, type BusConfig } from "./bus-config.js";
import { BusWriter, type BusMessage } from "./bus-writer.js";
import { BusErrors } from "./errors.js";
import type { BusCommitter, IngestBus } from "./ingest-bus.js";

export interface NatsBusDeps {
  readonly log: Logger;
  /** Counts bus events (publish failures, commits, duplicates skipped...). */
  readonly count?: (event: string, n: number) => void;
}

/** Room left in a bus message for the NATS protocol and headers. */
const MESSAGE_OVERHEAD = 1024;
/** Unacknowledged deliveries one writer holds; with maxBatchBytes this bounds the writer's memory. */
const MAX_ACK_PENDING = 64;

function connectOptions(c: BusConfig): ConnectionOptions {
  const o: ConnectionOptions = {
    servers: c.servers,
    name: "meshlog-server",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5000,
    pingInterval: 10_000,
  };
  if (c.token !== "") o.token = c.token;
  if (c.user !== "") {
    o.user = c.user;
    o.pass = c.password;
  }
  if (c.credentialsFile !== "") {
    let creds: Uint8Array;
    try {
      creds = readFileSync(c.credentialsFile);
    } catch (err) {
      throw new MeshlogError(BusErrors.BUS_SETUP_FAILED, `Cannot read bus.credentialsFile ${c.credentialsFile}: ${(err as Error).message}`);
    }
    o.authenticator = credsAuthenticator(creds);
  }
  if (c.tlsCa !== "" || c.tlsCert !== "" || c.servers.some((s) => s.startsWith("tls://"))) {
    o.tls = {
      ...(c.tlsCa !== "" ? { caFile: c.tlsCa } : {}),
      ...(c.tlsCert !== "" ? { certFile: c.tlsCert, keyFile: c.tlsKey } : {}),
    };
  }
  return o;
}

/** The error receivers turn into 503 + Retry-After; it goes to clients, so it names no internal address. */
function unavailable(what: string, err: unknown): MeshlogError {
  return new MeshlogError(
    BusErrors.BUS_UNAVAILABLE,
    `Ingest bus unavailable: ${what}${err === undefined ? "" : ` (${(err as Error).message})`}; retry shortly`,
    {
      details: { retryAfterSeconds: 1 },
      ...(err === undefined ? {} : { cause: err }),
    },
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** IngestBus over NATS JetStream. Open with NatsJetStreamBus.connect(); see docs/scale-out.md. */
export class NatsJetStreamBus implements IngestBus {
  readonly kind = "nats";
  readonly #c: BusConfig;
  readonly #deps: NatsBusDeps;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  #connected = true;
  #closed = false;
  #writer: BusWriter | undefined;
  #messages: ConsumerMessages | undefined;
  #consuming: Promise<void> | undefined;
  readonly #events = new Map<string, number>();

  private constructor(c: BusConfig, deps: NatsBusDeps, nc: NatsConnection) {
    this.#c = c;
    this.#deps = deps;
    this.#nc = nc;
    this.#js = nc.jetstream();
    void this.#watchStatus();
  }

  /**
   * Connects, then creates the stream (subjects SUBJECTPREFIX.>, work-queue retention, file storage, the
   * configured replicas) and the durable consumer when they do not exist. Retries while the cluster elects
   * its JetStream leaders; fails with BUS_SETUP_FAILED naming the setting when it cannot.
   */
  static async connect(c: BusConfig, deps: NatsBusDeps, setupTimeoutMs = 30_000): Promise<NatsJetStreamBus> {
    let nc: NatsConnection;
    try {
      nc = await connect(connectOptions(c));
    } catch (err) {
      if (err instanceof MeshlogError) throw err;
      throw new MeshlogError(BusErrors.BUS_SETUP_FAILED, `Cannot connect to the ingest bus at bus.servers ${c.servers.join(",")}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const deadline = Date.now() + setupTimeoutMs;
    for (;;) {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 5000 });
        await NatsJetStreamBus.#ensureStream(jsm, c);
        await NatsJetStreamBus.#ensureConsumer(jsm, c);
        break;
      } catch (err) {
        if (err instanceof MeshlogError || Date.now() > deadline) {
          await nc.close();
          if (err instanceof MeshlogError) throw err;
          throw new MeshlogError(
            BusErrors.BUS_SETUP_FAILED,
            `Cannot set up JetStream stream ${c.stream} (bus.stream) at ${c.servers.join(",")}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        deps.log.info("waiting for JetStream to be ready", { error: (err as Error).message });
        await sleep(500);
      }
    }
    return new NatsJetStreamBus(c, deps, nc);
  }

  static async #ensureStream(jsm: JetStreamManager, c: BusConfig): Promise<void> {
    const subject = `${c.subjectPrefix}.>`;
    let exists = false;
    try {
      const info = await jsm.streams.info(c.stream);
      exists = true;
      if (!info.config.subjects.includes(subject)) {
        throw new MeshlogError(
          BusErrors.BUS_SETUP_FAILED,
          `JetStream stream ${c.stream} (bus.stream) exists but does not take subject ${subject} (bus.subjectPrefix); its subjects are ${info.config.subjects.join(",")}`,
        );
      }
    } catch (err) {
      if (exists || err instanceof MeshlogError || !/stream not found/i.test((err as Error).message)) throw err;
    }
    if (exists) return;
    await jsm.streams.add({
      name: c.stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: streamReplicas(c),
      duplicate_window: nanos(120_000),
    });
  }

  static async #ensureConsumer(jsm: JetStreamManager, c: BusConfig): Promise<void> {
    try {
      await jsm.consumers.info(c.stream, c.consumer);
      return;
    } catch (err) {
      if (!/consumer not found/i.test((err as Error).message)) throw err;
    }
    await jsm.consumers.add(c.stream, {
      durable_name: c.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(c.ackWaitSeconds * 1000),
      max_ack_pending: MAX_ACK_PENDING,
      max_deliver: -1,
    });
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === Events.Disconnect) {
        this.#connected = false;
        this.#deps.log.warn("ingest bus disconnected; receivers answer 503 until it reconnects", { server: String(s.data) });
      } else if (s.type === Events.Reconnect) {
        this.#connected = true;
        this.#deps.log.info("ingest bus reconnected", { server: String(s.data) });
      }
    }
  }

  #count(event: string, n: number): void {
    this.#events.set(event, (this.#events.get(event) ?? 0) + n);
    this.#deps.count?.(event, n);
  }

  /** Event counts since start (published, publish_failed, committed, redelivered, duplicate, corrupt, retry, terminated). */
  events(): ReadonlyMap<string, number> {
    return this.#events;
  }

  connected(): boolean {
    return this.#connected && !this.#closed && !this.#nc.isClosed();
  }

  subjectOf(tenant: string): string {
    return `${this.#c.subjectPrefix}.${tenant}`;
  }

  async publish(tenant: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.#closed) throw unavailable("the bus is closed (server shutting down)", undefined);
    if (!this.connected()) {
      // A reconnect to another node takes a fraction of a second; with every node down, answer 503 within 1 s.
      const until = Date.now() + Math.min(1000, this.#c.publishTimeoutMs);
      while (!this.connected() && !this.#closed && Date.now() < until) await sleep(25);
      if (!this.connected()) throw unavailable("not connected to any NATS server", undefined);
    }
    const limit = Math.min(this.#c.maxBatchBytes, (this.#nc.info?.max_payload ?? this.#c.maxBatchBytes + MESSAGE_OVERHEAD) - MESSAGE_OVERHEAD);
    const frames = encodeBusBatches(tenant, records, limit);
    const subject = this.subjectOf(tenant);
    for (const frame of frames) await this.#publishOne(subject, frame);
    this.#count("published", frames.length);
  }

  /** Publishes one frame, retrying with the same message id (JetStream drops the duplicates) until publishTimeoutMs. */
  async #publishOne(subject: string, frame: Uint8Array): Promise<void> {
    const msgID = randomUUID();
    const deadline = Date.now() + this.#c.publishTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      try {
        await this.#js.publish(subject, frame, { msgID, timeout: Math.max(250, left), expect: { streamName: this.#c.stream } });
        return;
      } catch (err) {
        // A disconnect mid-publish is retried too: the client reconnects to another node within the deadline,
        // and the same msgID makes JetStream answer "duplicate" if the first attempt was stored after all.
        if (this.#closed || deadline - Date.now() < 100) {
          this.#count("publish_failed", 1);
          this.#deps.log.warn("ingest bus publish not confirmed; answering 503", {
            subject,
            attempts: attempt,
            servers: this.#c.servers,
            error: (err as Error).message,
          });
          throw unavailable(`JetStream did not confirm the batch after ${attempt} attempt(s)`, err);
        }
        await sleep(Math.min(100 * attempt, 500, Math.max(0, deadline - Date.now() - 50)));
      }
    }
  }

  async start(commit: BusCommitter): Promise<void> {
    if (this.#writer !== undefined) throw new Error("BUG: NatsJetStreamBus.start called twice");
    const writer = new BusWriter({
      commit,
      log: this.#deps.log,
      subjectOf: (t) => this.subjectOf(t),
      onEvent: (e, n) => this.#count(e, n),
    });
    this.#writer = writer;
    const consumer = await this.#js.consumers.get(this.#c.stream, this.#c.consumer);
    this.#consuming = (async () => {
      while (!this.#closed) {
        try {
          const messages = await consumer.consume({ max_messages: MAX_ACK_PENDING, expires: 5000 });
          this.#messages = messages;
          for await (const m of messages) {
            writer.push(wrap(m));
            await writer.room(4 * 1024 * 1024);
            if (this.#closed) break;
          }
        } catch (err) {
          if (!this.#closed) this.#deps.log.warn("ingest bus consumer interrupted; resuming", { error: (err as Error).message });
        }
        if (!this.#closed) await sleep(500);
      }
    })();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#messages?.close().catch(() => undefined);
    await this.#writer?.stop();
    await this.#consuming;
    try {
      await Promise.race([this.#nc.drain(), sleep(5000).then(() => this.#nc.close())]);
    } catch {
      await this.#nc.close();
    }
  }
}

function wrap(m: JsMsg): BusMessage {
  return {
    seq: m.seq,
    redelivered: m.redelivered,
    subject: m.subject,
    data: m.data,
    ack: () => m.ackAck({ timeout: 5000 }),
    working: () => m.working(),
    term: (reason) => m.term(reason),
  };
}

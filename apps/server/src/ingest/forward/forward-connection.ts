// One forward-protocol connection: handshake, frame decoding, conversion, serialized durable writes, and acks
// sent only after the write holding a chunk resolved.

import { hostname } from "node:os";
import type { Socket } from "node:net";
import { encode } from "@msgpack/msgpack";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import type { Principal } from "../../features/auth/principal.js";
import { BatchWriter } from "../socket/batch-writer.js";
import type { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { ForwardErrors } from "./errors.js";
import { ForwardDecoder, type ForwardFrame } from "./forward-decoder.js";
import { forwardEntryToRecord } from "./forward-record.js";
import { heloMessage, newHandshake, verifyPing, type HandshakePolicy, type HandshakeState } from "./forward-handshake.js";
import { MsgpackSplitter } from "./msgpack-splitter.js";

export interface ForwardConnectionOptions {
  readonly ctx: ServerContext;
  readonly metrics: ReceiverMetrics;
  readonly transport: "tcp" | "tls";
  /** Principal of connections without a handshake; undefined means the handshake is required. */
  readonly anonymous: Principal | undefined;
  readonly policy: HandshakePolicy;
  /** Close a connection that has not completed the handshake within this many ms. */
  readonly handshakeTimeoutMs: number;
  /** Give up retrying a pushed-back write after this long; the chunk is then not acked and the connection closed. */
  readonly maxRetryMs: number;
  readonly highWaterRecords: number;
}

type State = "await-ping" | "authenticating" | "open" | "closing";

export const DEFAULT_SERVER_HOSTNAME = hostname();

/**
 * Invariants: frames are handled in arrival order; a chunk's ack is written only after every record of it (and
 * of earlier frames) is durable; an unrecoverable framing error closes the connection after earlier writes
 * settled (their acks still go out).
 */
export class ForwardConnection {
  readonly #socket: Socket;
  readonly #o: ForwardConnectionOptions;
  readonly #splitter: MsgpackSplitter;
  readonly #decoder: ForwardDecoder;
  readonly #remote: string;
  #state: State;
  #hs: HandshakeState | undefined;
  #principal: Principal | undefined;
  #writer: BatchWriter | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #stored = 0;
  /** Encoded acks waiting for the end of the current tick (one socket write for many acks). */
  #acks: Uint8Array[] = [];
  #closed: Promise<void>;

  constructor(socket: Socket, o: ForwardConnectionOptions) {
    this.#socket = socket;
    this.#o = o;
    this.#splitter = new MsgpackSplitter(o.ctx.config.ingest.maxBodyBytes);
    this.#decoder = new ForwardDecoder(o.ctx.config.ingest.maxBodyBytes);
    this.#remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    o.metrics.connectionOpened(o.transport);
    this.#closed = new Promise((resolve) => {
      socket.once("close", () => {
        clearTimeout(this.#handshakeTimer);
        o.metrics.connectionClosed(o.transport);
        void (this.#writer?.close() ?? Promise.resolve()).then(() => {
          if (this.#principal !== undefined) {
            o.ctx.audit.record({
              action: "ingest",
              principal: this.#principal.id,
              tenant: this.#principal.tenant,
              remoteAddress: socket.remoteAddress ?? "",
              result: "ok",
              rows: this.#stored,
              details: { receiver: "forward", transport: o.transport },
            });
          }
          resolve();
        });
      });
    });
    socket.on("error", (err) => o.ctx.log.debug("forward connection error", { remote: this.#remote, err }));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => {
      if (this.#state !== "closing" && this.#splitter.buffered > 0) {
        o.metrics.rejected("truncated");
        o.ctx.log.warn("forward connection ended inside a msgpack object; the partial object is discarded (no ack)", {
          remote: this.#remote,
          bytes: this.#splitter.buffered,
        });
      }
      void this.#shutdown("client closed");
    });
    if (o.anonymous === undefined) {
      this.#state = "await-ping";
      this.#hs = newHandshake();
      this.#send(heloMessage(this.#hs));
      this.#handshakeTimer = setTimeout(() => this.#reject("handshake_timeout", "no PING within the handshake timeout"), o.handshakeTimeoutMs);
      this.#handshakeTimer.unref();
    } else {
      this.#state = "open";
      this.#open(o.anonymous);
    }
  }

  /** Resolves when the socket has closed and its pending writes settled. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Stops reading and retrying; lets the write in flight settle (its ack goes out), then closes. */
  async close(): Promise<void> {
    const writerClosed = this.#writer?.close();
    await this.#shutdown("server stopping");
    await writerClosed;
    await this.#closed;
  }

  #open(principal: Principal): void {
    this.#principal = principal;
    this.#writer = new BatchWriter({
      write: (records) => this.#o.ctx.ingest.write("forward", principal.tenant, records),
      pause: () => this.#socket.pause(),
      resume: () => {
        if (this.#state === "open") this.#socket.resume();
      },
      log: this.#o.ctx.log,
      highWaterRecords: this.#o.highWaterRecords,
      maxRetryMs: this.#o.maxRetryMs,
    });
  }

  #send(value: unknown): void {
    if (!this.#socket.destroyed) this.#socket.write(encode(value));
  }

  #ack(chunk: string): void {
    if (this.#acks.length === 0) process.nextTick(() => this.#flushAcks());
    this.#acks.push(encode({ ack: chunk }));
  }

  #flushAcks(): void {
    if (this.#acks.length === 0) return;
    const acks = this.#acks;
    this.#acks = [];
    if (!this.#socket.destroyed) this.#socket.write(acks.length === 1 ? (acks[0] as Uint8Array) : Buffer.concat(acks));
  }

  #onData(chunk: Buffer): void {
    this.#o.metrics.bytes(this.#o.transport, chunk.length);
    if (this.#state === "closing") return;
    this.#splitter.push(chunk);
    this.#pump();
  }

  #pump(): void {
    while (this.#state === "open" || this.#state === "await-ping") {
      let frame: ForwardFrame;
      try {
        const obj = this.#splitter.next();
        if (obj === undefined) return;
        frame = this.#decoder.decode(obj);
      } catch (err) {
        const code = err instanceof MeshlogError ? err.code : "FORWARD_FRAME_INVALID";
        this.#reject(code.toLowerCase(), err instanceof Error ? err.message : String(err));
        return;
      }
      this.#handle(frame);
    }
  }

  #handle(frame: ForwardFrame): void {
    if (frame.kind === "heartbeat") return;
    if (frame.kind === "ping") {
      if (this.#state !== "await-ping" || this.#hs === undefined) {
        this.#reject("unexpected_ping", "PING outside the handshake");
        return;
      }
      this.#state = "authenticating";
      this.#socket.pause();
      clearTimeout(this.#handshakeTimer);
      const hs = this.#hs;
      verifyPing(frame, hs, this.#o.policy, this.#o.ctx.auth).then(
        (res) => {
          this.#send(res.pong);
          if (!res.ok) {
            this.#o.ctx.audit.record({
              action: "auth.failed",
              principal: "anonymous",
              tenant: this.#o.policy.tenant,
              remoteAddress: this.#socket.remoteAddress ?? "",
              result: "denied",
              details: { receiver: "forward", reason: res.reason },
            });
            this.#reject("auth_failed", `handshake refused: ${res.reason}`);
            return;
          }
          this.#state = "open";
          this.#open(res.principal);
          this.#socket.resume();
          this.#pump();
        },
        (err: unknown) => this.#reject("auth_error", `handshake failed: ${(err as Error).message}`),
      );
      return;
    }
    if (this.#state !== "open" || this.#writer === undefined || this.#principal === undefined) {
      this.#reject("auth_required", "events sent before the handshake completed (configure the client's shared key / token)");
      return;
    }
    const tenant = this.#principal.tenant;
    const observed = this.#o.ctx.clock.nowNs();
    let records: LogRecord[] = [];
    let rejected = frame.invalidEntries.length;
    for (const e of frame.entries) {
      try {
        records.push(forwardEntryToRecord(frame.tag, e, tenant, observed, this.#o.ctx.config.ingest.maxLineBytes));
      } catch (err) {
        rejected++;
        this.#o.ctx.log.debug("forward entry rejected", { remote: this.#remote, err: err as Error });
      }
    }
    if (frame.invalidEntries.length > 0)
      this.#o.ctx.log.warn("forward entries skipped", {
        remote: this.#remote,
        tag: frame.tag,
        count: frame.invalidEntries.length,
        first: frame.invalidEntries[0]?.error,
      });
    this.#o.metrics.messages(frame.entries.length + frame.invalidEntries.length);
    if (frame.options.fluentSignal !== undefined && frame.options.fluentSignal !== 0) {
      this.#o.metrics.rejected("unsupported_signal");
      this.#o.ctx.log.warn("forward: only logs are supported, skipping a metrics/traces chunk", {
        remote: this.#remote,
        fluentSignal: frame.options.fluentSignal,
      });
      records = [];
    }
    if (rejected > 0) {
      this.#o.metrics.rejected("invalid_entry", rejected);
      this.#o.ctx.ingest.countRejected("forward", "invalid", rejected);
    }
    const chunk = frame.options.chunk;
    const count = records.length;
    this.#writer.push(records, (outcome) => {
      if (outcome === "failed") {
        this.#o.metrics.rejected("write_failed", count);
        this.#socket.destroy();
        return;
      }
      if (outcome === "stored") this.#stored += count;
      else this.#o.metrics.rejected("write_rejected", count);
      if (chunk !== undefined) this.#ack(chunk);
    });
  }

  /** Refuses the rest of the connection: logs, counts, lets earlier writes settle, then closes. */
  #reject(reason: string, message: string): void {
    if (this.#state === "closing") return;
    this.#o.metrics.rejected(reason);
    this.#o.ctx.log.warn("forward connection refused", {
      remote: this.#remote,
      reason,
      error: message,
      code: reason === "auth_failed" || reason === "auth_required" ? ForwardErrors.FORWARD_AUTH_FAILED : reason.toUpperCase(),
    });
    void this.#shutdown(message);
  }

  async #shutdown(_why: string): Promise<void> {
    if (this.#state === "closing") return;
    this.#state = "closing";
    clearTimeout(this.#handshakeTimer);
    this.#socket.pause();
    await this.#writer?.idle();
    this.#flushAcks();
    if (!this.#socket.destroyed) {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 2000).unref();
    }
  }
}

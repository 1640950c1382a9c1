// One Beats (Lumberjack) connection: frame decoding, window tracking, conversion, serialized durable writes, and
// ACKs sent only for events whose write resolved, with keepalive ACKs while a window waits for the store.

import type { Socket } from "node:net";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { BatchWriter } from "../socket/batch-writer.js";
import type { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { beatsEventToRecord, beatsV1EventToRecord } from "./beats-record.js";
import { BeatsErrors } from "./errors.js";
import { ackFrame, LumberjackDecoder, type LumberjackFrame, type LumberjackVersion } from "./lumberjack-decoder.js";

export interface BeatsConnectionOptions {
  readonly ctx: ServerContext;
  readonly metrics: ReceiverMetrics;
  readonly transport: "tcp" | "tls";
  /** Tenant the events are written to. */
  readonly tenant: string;
  /** Principal id for the audit trail (a client-certificate principal, or the receiver's own). */
  readonly principal: string;
  readonly maxWindowSize: number;
  /** While a received window waits for the store, re-send its last ACK (0 at first) this often (v2 only). */
  readonly keepaliveMs: number;
  /** Close a connection that sent nothing for this long while nothing of it is pending. */
  readonly idleTimeoutMs: number;
  /** Give up retrying a pushed-back write after this long; the window is then not acked and the connection closed. */
  readonly maxRetryMs: number;
  readonly highWaterRecords: number;
}

/** A window (batch) the client sent, from its window frame until its last event is acknowledged. */
interface Window {
  readonly version: LumberjackVersion;
  readonly count: number;
  received: number;
  /** Sequence number of the last event acknowledged (0: none yet). */
  acked: number;
}

const ERROR_REASONS: Readonly<Record<string, string>> = {
  [BeatsErrors.BEATS_FRAME_INVALID]: "frame_invalid",
  [BeatsErrors.BEATS_FRAME_TOO_LARGE]: "frame_too_large",
  [BeatsErrors.BEATS_WINDOW_INVALID]: "window_invalid",
  [BeatsErrors.BEATS_DECOMPRESS_FAILED]: "decompress_failed",
  [BeatsErrors.BEATS_EVENT_INVALID]: "event_invalid",
};

/**
 * Invariants: events are written in arrival order, one write at a time; an ACK of sequence n goes out only after
 * every event up to n (and of earlier windows) is durable, or was refused as invalid (acked and dropped, like
 * Logstash does with events its pipeline drops); a malformed frame closes the connection after earlier writes
 * settled (their ACKs still go out); events of a window cut short are never acknowledged beyond what was stored.
 */
export class BeatsConnection {
  readonly #socket: Socket;
  readonly #o: BeatsConnectionOptions;
  readonly #decoder: LumberjackDecoder;
  readonly #writer: BatchWriter;
  readonly #remote: string;
  /** Windows received (or being received) and not yet fully acknowledged, oldest first. */
  readonly #windows: Window[] = [];
  /** The window whose events are arriving. */
  #current: Window | undefined;
  /** v1 senders announce a window once and keep sending: the next events open a window of the same size. */
  #lastWindow: { version: LumberjackVersion; count: number } | undefined;
  /** Records of the current window not yet handed to the writer, and the sequence of the last one. */
  #pending: LogRecord[] = [];
  #pendingSeq = 0;
  #pendingEvents = 0;
  #acks: { window: Window; seq: number }[] = [];
  #ackedSinceKeepalive = false;
  #keepalive: NodeJS.Timeout;
  #closing = false;
  #stored = 0;
  /** Receive time of the data being decoded (one clock read per socket read). */
  #nowNs = 0n;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, o: BeatsConnectionOptions) {
    this.#socket = socket;
    this.#o = o;
    const max = o.ctx.config.ingest.maxBodyBytes;
    this.#decoder = new LumberjackDecoder({ maxFrameBytes: max, maxDecompressedBytes: max, maxWindowSize: o.maxWindowSize });
    this.#remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.#writer = new BatchWriter({
      write: (records) => o.ctx.ingest.write("beats", o.tenant, records),
      pause: () => socket.pause(),
      resume: () => {
        if (!this.#closing) socket.resume();
      },
      log: o.ctx.log,
      highWaterRecords: o.highWaterRecords,
      maxRetryMs: o.maxRetryMs,
    });
    o.metrics.connectionOpened(o.transport);
    this.#keepalive = setInterval(() => this.#onKeepalive(), o.keepaliveMs);
    this.#keepalive.unref();
    socket.setTimeout(o.idleTimeoutMs, () => {
      if (this.#windows.length > 0 || this.#writer.pendingRecords > 0 || this.#closing) return;
      o.metrics.rejected("idle_timeout");
      o.ctx.log.info("beats connection closed after being idle", { remote: this.#remote, idleSeconds: o.idleTimeoutMs / 1000 });
      void this.#shutdown();
    });
    this.#closed = new Promise((resolve) => {
      socket.once("close", () => {
        clearInterval(this.#keepalive);
        o.metrics.connectionClosed(o.transport);
        void this.#writer.close().then(() => {
          if (this.#stored > 0)
            o.ctx.audit.record({
              action: "ingest",
              principal: o.principal,
              tenant: o.tenant,
              remoteAddress: socket.remoteAddress ?? "",
              result: "ok",
              rows: this.#stored,
              details: { receiver: "beats", transport: o.transport },
            });
          resolve();
        });
      });
    });
    socket.on("error", (err) => o.ctx.log.debug("beats connection error", { remote: this.#remote, err }));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => {
      if (!this.#closing && (this.#decoder.buffered > 0 || this.#current !== undefined)) {
        o.metrics.rejected("truncated");
        o.ctx.log.warn("beats connection ended inside a window; events not received are not acknowledged", {
          remote: this.#remote,
          bufferedBytes: this.#decoder.buffered,
          received: this.#current?.received ?? 0,
          window: this.#current?.count ?? 0,
        });
      }
      this.#flushPending();
      void this.#shutdown();
    });
  }

  /** Resolves when the socket has closed and its pending writes settled. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Stops reading and retrying; lets the write in flight settle (its ACK goes out), then closes. */
  async close(): Promise<void> {
    const writerClosed = this.#writer.close();
    await this.#shutdown();
    await writerClosed;
    await this.#closed;
  }

  #onData(chunk: Buffer): void {
    this.#o.metrics.bytes(this.#o.transport, chunk.length);
    if (this.#closing) return;
    const { frames, error } = this.#decoder.push(chunk);
    if (frames.length > 0) this.#nowNs = this.#o.ctx.clock.nowNs();
    let failure: MeshlogError | undefined;
    for (const f of frames) {
      failure = this.#handle(f);
      if (failure !== undefined) break;
    }
    failure ??= error;
    this.#flushPending();
    if (failure !== undefined) this.#reject(failure);
  }

  /** Applies one frame; returns the error that must close the connection, if any. */
  #handle(f: LumberjackFrame): MeshlogError | undefined {
    if (f.kind === "window") {
      if (this.#current !== undefined)
        return new MeshlogError(
          BeatsErrors.BEATS_FRAME_INVALID,
          `a window frame arrived after ${this.#current.received} of the ${this.#current.count} events of the previous window`,
        );
      this.#lastWindow = { version: f.version, count: f.count };
      if (f.count > 0) this.#open(f.version, f.count);
      return undefined;
    }
    if (this.#current === undefined) {
      const last = this.#lastWindow;
      if (last === undefined || last.version !== 1 || last.count === 0)
        return new MeshlogError(BeatsErrors.BEATS_FRAME_INVALID, `a data frame (sequence ${f.seq}) arrived outside a window (send a window frame first)`);
      this.#open(1, last.count);
    }
    const w = this.#current as Window;
    const nowNs = this.#nowNs;
    const maxLine = this.#o.ctx.config.ingest.maxLineBytes;
    try {
      let record: LogRecord;
      if (f.kind === "json") {
        let event: unknown;
        try {
          event = JSON.parse(f.payload.toString("utf8"));
        } catch (err) {
          return new MeshlogError(BeatsErrors.BEATS_EVENT_INVALID, `event ${f.seq}: the JSON data frame is not valid JSON (${(err as Error).message})`);
        }
        if (event === null || typeof event !== "object" || Array.isArray(event))
          return new MeshlogError(
            BeatsErrors.BEATS_EVENT_INVALID,
            `event ${f.seq}: the JSON data frame holds ${Array.isArray(event) ? "an array" : event === null ? "null" : `a ${typeof event}`}, not an object`,
          );
        record = beatsEventToRecord(event as Record<string, unknown>, this.#o.tenant, nowNs, maxLine);
      } else {
        record = beatsV1EventToRecord(f.fields, this.#o.tenant, nowNs, maxLine);
      }
      this.#pending.push(record);
    } catch (err) {
      // An event that cannot become a record (bad @timestamp, message over ingest.maxLineBytes) is skipped and
      // still acknowledged with its window, as the Elasticsearch receiver answers 400 for that one document.
      this.#o.metrics.rejected("invalid_event");
      this.#o.ctx.ingest.countRejected("beats", "invalid");
      this.#o.ctx.log.debug("beats event skipped", { remote: this.#remote, seq: f.seq, err: err as Error });
    }
    this.#o.metrics.messages(1);
    this.#pendingSeq = f.seq;
    this.#pendingEvents++;
    w.received++;
    if (w.received === w.count) {
      this.#flushPending();
      this.#current = undefined;
    }
    return undefined;
  }

  #open(version: LumberjackVersion, count: number): void {
    const w: Window = { version, count, received: 0, acked: 0 };
    this.#windows.push(w);
    this.#current = w;
  }

  /** Hands the current window's converted events to the writer; their ACK is sent once the write settled. */
  #flushPending(): void {
    const w = this.#current;
    if (w === undefined || this.#pendingEvents === 0) return;
    const records = this.#pending;
    const seq = this.#pendingSeq;
    const final = w.received === w.count;
    this.#pending = [];
    this.#pendingEvents = 0;
    this.#writer.push(records, (outcome) => {
      if (outcome === "failed") {
        this.#o.metrics.rejected("write_failed", records.length);
        this.#o.ctx.log.warn("beats window not stored; closing the connection without acknowledging it (the sender retries)", {
          remote: this.#remote,
          records: records.length,
        });
        this.#socket.destroy();
        return;
      }
      if (outcome === "stored") this.#stored += records.length;
      else this.#o.metrics.rejected("write_rejected", records.length);
      w.acked = seq;
      if (final && this.#windows[0] === w) this.#windows.shift();
      this.#ack(w, seq);
    });
  }

  /** Queues an ACK; ACKs of one window queued in the same tick collapse into the highest. */
  #ack(window: Window, seq: number): void {
    if (this.#acks.length === 0) process.nextTick(() => this.#flushAcks());
    const last = this.#acks[this.#acks.length - 1];
    if (last !== undefined && last.window === window) last.seq = seq;
    else this.#acks.push({ window, seq });
  }

  #flushAcks(): void {
    if (this.#acks.length === 0) return;
    const acks = this.#acks;
    this.#acks = [];
    this.#ackedSinceKeepalive = true;
    if (this.#socket.destroyed) return;
    this.#socket.write(acks.length === 1 ? ackFrame(acks[0]!.window.version, acks[0]!.seq) : Buffer.concat(acks.map((a) => ackFrame(a.window.version, a.seq))));
  }

  /** Tells a v2 sender that a fully received window is still being stored, so it does not time out and resend. */
  #onKeepalive(): void {
    const head = this.#windows[0];
    const sent = this.#ackedSinceKeepalive;
    this.#ackedSinceKeepalive = false;
    if (sent || head === undefined || head.version !== 2 || head.received < head.count || this.#closing || this.#socket.destroyed) return;
    this.#socket.write(ackFrame(2, head.acked));
  }

  /** Refuses the rest of the connection: logs the reason, counts it, lets earlier writes settle, then closes. */
  #reject(err: MeshlogError): void {
    if (this.#closing) return;
    this.#o.metrics.rejected(ERROR_REASONS[err.code] ?? err.code.toLowerCase());
    this.#o.ctx.log.warn("beats connection refused", { remote: this.#remote, code: err.code, error: err.message });
    void this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#socket.pause();
    await this.#writer.idle();
    this.#flushAcks();
    clearInterval(this.#keepalive);
    if (!this.#socket.destroyed) {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 2000).unref();
    }
  }
}

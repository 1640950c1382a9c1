// One syslog TCP or TLS connection: framing, conversion and serialized durable writes; reading pauses while
// the store pushes back, so accepted messages are never dropped.

import type { Socket } from "node:net";
import type { LogRecord } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { BatchWriter } from "../socket/batch-writer.js";
import type { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { SyslogFramer } from "./syslog-framer.js";
import { syslogTextToRecord } from "./syslog-record.js";

export interface SyslogTcpOptions {
  readonly ctx: ServerContext;
  readonly metrics: ReceiverMetrics;
  readonly transport: "tcp" | "tls";
  readonly tenant: string;
  readonly highWaterRecords: number;
}

export class SyslogTcpConnection {
  readonly #socket: Socket;
  readonly #o: SyslogTcpOptions;
  readonly #framer: SyslogFramer;
  readonly #writer: BatchWriter;
  readonly #peer: string;
  #closing = false;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, o: SyslogTcpOptions) {
    this.#socket = socket;
    this.#o = o;
    this.#peer = socket.remoteAddress ?? "";
    this.#framer = new SyslogFramer(o.ctx.config.ingest.maxLineBytes);
    this.#writer = new BatchWriter({
      write: (records) => o.ctx.ingest.write("syslog", o.tenant, records),
      pause: () => socket.pause(),
      resume: () => {
        if (!this.#closing) socket.resume();
      },
      log: o.ctx.log,
      highWaterRecords: o.highWaterRecords,
      maxRetryMs: Number.POSITIVE_INFINITY,
    });
    o.metrics.connectionOpened(o.transport);
    this.#closed = new Promise((resolve) => {
      socket.once("close", () => {
        o.metrics.connectionClosed(o.transport);
        void this.#writer.idle().then(resolve);
      });
    });
    socket.on("error", (err) => o.ctx.log.debug("syslog connection error", { peer: this.#peer, err }));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => {
      const { last, truncated } = this.#framer.end();
      if (last !== undefined) this.#emit([last]);
      if (truncated) {
        o.metrics.rejected("truncated");
        o.ctx.log.warn("syslog connection ended inside an octet-counted message; the partial message is discarded", { peer: this.#peer });
      }
      void this.#shutdown();
    });
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Stops reading and retrying; the write in flight settles (batches never stored are logged), then closes. */
  async close(): Promise<void> {
    const writerClosed = this.#writer.close();
    await this.#shutdown();
    await writerClosed;
    await this.#closed;
  }

  #onData(chunk: Buffer): void {
    this.#o.metrics.bytes(this.#o.transport, chunk.length);
    if (this.#closing) return;
    const out = this.#framer.push(chunk);
    if (out.oversized > 0) {
      this.#o.metrics.rejected("too_large", out.oversized);
      this.#o.ctx.ingest.countRejected("syslog", "too_large", out.oversized);
      this.#o.ctx.log.warn("syslog messages over ingest.maxLineBytes discarded", {
        peer: this.#peer,
        count: out.oversized,
        limit: this.#o.ctx.config.ingest.maxLineBytes,
      });
    }
    if (out.messages.length > 0) this.#emit(out.messages);
    if (out.error !== undefined) {
      this.#o.metrics.rejected("frame_invalid");
      this.#o.ctx.log.warn("syslog connection closed: framing error", { peer: this.#peer, error: out.error.message, code: out.error.code });
      void this.#shutdown();
    }
  }

  #emit(messages: Buffer[]): void {
    const observedNs = this.#o.ctx.clock.nowNs();
    const records: LogRecord[] = [];
    let unparsed = 0;
    for (const m of messages) {
      const { record, parsed } = syslogTextToRecord(m.toString("utf8"), {
        tenant: this.#o.tenant,
        observedNs,
        peer: this.#peer,
        maxLineBytes: this.#o.ctx.config.ingest.maxLineBytes,
      });
      if (!parsed) unparsed++;
      records.push(record);
    }
    this.#o.metrics.messages(records.length);
    if (unparsed > 0) this.#o.metrics.malformed("unparsed", unparsed);
    this.#writer.push(records, (outcome) => {
      if (outcome !== "stored") this.#o.metrics.rejected(outcome === "rejected" ? "write_rejected" : "write_failed", records.length);
    });
  }

  async #shutdown(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#socket.pause();
    await this.#writer.idle();
    if (!this.#socket.destroyed) {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 2000).unref();
    }
  }
}

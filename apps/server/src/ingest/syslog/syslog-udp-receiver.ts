// Syslog over UDP (RFC 5426): one message per datagram (several LF-separated ones are split), batched into
// writes. UDP cannot push back: when the store lags and the pending batch is full, datagrams are dropped and
// counted in meshlog_receiver_dropped_total{receiver="syslog"}.

import type { RemoteInfo, Socket as UdpSocket } from "node:dgram";
import type { LogRecord } from "@meshlog/core";
import { splitSyslogMessages } from "@meshlog/pipeline";
import type { ServerContext } from "../../context.js";
import { BatchWriter } from "../socket/batch-writer.js";
import type { ReceiverMetrics } from "../socket/receiver-metrics.js";
import { syslogTextToRecord } from "./syslog-record.js";

export class SyslogUdpReceiver {
  readonly #ctx: ServerContext;
  readonly #metrics: ReceiverMetrics;
  readonly #tenant: string;
  readonly #writer: BatchWriter;
  #batch: LogRecord[] = [];
  #flushScheduled = false;

  constructor(socket: UdpSocket, ctx: ServerContext, metrics: ReceiverMetrics, tenant: string, maxPendingRecords: number) {
    this.#ctx = ctx;
    this.#metrics = metrics;
    this.#tenant = tenant;
    this.#writer = new BatchWriter({
      write: (records) => ctx.ingest.write("syslog", tenant, records),
      log: ctx.log,
      highWaterRecords: maxPendingRecords,
      dropWhenFull: true,
      maxRetryMs: 5_000,
    });
    socket.on("message", (msg, rinfo) => this.#onDatagram(msg, rinfo));
  }

  /** Writes what is batched and waits for pending writes. */
  async close(): Promise<void> {
    this.#flush();
    await this.#writer.close();
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    this.#metrics.bytes("udp", msg.length);
    const max = this.#ctx.config.ingest.maxLineBytes;
    if (msg.length > max) {
      this.#metrics.rejected("too_large");
      this.#ctx.ingest.countRejected("syslog", "too_large");
      return;
    }
    const observedNs = this.#ctx.clock.nowNs();
    let unparsed = 0;
    let n = 0;
    for (const text of splitSyslogMessages(msg.toString("utf8"))) {
      const { record, parsed } = syslogTextToRecord(text, { tenant: this.#tenant, observedNs, peer: rinfo.address, maxLineBytes: max });
      if (!parsed) unparsed++;
      this.#batch.push(record);
      n++;
    }
    this.#metrics.messages(n);
    if (unparsed > 0) this.#metrics.malformed("unparsed", unparsed);
    if (!this.#flushScheduled && this.#batch.length > 0) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#batch.length === 0) return;
    const records = this.#batch;
    this.#batch = [];
    const accepted = this.#writer.push(records, (outcome) => {
      if (outcome !== "stored") this.#metrics.dropped(outcome === "rejected" ? "write_rejected" : "write_failed", records.length);
    });
    if (!accepted) this.#metrics.dropped("backpressure", records.length);
  }
}

// Per-receiver counters for socket receivers (forward, syslog): connections, messages, bytes, rejects, drops.
// Hot-path counts are kept in plain numbers and folded into the registry when /metrics is rendered.

import type { Counter, MetricsRegistry } from "../../features/metrics/metrics-registry.js";

/** Metrics of one socket receiver; every series carries `receiver` (and `transport` or `reason`). */
export class ReceiverMetrics {
  readonly #receiver: string;
  readonly #connections: Counter;
  readonly #messagesCounter: Counter;
  readonly #bytesCounter: Counter;
  readonly #rejected: Counter;
  readonly #dropped: Counter;
  readonly #malformed: Counter;
  readonly #active = new Map<string, number>();
  #messages = 0;
  readonly #bytes = new Map<string, number>();

  constructor(metrics: MetricsRegistry, receiver: string) {
    this.#receiver = receiver;
    this.#connections = metrics.counter("meshlog_receiver_connections_total", "Connections accepted by a socket receiver.");
    this.#messagesCounter = metrics.counter("meshlog_receiver_messages_total", "Log messages (events) decoded by a socket receiver.");
    this.#bytesCounter = metrics.counter("meshlog_receiver_bytes_total", "Bytes read from the wire by a socket receiver.");
    this.#rejected = metrics.counter("meshlog_receiver_rejected_total", "Messages, frames or connections a socket receiver refused, by reason.");
    this.#dropped = metrics.counter("meshlog_receiver_dropped_total", "Messages dropped after receipt (UDP only: it cannot push back), by reason.");
    this.#malformed = metrics.counter("meshlog_receiver_malformed_total", "Messages stored raw because they did not parse, by reason.");
    const gauge = metrics.gauge("meshlog_receiver_connections_active", "Open connections of a socket receiver.");
    metrics.onCollect(() => {
      for (const [transport, n] of this.#active) gauge.set({ receiver: this.#receiver, transport }, n);
      if (this.#messages > 0) this.#messagesCounter.inc({ receiver: this.#receiver }, this.#messages);
      this.#messages = 0;
      for (const [transport, n] of this.#bytes) if (n > 0) this.#bytesCounter.inc({ receiver: this.#receiver, transport }, n);
      this.#bytes.clear();
    });
  }

  connectionOpened(transport: string): void {
    this.#connections.inc({ receiver: this.#receiver, transport });
    this.#active.set(transport, (this.#active.get(transport) ?? 0) + 1);
  }

  connectionClosed(transport: string): void {
    this.#active.set(transport, Math.max(0, (this.#active.get(transport) ?? 0) - 1));
  }

  messages(n: number): void {
    this.#messages += n;
  }

  bytes(transport: string, n: number): void {
    this.#bytes.set(transport, (this.#bytes.get(transport) ?? 0) + n);
  }

  rejected(reason: string, n = 1): void {
    if (n > 0) this.#rejected.inc({ receiver: this.#receiver, reason }, n);
  }

  malformed(reason: string, n = 1): void {
    if (n > 0) this.#malformed.inc({ receiver: this.#receiver, reason }, n);
  }

  dropped(reason: string, n = 1): void {
    if (n > 0) this.#dropped.inc({ receiver: this.#receiver, reason }, n);
  }
}

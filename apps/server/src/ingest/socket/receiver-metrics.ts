// Per-receiver counters for socket receivers (forward, syslog): connections, messages, bytes, rejects, drops.

import type { MetricsRegistry } from "../../features/metrics/metrics-registry.js";

/** Metrics of one socket receiver; every series carries `receiver` (and `transport` where it matters). */
export class ReceiverMetrics {
  readonly #receiver: string;
  readonly #connections;
  readonly #messages;
  readonly #bytes;
  readonly #rejected;
  readonly #dropped;
  readonly #malformed;
  readonly #active = new Map<string, number>();

  constructor(metrics: MetricsRegistry, receiver: string) {
    this.#receiver = receiver;
    this.#connections = metrics.counter("meshlog_receiver_connections_total", "Connections accepted by a socket receiver.");
    this.#messages = metrics.counter("meshlog_receiver_messages_total", "Log messages (events) decoded by a socket receiver.");
    this.#bytes = metrics.counter("meshlog_receiver_bytes_total", "Bytes read from the wire by a socket receiver.");
    this.#rejected = metrics.counter("meshlog_receiver_rejected_total", "Messages, frames or connections a socket receiver refused, by reason.");
    this.#dropped = metrics.counter("meshlog_receiver_dropped_total", "Messages dropped after receipt (UDP only: it cannot push back), by reason.");
    this.#malformed = metrics.counter("meshlog_receiver_malformed_total", "Messages stored raw because they did not parse, by reason.");
    const gauge = metrics.gauge("meshlog_receiver_connections_active", "Open connections of a socket receiver.");
    metrics.onCollect(() => {
      for (const [transport, n] of this.#active) gauge.set({ receiver: this.#receiver, transport }, n);
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
    if (n > 0) this.#messages.inc({ receiver: this.#receiver }, n);
  }

  bytes(transport: string, n: number): void {
    this.#bytes.inc({ receiver: this.#receiver, transport }, n);
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

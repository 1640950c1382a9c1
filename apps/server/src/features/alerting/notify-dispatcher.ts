// Delivers notifications in the background: timeout per request, bounded retries with exponential backoff on network
// errors, 429 and 5xx; every outcome is reported (timeline, metric, log) and evaluation never waits for it.

import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@meshlog/core";
import type { MetricsRegistry } from "../metrics/metrics-registry.js";
import { buildRequests, type Notification, type OutboundRequest } from "./notification-payloads.js";
import type { TenantReceiver } from "./receiver-types.js";

export interface DeliveryResult {
  readonly receiver: TenantReceiver;
  readonly notification: "firing" | "resolved";
  readonly incidentIds: readonly string[];
  readonly status: "delivered" | "failed";
  readonly attempts: number;
  readonly httpStatus?: number;
  /** Why it failed; never contains the receiver's URL, key or headers. */
  readonly error?: string;
}

export interface DispatcherOptions {
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First retry delay; doubled per retry, capped at maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs?: number;
  readonly externalUrl: string;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly onResult: (r: DeliveryResult) => void;
  /** Most deliveries in flight; beyond it new ones fail at once (recorded), so a dead receiver cannot pile up memory. */
  readonly maxInFlight?: number;
}

/** Removes every secret of the receiver from a text (error messages may echo parts of a request). */
function scrub(text: string, r: TenantReceiver): string {
  let out = text;
  for (const s of [r.url, r.routingKey, ...Object.values(r.headers ?? {})]) if (s !== undefined && s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}

export class NotifyDispatcher {
  readonly #o: DispatcherOptions;
  readonly #inflight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  readonly #sent;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#sent = options.metrics.counter("meshlog_alerting_notifications_total", "Notifications sent to receivers, by tenant, receiver kind and result.");
  }

  /** Queues the delivery of a notification to a receiver; returns at once. */
  send(receiver: TenantReceiver, notification: Notification): void {
    let requests: OutboundRequest[];
    try {
      requests = buildRequests(receiver, notification, this.#o.externalUrl);
    } catch (e) {
      this.#report(
        receiver,
        notification.status,
        notification.alerts.map((a) => a.incidentId),
        { status: "failed", attempts: 0, error: scrub((e as Error).message, receiver) },
      );
      return;
    }
    for (const req of requests) {
      if (this.#inflight.size >= (this.#o.maxInFlight ?? 256) || this.#closing.signal.aborted) {
        this.#report(receiver, notification.status, req.incidentIds, { status: "failed", attempts: 0, error: "too many notifications in flight; dropped" });
        continue;
      }
      const p: Promise<void> = this.#deliver(receiver, notification.status, req).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
  }

  /** Resolves when every queued delivery has finished (delivered or failed). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Stops retry waits (pending retries fail as "server stopping") and waits for requests in flight. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.idle();
  }

  async #deliver(receiver: TenantReceiver, kind: "firing" | "resolved", req: OutboundRequest): Promise<void> {
    const max = 1 + this.#o.retries;
    let lastError = "";
    let lastStatus: number | undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      let retryable = true;
      try {
        const res = await fetch(req.url, {
          method: "POST",
          headers: req.headers,
          body: req.body,
          redirect: "error",
          signal: AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs), this.#closing.signal]),
        });
        lastStatus = res.status;
        const text = (await res.text().catch(() => "")).slice(0, 200);
        if (res.ok) {
          this.#report(receiver, kind, req.incidentIds, { status: "delivered", attempts: attempt, httpStatus: res.status });
          return;
        }
        lastError = `HTTP ${res.status}${text === "" ? "" : `: ${text}`}`;
        retryable = res.status === 429 || res.status >= 500;
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        lastStatus = undefined;
        lastError =
          err.name === "TimeoutError"
            ? `timed out after ${this.#o.timeoutMs} ms`
            : this.#closing.signal.aborted
              ? "server stopping"
              : (err.cause?.code ?? err.cause?.message ?? err.message);
      }
      if (!retryable || attempt === max || this.#closing.signal.aborted) {
        this.#report(receiver, kind, req.incidentIds, {
          status: "failed",
          attempts: attempt,
          error: scrub(lastError, receiver),
          ...(lastStatus !== undefined ? { httpStatus: lastStatus } : {}),
        });
        return;
      }
      const delay = Math.min(this.#o.backoffMs * 2 ** (attempt - 1), this.#o.maxBackoffMs ?? 60_000);
      try {
        await sleep(delay, undefined, { signal: this.#closing.signal });
      } catch {
        this.#report(receiver, kind, req.incidentIds, {
          status: "failed",
          attempts: attempt,
          error: `${scrub(lastError, receiver)}; server stopping before retry`,
        });
        return;
      }
    }
  }

  #report(
    receiver: TenantReceiver,
    notification: "firing" | "resolved",
    incidentIds: readonly string[],
    r: { status: "delivered" | "failed"; attempts: number; httpStatus?: number; error?: string },
  ): void {
    this.#sent.inc({ tenant: receiver.tenant, kind: receiver.kind, result: r.status });
    const fields = {
      tenant: receiver.tenant,
      receiver: receiver.name,
      kind: receiver.kind,
      notification,
      attempts: r.attempts,
      httpStatus: r.httpStatus,
      error: r.error,
    };
    if (r.status === "failed") this.#o.log.warn("alert notification failed", fields);
    else this.#o.log.debug("alert notification delivered", fields);
    try {
      this.#o.onResult({ receiver, notification, incidentIds, ...r });
    } catch (e) {
      this.#o.log.error("recording a notification result failed", { err: e as Error });
    }
  }
}

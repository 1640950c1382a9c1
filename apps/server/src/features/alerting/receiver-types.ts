// Receivers of alert notifications: their schema (config file and API) and the redacted view the API returns.

import { z } from "zod";

export const RECEIVER_KINDS = ["webhook", "slack", "pagerduty"] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

/** PagerDuty Events API v2 endpoint used when a pagerduty receiver sets no `url`. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const httpUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const p = new URL(u);
      return p.protocol === "http:" || p.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL");

/**
 * One receiver. `url` and `routingKey` and the values of `headers` are secrets (webhook URLs carry tokens): they
 * are stored, used for delivery, and never returned in full by the API nor logged.
 */
export const receiverSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, _ . -")
      .describe("Receiver name; a rule picks receivers with its `receiver` label (comma-separated names)."),
    kind: z.enum(RECEIVER_KINDS).describe("webhook (Alertmanager-style JSON), slack (incoming webhook) or pagerduty (Events API v2)."),
    url: httpUrl.optional().describe("Where notifications are POSTed; required for webhook and slack; pagerduty defaults to the Events API v2 endpoint."),
    routingKey: z.string().min(1).max(256).optional().describe("PagerDuty integration (routing) key; required for pagerduty."),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name"), z.string().max(4096))
      .optional()
      .describe("Extra HTTP headers (webhook), e.g. Authorization."),
    default: z.boolean().default(false).describe("Notify this receiver for rules without a `receiver` label."),
    sendResolved: z.boolean().default(true).describe("Also notify when an alert resolves."),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.kind === "webhook" || r.kind === "slack") && r.url === undefined)
      ctx.addIssue({ code: "custom", path: ["url"], message: `is required for a ${r.kind} receiver` });
    if (r.kind === "pagerduty" && r.routingKey === undefined)
      ctx.addIssue({ code: "custom", path: ["routingKey"], message: "is required for a pagerduty receiver" });
    if (r.kind !== "pagerduty" && r.routingKey !== undefined)
      ctx.addIssue({ code: "custom", path: ["routingKey"], message: "is only used by pagerduty receivers" });
    if (r.kind !== "webhook" && r.headers !== undefined) ctx.addIssue({ code: "custom", path: ["headers"], message: "are only used by webhook receivers" });
  });

export type Receiver = z.infer<typeof receiverSchema>;

/** A receiver of a tenant, with where it was defined. */
export interface TenantReceiver extends Receiver {
  readonly tenant: string;
  readonly source: "config" | "api";
}

/** The API view of a receiver: secrets reduced to what identifies them (scheme, host, the last characters of a key). */
export interface RedactedReceiver {
  tenant: string;
  name: string;
  kind: ReceiverKind;
  source: "config" | "api";
  default: boolean;
  sendResolved: boolean;
  url?: string;
  routingKey?: string;
  headers?: Record<string, string>;
}

/** `https://hooks.example.com/[redacted]`: the origin only (no user info, path or query). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/[redacted]`;
  } catch {
    return "[redacted]";
  }
}

export function redactReceiver(r: TenantReceiver): RedactedReceiver {
  return {
    tenant: r.tenant,
    name: r.name,
    kind: r.kind,
    source: r.source,
    default: r.default,
    sendResolved: r.sendResolved,
    ...(r.url !== undefined ? { url: redactUrl(r.url) } : {}),
    ...(r.routingKey !== undefined ? { routingKey: "[redacted]" } : {}),
    ...(r.headers !== undefined ? { headers: Object.fromEntries(Object.keys(r.headers).map((k) => [k, "[redacted]"])) } : {}),
  };
}

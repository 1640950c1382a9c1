// Request bodies per receiver kind: Alertmanager-style webhook JSON, Slack incoming-webhook JSON, PagerDuty Events v2.

import { PAGERDUTY_EVENTS_URL, type Receiver } from "./receiver-types.js";

/** One alert in a notification. Times are RFC 3339; `endsAt` of a firing alert is the zero time, as Alertmanager sends. */
export interface NotifiedAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  value: number;
  incidentId: string;
}

/** Alerts of one rule evaluation that changed to the same status. */
export interface Notification {
  tenant: string;
  status: "firing" | "resolved";
  groupLabels: Record<string, string>;
  alerts: NotifiedAlert[];
}

/** One HTTP POST to make; `incidentIds` are the incidents whose timelines record its outcome. */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  incidentIds: string[];
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (first === undefined) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + "…" : s);

/** A URL with user info becomes the URL without it plus a Basic Authorization header (fetch refuses credentials in URLs). */
function splitCredentials(url: string, headers: Record<string, string>): string {
  const u = new URL(url);
  if (u.username === "" && u.password === "") return url;
  headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
  u.username = "";
  u.password = "";
  return u.toString();
}

function summaryOf(a: NotifiedAlert): string {
  return a.annotations.summary ?? a.annotations.description ?? a.annotations.message ?? `${a.labels.alertname ?? "alert"} ${a.status}`;
}

function titleOf(n: Notification): string {
  const name = n.groupLabels.alertname ?? n.alerts[0]?.labels.alertname ?? "alert";
  return `[${n.status.toUpperCase()}:${n.alerts.length}] ${name} (tenant ${n.tenant})`;
}

/** The generic webhook body (Alertmanager webhook format, version 4, plus `value` and `incidentId` per alert). */
export function webhookBody(receiver: string, n: Notification, externalUrl: string): Record<string, unknown> {
  return {
    version: "4",
    groupKey: `${n.tenant}/${JSON.stringify(n.groupLabels)}`,
    truncatedAlerts: 0,
    status: n.status,
    receiver,
    tenant: n.tenant,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: externalUrl,
    alerts: n.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: externalUrl === "" ? "" : `${externalUrl.replace(/\/$/, "")}/api/v1/alerting/incidents/${a.incidentId}`,
      fingerprint: a.fingerprint,
      value: a.value,
      incidentId: a.incidentId,
    })),
  };
}

/** Slack incoming-webhook body: `text` (fallback and notifications) and Block Kit `blocks` (limits: header 150, section 3000). */
export function slackBody(n: Notification, externalUrl: string): Record<string, unknown> {
  const title = titleOf(n);
  const lines = n.alerts.slice(0, 20).map((a) => {
    const labels = Object.entries(a.labels)
      .filter(([k]) => k !== "alertname")
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    return `• *${summaryOf(a)}* (value ${a.value})${labels === "" ? "" : `\n   ${labels}`}`;
  });
  if (n.alerts.length > 20) lines.push(`… and ${n.alerts.length - 20} more`);
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: clip(`${n.status === "firing" ? "🔥" : "✅"} ${title}`, 150) } },
    { type: "section", text: { type: "mrkdwn", text: clip(lines.join("\n"), 3000) } },
  ];
  const context = [`tenant *${n.tenant}*`, `incident ${n.alerts.map((a) => a.incidentId).join(", ")}`];
  if (externalUrl !== "") context.push(`<${externalUrl}|meshlog>`);
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: clip(context.join(" · "), 3000) }] });
  return { text: clip(`${title}: ${n.alerts.map(summaryOf).join("; ")}`, 3000), blocks };
}

const PD_SEVERITIES = ["critical", "error", "warning", "info"] as const;

/** PagerDuty Events v2 bodies: one event per alert, dedup_key = fingerprint so the resolve closes the same incident. */
export function pagerdutyBodies(routingKey: string, n: Notification, externalUrl: string): { alert: NotifiedAlert; body: Record<string, unknown> }[] {
  return n.alerts.map((a) => {
    if (n.status === "resolved") return { alert: a, body: { routing_key: routingKey, event_action: "resolve", dedup_key: a.fingerprint } };
    const sev = a.labels.severity?.toLowerCase();
    const severity = (PD_SEVERITIES as readonly string[]).includes(sev ?? "") ? sev : sev === "page" ? "critical" : "error";
    return {
      alert: a,
      body: {
        routing_key: routingKey,
        event_action: "trigger",
        dedup_key: a.fingerprint,
        payload: {
          summary: clip(`${summaryOf(a)} (tenant ${n.tenant})`, 1024),
          source: `meshlog/${n.tenant}`,
          severity,
          timestamp: a.startsAt,
          component: a.labels.service ?? a.labels.app ?? undefined,
          group: a.labels.namespace ?? undefined,
          class: a.labels.alertname,
          custom_details: { labels: a.labels, annotations: a.annotations, value: a.value, incident: a.incidentId, tenant: n.tenant },
        },
        client: "meshlog",
        ...(externalUrl !== "" ? { client_url: externalUrl } : {}),
      },
    };
  });
}

/** The POSTs one notification needs for one receiver. */
export function buildRequests(receiver: Receiver, n: Notification, externalUrl: string): OutboundRequest[] {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "meshlog-alerting" };
  const ids = n.alerts.map((a) => a.incidentId);
  switch (receiver.kind) {
    case "webhook": {
      for (const [k, v] of Object.entries(receiver.headers ?? {})) headers[k.toLowerCase()] = v;
      const url = splitCredentials(receiver.url as string, headers);
      return [{ url, headers, body: JSON.stringify(webhookBody(receiver.name, n, externalUrl)), incidentIds: ids }];
    }
    case "slack": {
      const url = splitCredentials(receiver.url as string, headers);
      return [{ url, headers, body: JSON.stringify(slackBody(n, externalUrl)), incidentIds: ids }];
    }
    case "pagerduty": {
      const url = splitCredentials(receiver.url ?? PAGERDUTY_EVENTS_URL, headers);
      return pagerdutyBodies(receiver.routingKey as string, n, externalUrl).map(({ alert, body }) => ({
        url,
        headers: { ...headers },
        body: JSON.stringify(body),
        incidentIds: [alert.incidentId],
      }));
    }
  }
}

// Delivery to real HTTP receivers on 127.0.0.1: webhook, Slack and PagerDuty payloads, retries with backoff on 5xx and
// 429, no retry on other 4xx, timeouts, and secrets kept out of logs and results.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { jsonLogger } from "@meshlog/core";
import { MetricsRegistry } from "../metrics/metrics-registry.js";
import { startCapture, type HttpCapture } from "./http-capture.js";
import type { Notification } from "./notification-payloads.js";
import { NotifyDispatcher, type DeliveryResult } from "./notify-dispatcher.js";
import { receiverSchema, type TenantReceiver } from "./receiver-types.js";

let cap: HttpCapture;
before(async () => {
  cap = await startCapture();
});
after(async () => {
  await cap.close();
});

const receiver = (spec: Record<string, unknown>): TenantReceiver => ({ ...receiverSchema.parse(spec), tenant: "acme", source: "api" });

const notification = (status: "firing" | "resolved"): Notification => ({
  tenant: "acme",
  status,
  groupLabels: { alertname: "HighErrors" },
  alerts: [
    {
      status,
      labels: { alertname: "HighErrors", severity: "warning", service: "checkout", namespace: "shop" },
      annotations: { summary: "checkout is failing" },
      startsAt: "2027-01-15T08:00:00.000Z",
      endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2027-01-15T08:10:00.000Z",
      fingerprint: "0123456789abcdef",
      value: 42,
      incidentId: "inc-1",
    },
    {
      status,
      labels: { alertname: "HighErrors", severity: "warning", service: "cart", namespace: "shop" },
      annotations: { summary: "cart is failing" },
      startsAt: "2027-01-15T08:00:00.000Z",
      endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2027-01-15T08:10:00.000Z",
      fingerprint: "fedcba9876543210",
      value: 7,
      incidentId: "inc-2",
    },
  ],
});

function dispatcher(opts: { retries?: number; timeoutMs?: number } = {}): {
  d: NotifyDispatcher;
  results: DeliveryResult[];
  logs: string[];
  metrics: MetricsRegistry;
} {
  const results: DeliveryResult[] = [];
  const logs: string[] = [];
  const metrics = new MetricsRegistry();
  const d = new NotifyDispatcher({
    timeoutMs: opts.timeoutMs ?? 5000,
    retries: opts.retries ?? 3,
    backoffMs: 5,
    externalUrl: "https://meshlog.example",
    log: jsonLogger((l) => void logs.push(l), "debug"),
    metrics,
    onResult: (r) => void results.push(r),
  });
  return { d, results, logs, metrics };
}

test("webhook: one Alertmanager-style JSON body per notification, with custom headers and URL credentials as Basic auth", async () => {
  cap.requests.length = 0;
  const { d, results } = dispatcher();
  const u = new URL(cap.url);
  d.send(
    receiver({ name: "ops", kind: "webhook", url: `http://user:pa%24%24@${u.host}/am?k=1`, headers: { "X-Api-Key": "hdr-secret" } }),
    notification("firing"),
  );
  await d.idle();
  assert.equal(cap.requests.length, 1);
  const r = cap.requests[0]!;
  assert.equal(r.path, "/am?k=1");
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.headers["x-api-key"], "hdr-secret");
  assert.equal(r.headers.authorization, `Basic ${Buffer.from("user:pa$$").toString("base64")}`);
  const body = r.json() as Record<string, unknown>;
  assert.equal(body.version, "4");
  assert.equal(body.status, "firing");
  assert.equal(body.receiver, "ops");
  assert.equal(body.externalURL, "https://meshlog.example");
  assert.deepEqual(body.groupLabels, { alertname: "HighErrors" });
  assert.deepEqual(body.commonLabels, { alertname: "HighErrors", severity: "warning", namespace: "shop" });
  assert.deepEqual(body.commonAnnotations, {});
  const alerts = body.alerts as Record<string, unknown>[];
  assert.equal(alerts.length, 2);
  assert.deepEqual(Object.keys(alerts[0]!).sort(), [
    "annotations",
    "endsAt",
    "fingerprint",
    "generatorURL",
    "incidentId",
    "labels",
    "startsAt",
    "status",
    "value",
  ]);
  assert.equal(alerts[0]!.generatorURL, "https://meshlog.example/api/v1/alerting/incidents/inc-1");
  assert.deepEqual(
    results.map((x) => [x.status, x.attempts, x.httpStatus, [...x.incidentIds]]),
    [["delivered", 1, 200, ["inc-1", "inc-2"]]],
  );
});

test("slack: incoming-webhook JSON with text and header/section/context blocks", async () => {
  cap.requests.length = 0;
  const { d } = dispatcher();
  d.send(receiver({ name: "chat", kind: "slack", url: `${cap.url}/services/T000/B000/XXXX` }), notification("resolved"));
  await d.idle();
  const body = cap.requests[0]!.json() as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
  assert.equal(cap.requests[0]!.path, "/services/T000/B000/XXXX");
  assert.match(body.text, /^\[RESOLVED:2\] HighErrors \(tenant acme\): checkout is failing; cart is failing$/);
  assert.deepEqual(
    body.blocks.map((b) => b.type),
    ["header", "section", "context"],
  );
  assert.equal(body.blocks[0]!.text?.type, "plain_text");
  assert.ok(body.blocks[0]!.text!.text.length <= 150);
  assert.match(body.blocks[1]!.text!.text, /\*checkout is failing\* \(value 42\)/);
  assert.match(body.blocks[1]!.text!.text, /service=cart/);
});

test("pagerduty: one Events v2 trigger per alert with dedup_key = fingerprint, and resolves with the same key", async () => {
  cap.requests.length = 0;
  const { d } = dispatcher();
  const pd = receiver({ name: "pager", kind: "pagerduty", routingKey: "R0UT1NGKEY-0123456789abcdef", url: `${cap.url}/v2/enqueue` });
  d.send(pd, notification("firing"));
  await d.idle();
  d.send(pd, notification("resolved"));
  await d.idle();
  assert.equal(cap.requests.length, 4);
  const bodies = cap.requests.map((r) => r.json() as Record<string, unknown>);
  assert.ok(cap.requests.every((r) => r.path === "/v2/enqueue"));
  const trigger = bodies.find((b) => b.event_action === "trigger" && b.dedup_key === "0123456789abcdef")!;
  assert.equal(trigger.routing_key, "R0UT1NGKEY-0123456789abcdef");
  const payload = trigger.payload as Record<string, unknown>;
  assert.equal(payload.summary, "checkout is failing (tenant acme)");
  assert.equal(payload.source, "meshlog/acme");
  assert.equal(payload.severity, "warning");
  assert.equal(payload.timestamp, "2027-01-15T08:00:00.000Z");
  assert.equal(payload.component, "checkout");
  assert.equal(payload.group, "shop");
  assert.equal(payload.class, "HighErrors");
  assert.deepEqual((payload.custom_details as Record<string, unknown>).value, 42);
  assert.equal(trigger.client_url, "https://meshlog.example");
  const resolves = bodies.filter((b) => b.event_action === "resolve");
  assert.deepEqual(resolves.map((b) => b.dedup_key).sort(), ["0123456789abcdef", "fedcba9876543210"]);
  assert.deepEqual(Object.keys(resolves[0]!).sort(), ["dedup_key", "event_action", "routing_key"]);
});

test("5xx and 429 are retried with backoff until delivered; other 4xx fail at once; retries are bounded", async () => {
  cap.requests.length = 0;
  const { d, results, metrics } = dispatcher({ retries: 3 });
  const hook = receiver({ name: "ops", kind: "webhook", url: `${cap.url}/retry` });
  cap.script(500, 429, 503);
  d.send(hook, { ...notification("firing"), alerts: notification("firing").alerts.slice(0, 1) });
  await d.idle();
  assert.equal(cap.requests.length, 4);
  assert.deepEqual(
    results.map((r) => [r.status, r.attempts, r.httpStatus]),
    [["delivered", 4, 200]],
  );
  cap.requests.length = 0;
  results.length = 0;
  cap.script(400);
  d.send(hook, notification("firing"));
  await d.idle();
  assert.equal(cap.requests.length, 1, "a 400 is not retried");
  assert.equal(results[0]?.status, "failed");
  assert.equal(results[0]?.httpStatus, 400);
  assert.match(results[0]?.error ?? "", /^HTTP 400/);
  cap.requests.length = 0;
  results.length = 0;
  cap.script(500, 500, 500, 500, 500);
  d.send(hook, notification("firing"));
  await d.idle();
  assert.equal(cap.requests.length, 4, "1 try + 3 retries, then it gives up");
  assert.equal(results[0]?.status, "failed");
  assert.equal(results[0]?.attempts, 4);
  assert.match(metrics.render(), /meshlog_alerting_notifications_total\{kind="webhook",result="failed",tenant="acme"\} 2/);
});

test("a receiver that never answers times out; an unreachable one fails; neither leaks the URL token or routing key", async () => {
  const sockets = new Set<import("node:net").Socket>();
  const silent: Server = createServer(() => {});
  silent.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as AddressInfo).port;
  // A port nobody listens on: bind one, then close it.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  try {
    const { d, results, logs } = dispatcher({ retries: 1, timeoutMs: 100 });
    d.send(receiver({ name: "slow", kind: "slack", url: `http://127.0.0.1:${port}/services/T/B/very-secret-slack-token` }), notification("firing"));
    d.send(
      receiver({ name: "gone", kind: "pagerduty", routingKey: "very-secret-routing-key", url: `http://127.0.0.1:${deadPort}/v2/enqueue` }),
      notification("firing"),
    );
    await d.idle();
    const slow = results.find((r) => r.receiver.name === "slow");
    assert.equal(slow?.status, "failed");
    assert.equal(slow?.attempts, 2);
    assert.equal(slow?.error, "timed out after 100 ms");
    const gone = results.filter((r) => r.receiver.name === "gone");
    assert.equal(gone.length, 2);
    assert.deepEqual(
      gone.map((r) => [r.status, r.error]),
      [
        ["failed", "ECONNREFUSED"],
        ["failed", "ECONNREFUSED"],
      ],
    );
    const text = logs.join("") + JSON.stringify(results.map(({ receiver: _r, ...rest }) => rest));
    assert.match(logs.join(""), /alert notification failed/);
    for (const secret of ["very-secret-slack-token", "very-secret-routing-key"]) assert.ok(!text.includes(secret), `${secret} leaked`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test("receiver definitions are validated per kind and name the field", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ name: "a", kind: "webhook" }, "url"],
    [{ name: "a", kind: "slack", url: "ftp://x" }, "url"],
    [{ name: "a", kind: "pagerduty" }, "routingKey"],
    [{ name: "a", kind: "webhook", url: "http://x", routingKey: "k" }, "routingKey"],
    [{ name: "a", kind: "slack", url: "http://x", headers: { a: "b" } }, "headers"],
    [{ name: "a b", kind: "webhook", url: "http://x" }, "name"],
    [{ name: "a", kind: "email", url: "http://x" }, "kind"],
  ];
  for (const [spec, field] of cases) {
    const r = receiverSchema.safeParse(spec);
    assert.equal(r.success, false, JSON.stringify(spec));
    assert.equal(r.error?.issues[0]?.path.join("."), field, JSON.stringify(spec));
  }
});

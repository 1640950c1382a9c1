// The alerting HTTP API on an in-process server: Loki ruler YAML round trip, Prometheus rules/alerts JSON, receivers
// with redacted secrets, incidents and acknowledgement, roles, tenant isolation and audit events.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";
import type { AlertingService } from "./alerting-service.js";
import { startCapture, type HttpCapture } from "./http-capture.js";

const GROUP = `name: errors
interval: 1m
rules:
  - alert: BoomNow
    expr: sum by (service) (count_over_time({service="api"} |= "boom" [5m])) > 0
    for: 0s
    labels:
      severity: critical
    annotations:
      summary: "{{ $labels.service }}: {{ $value }} booms"
  - alert: BoomLater
    expr: sum by (service) (count_over_time({service="api"} |= "boom" [5m])) > 0
    for: 1h
`;

let s: TestServer;
let hook: HttpCapture;
const tok: Record<string, string> = {};
const A = { "x-scope-orgid": "a" };

async function call(method: string, path: string, o: { token?: string | undefined; yaml?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return s.call(method, path, {
    token: o.token ?? s.adminToken,
    ...(o.yaml !== undefined
      ? { raw: o.yaml, headers: { "content-type": "application/yaml", ...A, ...(o.headers ?? {}) } }
      : { headers: { ...A, ...(o.headers ?? {}) } }),
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
}

describe("alerting API", () => {
  before(async () => {
    hook = await startCapture();
    s = await startTestServer({ alerting: { notifyBackoffMs: 5, externalUrl: "https://logs.example" } });
    tok.analystA = (await createToken(s, { tenant: "a", roles: ["analyst"] })).token;
    tok.auditorA = (await createToken(s, { tenant: "a", roles: ["auditor"] })).token;
    tok.analystB = (await createToken(s, { tenant: "b", roles: ["analyst"] })).token;
    tok.adminB = (await createToken(s, { tenant: "b", roles: ["admin"] })).token;
  });
  after(async () => {
    await s.close();
    await hook.close();
  });

  test("ruler API: POST a YAML group, read it back as YAML in every form, replace it; roles and tenants are enforced", async () => {
    assert.equal(s.server.ctx.services.get("alerting.incidents"), undefined, "no rules: the report says no alerting is configured");
    const post = await call("POST", "/loki/api/v1/rules/ops", { yaml: GROUP });
    assert.equal(typeof (s.server.ctx.services.get("alerting.incidents") as { incidents?: unknown }).incidents, "function");
    assert.equal(post.status, 202, post.text);
    assert.deepEqual(post.json(), { status: "success", data: null, errorType: "", error: "" });
    const one = await call("GET", "/loki/api/v1/rules/ops/errors", { token: tok.analystA });
    assert.equal(one.status, 200);
    assert.match(one.headers.get("content-type") ?? "", /yaml/);
    const group = parseYaml(one.text) as { name: string; rules: { alert: string; for: string; labels?: unknown }[] };
    assert.equal(group.name, "errors");
    assert.deepEqual(
      group.rules.map((r) => [r.alert, r.for]),
      [
        ["BoomNow", "0s"],
        ["BoomLater", "1h"],
      ],
    );
    assert.deepEqual(parseYaml(one.text), parseYaml(GROUP));
    const all = await call("GET", "/loki/api/v1/rules", { token: tok.auditorA });
    assert.equal(all.status, 200);
    assert.deepEqual(parseYaml(all.text), { ops: [parseYaml(GROUP)] });
    // Grafana's alerting UI uses the legacy prefix for Loki data sources.
    const legacy = await call("GET", "/api/prom/rules/ops/errors", { token: tok.analystA });
    assert.equal(legacy.status, 200);
    assert.equal(legacy.text, one.text);
    const ns = await call("GET", "/loki/api/v1/rules/ops", { token: tok.analystA });
    assert.deepEqual(parseYaml(ns.text), { ops: [parseYaml(GROUP)] });
    // Posting a group of the same name replaces it.
    assert.equal((await call("POST", "/loki/api/v1/rules/ops", { yaml: GROUP })).status, 202);
    assert.equal((parseYaml((await call("GET", "/loki/api/v1/rules/ops")).text) as { ops: unknown[] }).ops.length, 1);

    // Only admins change rules; tenant b sees none of a's.
    assert.equal((await call("POST", "/loki/api/v1/rules/ops", { yaml: GROUP, token: tok.analystA })).status, 403);
    assert.equal((await call("DELETE", "/loki/api/v1/rules/ops/errors", { token: tok.auditorA })).status, 403);
    const none = await call("GET", "/loki/api/v1/rules", { token: tok.analystB, headers: { "x-scope-orgid": "" } });
    assert.equal(none.status, 200);
    assert.deepEqual(parseYaml(none.text), {});
    assert.equal((await call("GET", "/loki/api/v1/rules/ops/errors", { token: tok.analystB, headers: { "x-scope-orgid": "" } })).status, 404);
    assert.equal((await call("GET", "/loki/api/v1/rules", { token: tok.analystB })).status, 403, "b may not ask for tenant a");

    const events = await s.auditEvents({ action: "alert.rule.update" });
    assert.ok(events.some((e) => e.result === "ok" && (e.details as Record<string, unknown>).group === "errors" && e.tenant === "a"));
    assert.ok(events.some((e) => e.result === "denied"));
  });

  test("bad rule input is a 400 naming the field", async () => {
    const cases: [string, string][] = [
      ["name: g\nrules:\n  - alert: A\n    expr: '{service=\"api\"}'", "rules[0].expr"],
      ["name: g\nrules:\n  - alert: A\n    expr: 'sum(rate('", "rules[0].expr"],
      ["name: g\nrules:\n  - alert: A\n    expr: vector(1)\n    for: soon", "rules[0].for"],
      ["name: ''\nrules:\n  - alert: A\n    expr: vector(1)", "name"],
      ["name: g\nrules:\n  - alert: ''\n    expr: vector(1)", "rules[0].alert"],
      ["name: g\nrules: [", "body"],
    ];
    for (const [yaml, field] of cases) {
      const r = await call("POST", "/loki/api/v1/rules/ops", { yaml });
      assert.equal(r.status, 400, yaml);
      const body = r.json() as { code: string; error: string };
      assert.equal(body.code, "ALERT_RULE_INVALID");
      assert.ok(body.error.includes(`${field}:`), `${body.error} names ${field}`);
    }
  });

  test("oversized and binary rule bodies are refused", async () => {
    const big = await call("POST", "/loki/api/v1/rules/ops", { yaml: "name: g\n# " + "x".repeat(2 * 1024 * 1024) });
    assert.equal(big.status, 413, big.text);
    const binary = await s.call("POST", "/loki/api/v1/rules/ops", {
      token: s.adminToken,
      raw: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]),
      headers: { "content-type": "application/octet-stream", ...A },
    });
    assert.equal(binary.status, 400, binary.text);
    assert.equal((binary.json() as { code: string }).code, "ALERT_RULE_INVALID");
  });

  test("receivers: admin-only, secrets redacted in answers and never logged; bad definitions name the field", async () => {
    const secretUrl = `${hook.url}/hook/T0K3N-in-the-path?key=qs-secret`;
    const created = await call("POST", "/api/v1/alerting/receivers", { body: { tenant: "a", name: "hook", kind: "webhook", url: secretUrl, default: true } });
    assert.equal(created.status, 201, created.text);
    const pd = await call("POST", "/api/v1/alerting/receivers", {
      body: { name: "pager", kind: "pagerduty", routingKey: "PD-R0UT1NG-KEY", url: `${hook.url}/pd` },
    });
    assert.equal(pd.status, 201, pd.text);
    const list = await call("GET", "/api/v1/alerting/receivers");
    assert.equal(list.status, 200);
    for (const secret of ["T0K3N-in-the-path", "qs-secret", "PD-R0UT1NG-KEY"]) assert.ok(!(created.text + pd.text + list.text).includes(secret), secret);
    const receivers = (list.json() as { receivers: Record<string, unknown>[] }).receivers;
    assert.deepEqual(
      receivers.map((r) => [r.tenant, r.name, r.kind, r.url, r.routingKey ?? ""]),
      [
        ["a", "hook", "webhook", `${hook.url}/[redacted]`, ""],
        ["a", "pager", "pagerduty", `${hook.url}/[redacted]`, "[redacted]"],
      ],
    );
    assert.equal((await call("GET", "/api/v1/alerting/receivers", { token: tok.analystA })).status, 403);
    assert.equal(
      (await call("POST", "/api/v1/alerting/receivers", { token: tok.adminB, body: { tenant: "a", name: "x", kind: "slack", url: "http://x" } })).status,
      403,
    );
    const listedByB = await call("GET", "/api/v1/alerting/receivers", { token: tok.adminB, headers: { "x-scope-orgid": "" } });
    assert.deepEqual((listedByB.json() as { receivers: unknown[] }).receivers, []);
    for (const [body, field] of [
      [{ name: "x", kind: "slack" }, "url"],
      [{ name: "x", kind: "pagerduty" }, "routingKey"],
      [{ name: "x", kind: "webhook", url: "http://x", extra: 1 }, "extra"],
      [{ name: "", kind: "webhook", url: "http://x" }, "name"],
    ] as const) {
      const r = await call("POST", "/api/v1/alerting/receivers", { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok((r.json() as { error: string }).error.includes(`${field}:`), r.text);
    }
    assert.equal((await call("DELETE", "/api/v1/alerting/receivers/pager")).status, 200);
    assert.equal((await call("DELETE", "/api/v1/alerting/receivers/pager")).status, 404);
    assert.ok(!s.logs.join("").includes("T0K3N-in-the-path"));
  });

  test("evaluation: Prometheus rules/alerts JSON, incidents with their timeline, acknowledgement; tenant b evaluates only its data", async () => {
    const lines = ["boom 1", "boom 2", "quiet"].map((b) => JSON.stringify({ body: b, labels: { service: "api" } })).join("\n");
    const ing = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw: lines, headers: { "content-type": "application/x-ndjson", ...A } });
    assert.equal(ing.status, 200, ing.text);
    // Tenant b has the same rules and no data.
    assert.equal((await call("POST", "/loki/api/v1/rules/ops", { yaml: GROUP, token: tok.adminB, headers: { "x-scope-orgid": "" } })).status, 202);
    const svc = s.server.ctx.services.get("alerting") as AlertingService;
    await svc.runDue({ force: true });
    await svc.dispatcher.idle();

    const rules = await call("GET", "/prometheus/api/v1/rules", { token: tok.analystA });
    assert.equal(rules.status, 200);
    const data = (rules.json() as { status: string; data: { groups: Record<string, unknown>[] } }).data;
    assert.equal(data.groups.length, 1);
    const g = data.groups[0]!;
    assert.equal(g.name, "errors");
    assert.equal(g.file, "ops");
    assert.equal(g.interval, 60);
    const [now, later] = g.rules as Record<string, unknown>[];
    assert.deepEqual(
      [now?.name, now?.state, now?.type, now?.health, now?.lastError, now?.duration, now?.query],
      ["BoomNow", "firing", "alerting", "ok", "", 0, 'sum by (service) (count_over_time({service="api"} |= "boom" [5m])) > 0'],
    );
    assert.deepEqual([later?.name, later?.state, later?.duration], ["BoomLater", "pending", 3600]);
    const alert = (now?.alerts as Record<string, unknown>[])[0]!;
    assert.deepEqual(alert.labels, { service: "api", severity: "critical", alertname: "BoomNow" });
    assert.deepEqual(alert.annotations, { summary: "api: 2 booms" });
    assert.equal(alert.state, "firing");
    assert.equal(alert.value, "2.0000000000e+00");
    assert.match(String(alert.activeAt), /^\d{4}-\d\d-\d\dT/);
    const filtered = await call("GET", "/prometheus/api/v1/rules?rule_name[]=BoomLater&type=alert", { token: tok.analystA });
    assert.deepEqual(
      ((filtered.json() as { data: { groups: { rules: { name: string }[] }[] } }).data.groups[0]?.rules ?? []).map((r) => r.name),
      ["BoomLater"],
    );
    assert.deepEqual((await call("GET", "/prometheus/api/v1/rules?type=record", { token: tok.analystA })).json(), { status: "success", data: { groups: [] } });

    const alerts = (await call("GET", "/prometheus/api/v1/alerts", { token: tok.auditorA })).json() as { data: { alerts: { state: string }[] } };
    assert.deepEqual(alerts.data.alerts.map((a) => a.state).sort(), ["firing", "pending"]);
    const bAlerts = (await call("GET", "/prometheus/api/v1/alerts", { token: tok.analystB, headers: { "x-scope-orgid": "" } })).json() as {
      data: { alerts: unknown[] };
    };
    assert.deepEqual(bAlerts.data.alerts, [], "tenant b's rules never see tenant a's lines");

    // The default receiver got the firing notification.
    const sent = hook.requests.filter((r) => r.path.startsWith("/hook/"));
    assert.equal(sent.length, 1);
    assert.equal((sent[0]!.json() as { status: string; externalURL: string }).externalURL, "https://logs.example");

    const list = await call("GET", "/api/v1/alerting/incidents", { token: tok.analystA, headers: { "x-scope-orgid": "" } });
    assert.equal(list.status, 200);
    const incidents = (list.json() as { incidents: Record<string, unknown>[] }).incidents;
    assert.equal(incidents.length, 1);
    const inc = incidents[0]!;
    assert.deepEqual([inc.tenant, inc.namespace, inc.group, inc.rule, inc.status, inc.value], ["a", "ops", "errors", "BoomNow", "firing", 2]);
    const id = String(inc.id);
    assert.deepEqual(
      (inc.events as { type: string; status?: string; receiver?: string }[]).map((e) => [e.type, e.receiver ?? "", e.status ?? ""]),
      [
        ["firing", "", ""],
        ["notified", "hook", "delivered"],
      ],
    );
    assert.deepEqual((await call("GET", "/api/v1/alerting/incidents", { token: tok.analystB, headers: { "x-scope-orgid": "" } })).json(), { incidents: [] });
    assert.equal((await call("GET", `/api/v1/alerting/incidents/${id}`, { token: tok.analystB, headers: { "x-scope-orgid": "" } })).status, 404);
    assert.equal((await call("GET", `/api/v1/alerting/incidents/${id}`, { token: tok.auditorA })).status, 200);
    assert.equal((await call("GET", "/api/v1/alerting/incidents?status=bogus", { token: tok.analystA })).status, 400);

    // A scoped reader sees only alerts and incidents whose labels satisfy its scope.
    const otherScope = (await createToken(s, { tenant: "a", roles: ["analyst"], scope: '{service="web"}' })).token;
    const apiScope = (await createToken(s, { tenant: "a", roles: ["analyst"], scope: '{service="api"}' })).token;
    const seen = async (t: string) => ({
      alerts: ((await call("GET", "/prometheus/api/v1/alerts", { token: t })).json() as { data: { alerts: unknown[] } }).data.alerts.length,
      ruleAlerts: (
        (await call("GET", "/prometheus/api/v1/rules", { token: t })).json() as { data: { groups: { rules: { alerts: unknown[]; state: string }[] }[] } }
      ).data.groups[0]?.rules.map((r) => `${r.state}:${r.alerts.length}`),
      incidents: ((await call("GET", "/api/v1/alerting/incidents", { token: t })).json() as { incidents: unknown[] }).incidents.length,
      one: (await call("GET", `/api/v1/alerting/incidents/${id}`, { token: t })).status,
    });
    assert.deepEqual(await seen(otherScope), { alerts: 0, ruleAlerts: ["inactive:0", "inactive:0"], incidents: 0, one: 404 });
    assert.deepEqual(await seen(apiScope), { alerts: 2, ruleAlerts: ["firing:1", "pending:1"], incidents: 1, one: 200 });
    assert.equal((await call("POST", `/api/v1/alerting/incidents/${id}/ack`, { token: otherScope, body: {} })).status, 404);

    assert.equal((await call("POST", `/api/v1/alerting/incidents/${id}/ack`, { token: tok.auditorA, body: {} })).status, 403);
    assert.equal((await call("POST", `/api/v1/alerting/incidents/${id}/ack`, { token: tok.analystB, body: {}, headers: { "x-scope-orgid": "" } })).status, 404);
    const ack = await call("POST", `/api/v1/alerting/incidents/${id}/ack`, { token: tok.analystA, body: { comment: "looking" } });
    assert.equal(ack.status, 200, ack.text);
    const acked = ack.json() as { acknowledgedBy: string; acknowledgedAt: string; events: { type: string; comment?: string }[] };
    assert.equal(acked.events.at(-1)?.type, "acknowledged");
    assert.equal(acked.events.at(-1)?.comment, "looking");
    assert.match(acked.acknowledgedBy, /^svc-/);
    const audit = await s.auditEvents({ action: "alert.incident.ack" });
    assert.ok(audit.some((e) => e.result === "ok" && (e.details as Record<string, unknown>).incident === id));
    const timeline = await s.auditEvents({ principal: "system:alerting" });
    assert.deepEqual([...new Set(timeline.map((e) => e.action))].sort(), ["alert.firing", "alert.notified"]);

    // Deleting the rules resolves the firing alert at the next evaluation and notifies the receiver.
    assert.equal((await call("DELETE", "/loki/api/v1/rules/ops")).status, 202);
    assert.equal((await call("GET", "/loki/api/v1/rules/ops")).status, 404);
    await svc.runDue({ force: true });
    await svc.dispatcher.idle();
    const done = (await call("GET", `/api/v1/alerting/incidents/${id}`, { token: tok.analystA })).json() as { status: string };
    assert.equal(done.status, "resolved");
    assert.equal(hook.requests.filter((r) => r.path.startsWith("/hook/")).length, 2);
  });
});

test("an admin with a read scope cannot change rules or receivers, which act on the whole tenant", async () => {
  const srv = await startTestServer({});
  try {
    const headers = { "x-scope-orgid": "a" };
    const scoped = (await createToken(srv, { tenant: "a", roles: ["admin"], scope: '{service="web"}' })).token;
    // A rule reading outside the scope, routed to a default receiver the scoped admin controls, would leak other streams.
    const rule = 'name: leak\nrules:\n  - alert: Leak\n    expr: sum by (user) (count_over_time({service="pay"}[5m])) > 0';
    const post = await srv.call("POST", "/loki/api/v1/rules/ops", { token: scoped, raw: rule, headers });
    assert.equal(post.status, 403, post.text);
    assert.match(post.text, /read scope/);
    const recv = await srv.call("POST", "/api/v1/alerting/receivers", {
      token: scoped,
      body: { tenant: "a", name: "mine", kind: "webhook", url: "http://127.0.0.1:9/x", default: true },
    });
    assert.equal(recv.status, 403, recv.text);
    assert.equal((await srv.call("POST", "/loki/api/v1/rules/ops", { token: srv.adminToken, raw: rule, headers })).status, 202);
    assert.equal((await srv.call("DELETE", "/loki/api/v1/rules/ops/leak", { token: scoped, headers })).status, 403);
    assert.equal((await srv.call("DELETE", "/loki/api/v1/rules/ops", { token: scoped, headers })).status, 403);
    assert.equal((await srv.call("GET", "/loki/api/v1/rules/ops/leak", { token: srv.adminToken, headers })).status, 200, "the rule is still there");
    const put = await srv.call("POST", "/api/v1/alerting/receivers", {
      token: srv.adminToken,
      body: { tenant: "a", name: "ok", kind: "webhook", url: "http://127.0.0.1:9/x" },
    });
    assert.equal(put.status, 201, put.text);
    assert.equal((await srv.call("DELETE", "/api/v1/alerting/receivers/ok?tenant=a", { token: scoped })).status, 403);
  } finally {
    await srv.close();
  }
});

test("rules and receivers from the config file are served read-only; a bad config rule stops start-up naming its path", async () => {
  const cfg = {
    alerting: {
      rules: { a: { base: [{ name: "cfg", rules: [{ alert: "FromConfig", expr: "vector(1)", labels: { receiver: "cfg-hook" } }] }] } },
      receivers: { a: [{ name: "cfg-hook", kind: "slack", url: "http://127.0.0.1:9/services/CFG-SECRET" }] },
    },
  };
  const srv = await startTestServer(cfg);
  try {
    const headers = { "x-scope-orgid": "a" };
    const got = await srv.call("GET", "/loki/api/v1/rules/base/cfg", { token: srv.adminToken, headers });
    assert.equal(got.status, 200);
    assert.equal((parseYaml(got.text) as { rules: { alert: string }[] }).rules[0]?.alert, "FromConfig");
    const change = await srv.call("POST", "/loki/api/v1/rules/base", {
      token: srv.adminToken,
      raw: "name: x\nrules:\n  - alert: A\n    expr: vector(1)",
      headers,
    });
    assert.equal(change.status, 409);
    assert.match(change.text, /alerting\.rules/);
    assert.equal((await srv.call("DELETE", "/loki/api/v1/rules/base", { token: srv.adminToken, headers })).status, 409);
    const recv = await srv.call("GET", "/api/v1/alerting/receivers", { token: srv.adminToken });
    assert.ok(!recv.text.includes("CFG-SECRET"));
    assert.deepEqual(
      (recv.json() as { receivers: { name: string; source: string }[] }).receivers.map((r) => [r.name, r.source]),
      [["cfg-hook", "config"]],
    );
    assert.equal((await srv.call("DELETE", "/api/v1/alerting/receivers/cfg-hook?tenant=a", { token: srv.adminToken })).status, 400);
  } finally {
    await srv.close();
  }
  await assert.rejects(
    startTestServer({ alerting: { rules: { a: { base: [{ name: "cfg", rules: [{ alert: "Bad", expr: '{app="x"}' }] }] } } } }),
    /alerting\.rules\.a\.base\[0\]\.rules\[0\]\.expr: must be a LogQL metric query/,
  );
  await assert.rejects(
    startTestServer({ alerting: { receivers: { "../x": [{ name: "r", kind: "slack", url: "http://127.0.0.1:9/x" }] } } }),
    /alerting\.receivers\.\.\.\/x: "\.\.\/x" is not a valid tenant id/,
  );
});

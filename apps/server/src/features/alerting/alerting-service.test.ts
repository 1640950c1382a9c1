// The evaluator end to end over a real MemoryStore and QueryEngine, driven by a ManualClock: pending -> firing ->
// resolved, incidents and their timeline, webhook delivery, restart without re-notifying, tenant isolation.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLogger, ManualClock, type LogRecord } from "@meshlog/core";
import { QueryEngine } from "@meshlog/query";
import { MemoryStore } from "@meshlog/storage";
import type { AuditEvent } from "../audit/audit-sink.js";
import { MetricsRegistry } from "../metrics/metrics-registry.js";
import { alertingConfigSchema } from "./alerting-config.js";
import { receiverSchema } from "./receiver-types.js";
import { AlertingService } from "./alerting-service.js";
import { startCapture, type HttpCapture } from "./http-capture.js";
import type { RuleGroup } from "./rule-group.js";

const MIN = 60_000_000_000n;
const T0 = 1_800_000_000_000_000_000n;
const RULE = 'sum(count_over_time({app="x"} |= "error" [5m])) > 3';

const record = (tenant: string, ts: bigint, body: string, app = "x"): LogRecord => ({
  timestamp: ts,
  observedTimestamp: ts,
  severityNumber: 0,
  severityText: "",
  body,
  attributes: {},
  resource: {},
  traceId: "",
  spanId: "",
  tenant,
  labels: { app, source: "native" },
});

const group = (over: Partial<RuleGroup["rules"][number]> = {}): RuleGroup => ({
  name: "errors",
  interval: "1m",
  rules: [{ alert: "ManyErrors", expr: RULE, for: "2m", labels: { severity: "page" }, annotations: { summary: "{{ $value }} errors in app x" }, ...over }],
});

let hook: HttpCapture;
let dir: string;
before(async () => {
  hook = await startCapture();
});
after(async () => {
  await hook.close();
});

interface Fixture {
  svc: AlertingService;
  clock: ManualClock;
  store: MemoryStore;
  audit: AuditEvent[];
  logs: string[];
  metrics: MetricsRegistry;
}

function open(dataDir: string, clock: ManualClock, store: MemoryStore): Fixture {
  const audit: AuditEvent[] = [];
  const logs: string[] = [];
  const metrics = new MetricsRegistry();
  const config = alertingConfigSchema.parse({
    receivers: { a: [{ name: "hook", kind: "webhook", url: `${hook.url}/hook?token=s3cret-hook-token`, default: true }] },
  });
  const svc = new AlertingService({
    dataDir,
    config,
    engine: new QueryEngine(store, {}, { clock }),
    clock,
    log: jsonLogger((l) => void logs.push(l), "debug"),
    audit: () => ({ record: (e) => void audit.push(e), flush: async () => {} }),
    metrics,
    dispatcher: { backoffMs: 5, timeoutMs: 5000 },
  });
  return { svc, clock, store, audit, logs, metrics };
}

test("a rule goes pending, fires after `for`, notifies, resolves when the errors age out, and a restart does not re-notify", async () => {
  dir = await mkdtemp(join(tmpdir(), "meshlog-alerting-"));
  try {
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    let f = open(dir, clock, store);
    f.svc.rules.set("a", "ops", group());
    // Tenant b has the same rule but none of the errors: it must stay inactive (a's data is never visible to it).
    f.svc.rules.set("b", "ops", group());
    await store.append(
      "a",
      [1, 2, 3, 4, 5].map((i) => record("a", T0 - 30_000_000_000n + BigInt(i), `error ${i}`)),
    );
    await store.append("a", [record("a", T0 - 1_000_000_000n, "all fine")]);

    await f.svc.runDue();
    let alerts = f.svc.state.all();
    assert.equal(alerts.length, 1);
    assert.deepEqual({ tenant: alerts[0]?.tenant, state: alerts[0]?.state, value: alerts[0]?.value }, { tenant: "a", state: "pending", value: 5 });
    assert.equal(f.svc.incidents.list(undefined).length, 0, "no incident while pending");

    clock.advance(30_000_000_000n);
    await f.svc.runDue();
    const st = f.svc.groupStatus(f.svc.rules.list("a")[0]!);
    assert.equal(st?.lastEvaluation, new Date(Number(T0 / 1_000_000n)).toISOString(), "not due after 30s: not evaluated again");

    clock.advance(30_000_000_000n); // T0 + 1m: held for 1m < 2m
    await f.svc.runDue();
    assert.equal(f.svc.state.all()[0]?.state, "pending");

    clock.advance(MIN); // T0 + 2m
    await f.svc.runDue();
    assert.equal(f.svc.state.all()[0]?.state, "firing");
    await f.svc.dispatcher.idle();
    assert.equal(hook.requests.length, 1);
    const firing = hook.requests[0]!;
    assert.equal(firing.path, "/hook?token=s3cret-hook-token");
    const body = firing.json() as {
      status: string;
      alerts: Record<string, unknown>[];
      groupLabels: unknown;
      commonLabels: Record<string, string>;
      externalURL: string;
    };
    assert.equal(body.status, "firing");
    assert.deepEqual(body.groupLabels, { alertname: "ManyErrors" });
    assert.deepEqual(body.commonLabels, { alertname: "ManyErrors", severity: "page" });
    assert.equal(body.externalURL, "");
    assert.equal(body.alerts.length, 1);
    const a0 = body.alerts[0]!;
    assert.equal(a0.status, "firing");
    assert.equal(a0.value, 5);
    assert.equal(a0.endsAt, "0001-01-01T00:00:00Z");
    assert.equal(a0.startsAt, new Date(Number((T0 + 2n * MIN) / 1_000_000n)).toISOString());
    assert.deepEqual(a0.annotations, { summary: "5 errors in app x" });
    assert.match(String(a0.fingerprint), /^[0-9a-f]{16}$/);

    const [inc] = f.svc.incidents.list(undefined);
    assert.ok(inc !== undefined);
    assert.equal(inc.status, "firing");
    assert.equal(inc.tenant, "a");
    assert.deepEqual(
      inc.events.map((e) => [e.type, e.status ?? ""]),
      [
        ["pending", ""],
        ["firing", ""],
        ["notified", "delivered"],
      ],
    );
    assert.equal(inc.activeAt, new Date(Number(T0 / 1_000_000n)).toISOString());
    assert.ok(f.audit.some((e) => e.action === "alert.firing" && e.tenant === "a" && e.details?.incident === inc.id));
    assert.ok(f.audit.some((e) => e.action === "alert.notified" && e.details?.receiver === "hook" && e.result === "ok"));
    assert.match(f.metrics.render(), /meshlog_alerting_alerts\{state="firing",tenant="a"\} 1/);

    // Restart while firing: the state file restores the alert and nothing is sent again.
    await f.svc.close();
    assert.equal(((await stat(join(dir, "alerting", "alerts.json"))).mode & 0o777).toString(8), "600");
    assert.equal(((await stat(join(dir, "alerting", "incidents.json"))).mode & 0o777).toString(8), "600");
    f = open(dir, clock, store);
    clock.advance(MIN); // T0 + 3m, errors still inside the 5m window
    await f.svc.runDue();
    await f.svc.dispatcher.idle();
    assert.equal(f.svc.state.all()[0]?.state, "firing");
    assert.equal(hook.requests.length, 1, "no second firing notification after the restart");
    assert.match(f.metrics.render(), /meshlog_alerting_alerts\{state="firing",tenant="a"\} 1/);

    clock.advance(3n * MIN); // T0 + 6m: the errors are older than 5m
    await f.svc.runDue();
    await f.svc.dispatcher.idle();
    assert.equal(f.svc.state.all().length, 0);
    assert.match(f.metrics.render(), /meshlog_alerting_alerts\{state="firing",tenant="a"\} 0/);
    assert.equal(hook.requests.length, 2);
    const resolved = hook.requests[1]!.json() as { status: string; alerts: { status: string; endsAt: string; fingerprint: string; incidentId: string }[] };
    assert.equal(resolved.status, "resolved");
    assert.equal(resolved.alerts[0]?.status, "resolved");
    assert.equal(resolved.alerts[0]?.fingerprint, a0.fingerprint);
    assert.equal(resolved.alerts[0]?.incidentId, inc.id);
    assert.equal(resolved.alerts[0]?.endsAt, new Date(Number((T0 + 6n * MIN) / 1_000_000n)).toISOString());
    const done = f.svc.incidents.get(inc.id);
    assert.equal(done?.status, "resolved");
    assert.deepEqual(
      done?.events.map((e) => e.type),
      ["pending", "firing", "notified", "resolved", "notified"],
    );
    // The SOC 2 report's view of the period.
    const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
    assert.deepEqual(f.svc.reportIncidents({ start: iso(T0), end: iso(T0 + 10n * MIN) }), [
      {
        id: inc.id,
        rule: "ManyErrors",
        tenant: "a",
        severity: "page",
        status: "resolved",
        startedAt: iso(T0 + 2n * MIN),
        resolvedAt: iso(T0 + 6n * MIN),
        resolvedBy: "system:alerting",
      },
    ]);
    assert.deepEqual(f.svc.reportIncidents({ start: iso(T0 + 7n * MIN), end: iso(T0 + 10n * MIN) }), [], "resolved before the period");
    assert.deepEqual(f.svc.reportIncidents({ start: iso(T0 - 10n * MIN), end: iso(T0 + MIN) }), [], "started after the period");
    assert.deepEqual(f.svc.reportIncidents({ start: iso(T0), end: iso(T0 + 10n * MIN), tenants: ["b"] }), []);
    // Tenant b's identical rule never saw tenant a's errors.
    assert.ok(f.svc.incidents.list(["b"]).length === 0);
    assert.ok(f.svc.rules.list("b").length === 1);
    // The webhook URL (it carries a token) never reached the logs.
    assert.ok(!f.logs.join("").includes("s3cret-hook-token"));
    const saved = await readFile(join(dir, "alerting", "incidents.json"), "utf8");
    assert.match(saved, new RegExp(inc.id));
    await f.svc.close();
  } finally {
    hook.requests.length = 0;
    await rm(dir, { recursive: true, force: true });
  }
});

test("for: 0 fires at the first evaluation; a pending alert whose series vanishes is dropped without an incident", async () => {
  dir = await mkdtemp(join(tmpdir(), "meshlog-alerting-"));
  try {
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    const f = open(dir, clock, store);
    f.svc.rules.set("a", "ops", {
      name: "g",
      rules: [
        { alert: "Now", expr: 'sum by (app) (count_over_time({app=~".+"} [1m]))', for: "0s", labels: { receiver: "nobody" } },
        { alert: "Later", expr: 'sum by (app) (count_over_time({app=~".+"} [1m]))', for: "10m" },
      ],
    });
    await store.append("a", [record("a", T0 - 1n, "x", "web"), record("a", T0 - 2n, "y", "db")]);
    await f.svc.runDue();
    const now = f.svc.state.all().filter((a) => a.alertname === "Now");
    assert.deepEqual(now.map((a) => [a.labels.app, a.state]).sort(), [
      ["db", "firing"],
      ["web", "firing"],
    ]);
    const incidents = f.svc.incidents.list(undefined);
    assert.equal(incidents.length, 2);
    for (const inc of incidents) {
      assert.deepEqual(
        inc.events.map((e) => e.type),
        ["firing", "notified"],
        "for: 0 has no pending phase",
      );
      assert.equal(inc.events[1]?.status, "failed");
      assert.equal(inc.events[1]?.error, "no receiver named nobody");
    }
    clock.advance(5n * MIN); // default interval 1m; the lines left the 1m window
    await f.svc.runDue();
    assert.equal(f.svc.state.all().length, 0);
    assert.equal(f.svc.incidents.list(undefined).length, 2, "Later never fired: no incident");
    assert.ok(f.svc.incidents.list(undefined).every((i) => i.status === "resolved"));
    await f.svc.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a failing query marks the rule unhealthy and keeps its alerts; removing a rule resolves its firing alerts", async () => {
  dir = await mkdtemp(join(tmpdir(), "meshlog-alerting-"));
  try {
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    const f = open(dir, clock, store);
    f.svc.rules.set("a", "ops", { name: "g", rules: [{ alert: "Any", expr: 'count_over_time({app="x"}[10m])' }] });
    await store.append("a", [record("a", T0 - 1n, "error")]);
    await f.svc.runDue();
    assert.equal(f.svc.state.all()[0]?.state, "firing");
    const key = f.svc.state.all()[0]!.ruleKey;
    assert.equal(f.svc.ruleStatus(key).health, "ok");
    // Make the store fail for one evaluation.
    const select = store.select.bind(store);
    store.select = () => {
      throw new Error("disk on fire");
    };
    clock.advance(MIN);
    await f.svc.runDue();
    assert.equal(f.svc.ruleStatus(key).health, "err");
    assert.match(f.svc.ruleStatus(key).lastError, /disk on fire/);
    assert.equal(f.svc.state.all()[0]?.state, "firing", "a failed evaluation changes no alert");
    store.select = select;
    f.svc.rules.deleteNamespace("a", "ops");
    clock.advance(MIN);
    await f.svc.runDue();
    assert.equal(f.svc.state.all().length, 0);
    const [inc] = f.svc.incidents.list(undefined);
    assert.equal(inc?.status, "resolved");
    assert.equal(inc?.events.find((e) => e.type === "resolved")?.reason, "the rule was removed or changed");
    await f.svc.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("adding or reordering other rules of a group keeps a firing alert and its incident; twin rules stay distinct", async () => {
  dir = await mkdtemp(join(tmpdir(), "meshlog-alerting-"));
  try {
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    const f = open(dir, clock, store);
    const any = { alert: "Any", expr: 'count_over_time({app="x"}[10m])', labels: { receiver: "nobody" } };
    const other = { alert: "Other", expr: 'count_over_time({app="y"}[10m])', labels: { receiver: "nobody" } };
    f.svc.rules.set("a", "ops", { name: "g", rules: [any] });
    await store.append("a", [record("a", T0 - 1n, "error")]);
    await f.svc.runDue();
    const [before] = f.svc.incidents.list(undefined);
    assert.equal(before?.status, "firing");
    // A new rule inserted first (as a re-uploaded rule file may do) must not resolve and re-fire "Any".
    f.svc.rules.set("a", "ops", { name: "g", rules: [other, any] });
    clock.advance(MIN);
    await f.svc.runDue();
    const incidents = f.svc.incidents.list(undefined);
    assert.equal(incidents.length, 1, "no second incident for the same alert");
    assert.equal(incidents[0]?.id, before?.id);
    assert.equal(incidents[0]?.status, "firing");
    assert.ok(!incidents[0]?.events.some((e) => e.type === "resolved"), "no resolved event");
    // Two identical rules are two rules: each keeps its own alert.
    f.svc.rules.set("a", "ops", { name: "g", rules: [any, other, any] });
    clock.advance(MIN);
    await f.svc.runDue();
    assert.equal(f.svc.state.all().filter((a) => a.alertname === "Any").length, 2);
    assert.equal(f.svc.incidents.list(undefined).filter((i) => i.status === "firing").length, 2);
    await f.svc.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an evaluation interval under 1s is refused naming the setting (a zero one would re-evaluate forever)", () => {
  for (const bad of ["0", "0s", "0m", "500ms"]) {
    const r = alertingConfigSchema.safeParse({ evaluationInterval: bad });
    assert.equal(r.success, false, bad);
    assert.deepEqual(r.error?.issues[0]?.path, ["evaluationInterval"], bad);
    assert.match(r.error?.issues[0]?.message ?? "", /at least 1s/, bad);
  }
  assert.equal(alertingConfigSchema.parse({ evaluationInterval: "1s" }).evaluationInterval, "1s");
  assert.equal(alertingConfigSchema.parse({}).evaluationInterval, "1m");
});

test("resolved notifications of several tenants' removed rules go to each tenant's own receiver, even with the same name", async () => {
  dir = await mkdtemp(join(tmpdir(), "meshlog-alerting-"));
  try {
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    const f = open(dir, clock, store);
    // Tenant a's "hook" comes from the config (fixture); tenant b has its own receiver of the same name.
    f.svc.receivers.put("b", receiverSchema.parse({ name: "hook", kind: "webhook", url: `${hook.url}/hook-of-b`, default: true }));
    const g = { name: "g", rules: [{ alert: "Any", expr: 'count_over_time({app="x"}[10m])' }] };
    for (const t of ["a", "b"]) {
      f.svc.rules.set(t, "ops", g);
      await store.append(t, [record(t, T0 - 1n, `secret of ${t}`)]);
    }
    await f.svc.runDue();
    await f.svc.dispatcher.idle();
    const tenantOf = new Map(f.svc.incidents.list(undefined).map((i) => [i.id, i.tenant]));
    assert.deepEqual([...tenantOf.values()].sort(), ["a", "b"]);
    // Both rules go away before the next evaluation: both alerts resolve in one pass.
    f.svc.rules.deleteNamespace("a", "ops");
    f.svc.rules.deleteNamespace("b", "ops");
    clock.advance(MIN);
    await f.svc.runDue();
    await f.svc.dispatcher.idle();
    const sent = hook.requests
      .filter((r) => r.path.startsWith("/hook"))
      .map((r) => ({ path: r.path, body: r.json() as { tenant: string; status: string; alerts: { incidentId: string }[] } }))
      .filter((r) => r.body.alerts.some((a) => tenantOf.has(a.incidentId)));
    const resolved = sent.filter((r) => r.body.status === "resolved");
    assert.equal(resolved.length, 2, "one resolved notification per tenant");
    for (const r of sent) {
      const want = r.path.startsWith("/hook-of-b") ? "b" : "a";
      assert.equal(r.body.tenant, want, r.path);
      assert.deepEqual(
        r.body.alerts.map((a) => tenantOf.get(a.incidentId)),
        r.body.alerts.map(() => want),
        `${r.path} only carries alerts of tenant ${want}`,
      );
    }
    await f.svc.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

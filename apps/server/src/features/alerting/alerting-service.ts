// The alerting service: evaluates every rule group on its interval through the query engine (as an instant query of
// the rule's tenant), drives the alert state machine, opens and closes incidents and hands notifications to the
// dispatcher. Time comes from the injected Clock, so tests step it with a ManualClock.

import { join } from "node:path";
import type { Clock, Logger } from "@meshlog/core";
import type { QueryEngine } from "@meshlog/query";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { MetricsRegistry } from "../metrics/metrics-registry.js";
import type { AlertingConfig } from "./alerting-config.js";
import { AlertStateMachine, type AlertInstance, type RuleRef, type Sample, type Transition } from "./alert-state.js";
import { IncidentStore, nsToIso, type IncidentEvent } from "./incident-store.js";
import { ZERO_TIME, type NotifiedAlert } from "./notification-payloads.js";
import { NotifyDispatcher, type DeliveryResult } from "./notify-dispatcher.js";
import { ReceiverStore } from "./receiver-store.js";
import type { TenantReceiver } from "./receiver-types.js";
import { ruleDurationNs, type AlertRule } from "./rule-group.js";
import { groupKeyOf, ruleKeyOf, RuleStore, type StoredGroup } from "./rule-store.js";

/** ctx.services key of the AlertingService. */
export const ALERTING_SERVICE = "alerting";
/** Principal recorded on audit events the evaluator writes. */
export const ALERTING_PRINCIPAL = "system:alerting";

export interface AlertingDeps {
  readonly dataDir: string;
  readonly config: AlertingConfig;
  readonly engine: QueryEngine;
  readonly clock: Clock;
  readonly log: Logger;
  /** The current audit sink (the security feature may replace it after start). */
  readonly audit: () => AuditSink;
  readonly metrics: MetricsRegistry;
  /** Overrides for tests (delivery timing). */
  readonly dispatcher?: { backoffMs?: number; timeoutMs?: number };
}

/** An incident as the SOC 2 report reads it (docs/soc2-report.md, "Alerting"). */
export interface ReportIncident {
  id: string;
  rule: string;
  tenant: string;
  severity?: string;
  status: "firing" | "resolved";
  startedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
}

/** Health of a rule's latest evaluation (Prometheus' rule health). */
export interface RuleStatus {
  health: "ok" | "err" | "unknown";
  lastError: string;
  lastEvaluation: string;
  evaluationTime: number;
}

export interface GroupStatus {
  lastEvaluation: string;
  evaluationTime: number;
  nextNs: bigint;
}

export class AlertingService {
  readonly rules: RuleStore;
  readonly receivers: ReceiverStore;
  readonly incidents: IncidentStore;
  readonly state = new AlertStateMachine();
  readonly dispatcher: NotifyDispatcher;
  readonly #d: AlertingDeps;
  readonly #alertsFile: string;
  readonly #ruleStatus = new Map<string, RuleStatus>();
  readonly #groupStatus = new Map<string, GroupStatus>();
  readonly #stop = new AbortController();
  readonly #evaluations;
  readonly #failures;
  #running: Promise<void> | undefined;

  constructor(deps: AlertingDeps) {
    this.#d = deps;
    const dir = join(deps.dataDir, "alerting");
    this.rules = RuleStore.open(join(dir, "rules.json"), deps.config.rules, (q) => deps.engine.parse(q));
    this.receivers = new ReceiverStore(join(dir, "receivers.json"), deps.config.receivers);
    this.incidents = new IncidentStore(join(dir, "incidents.json"), deps.config.maxIncidents);
    this.#alertsFile = join(dir, "alerts.json");
    const saved = readPrivateJson(this.#alertsFile) as { alerts?: unknown[] } | undefined;
    const { restored, skipped } = this.state.restore(saved?.alerts ?? []);
    if (restored + skipped > 0) deps.log.info("alert state restored", { restored, skipped });
    this.dispatcher = new NotifyDispatcher({
      timeoutMs: deps.dispatcher?.timeoutMs ?? deps.config.notifyTimeoutSeconds * 1000,
      retries: deps.config.notifyRetries,
      backoffMs: deps.dispatcher?.backoffMs ?? deps.config.notifyBackoffMs,
      externalUrl: deps.config.externalUrl,
      log: deps.log,
      metrics: deps.metrics,
      onResult: (r) => this.#onDelivery(r),
    });
    this.#evaluations = deps.metrics.counter("meshlog_alerting_rule_evaluations_total", "Alert rule evaluations, by tenant.");
    this.#failures = deps.metrics.counter(
      "meshlog_alerting_rule_evaluation_failures_total",
      "Alert rule evaluations that failed (query error or timeout), by tenant.",
    );
    const active = deps.metrics.gauge("meshlog_alerting_alerts", "Active alerts, by tenant and state (pending, firing).");
    const reported = new Set<string>();
    deps.metrics.onCollect(() => {
      const counts = new Map<string, number>();
      for (const k of reported) counts.set(k, 0); // series that went to zero report 0, not their last value
      for (const a of this.state.all()) counts.set(`${a.tenant}\0${a.state}`, (counts.get(`${a.tenant}\0${a.state}`) ?? 0) + 1);
      for (const [k, n] of counts) {
        reported.add(k);
        const [tenant = "", state = ""] = k.split("\0");
        active.set({ tenant, state }, n);
      }
    });
  }

  /** Parses and checks a LogQL query as the engine would run it. */
  parseQuery(query: string): ReturnType<QueryEngine["parse"]> {
    return this.#d.engine.parse(query);
  }

  ruleStatus(key: string): RuleStatus {
    return this.#ruleStatus.get(key) ?? { health: "unknown", lastError: "", lastEvaluation: ZERO_TIME, evaluationTime: 0 };
  }

  groupStatus(g: StoredGroup): GroupStatus | undefined {
    return this.#groupStatus.get(groupKeyOf(g));
  }

  intervalNs(g: StoredGroup): bigint {
    return ruleDurationNs(g.group.interval ?? this.#d.config.evaluationInterval, "interval");
  }

  /**
   * Evaluates every group whose time has come (a new group at once, then every interval), or every group when
   * `force`. Calls are serialized: a call while one runs waits for it and then runs.
   */
  runDue(opts: { force?: boolean } = {}): Promise<void> {
    const prev = this.#running ?? Promise.resolve();
    const next = prev.then(() => this.#runDue(opts.force === true));
    this.#running = next.finally(() => {
      if (this.#running === next) this.#running = undefined;
    });
    return next;
  }

  async #runDue(force: boolean): Promise<void> {
    const now = this.#d.clock.nowNs();
    const groups = this.rules.list();
    const keys = new Set<string>();
    for (const g of groups) g.group.rules.forEach((r, i) => keys.add(ruleKeyOf(g, i, r)));
    let changed = this.#handle(this.state.retain(keys, now, "the rule was removed or changed"));
    const live = new Set(groups.map(groupKeyOf));
    for (const k of this.#groupStatus.keys()) if (!live.has(k)) this.#groupStatus.delete(k);
    for (const g of groups) {
      if (this.#stop.signal.aborted) break;
      const gk = groupKeyOf(g);
      const interval = this.intervalNs(g);
      const st = this.#groupStatus.get(gk);
      if (!force && st !== undefined && now < st.nextNs) continue;
      const started = performance.now();
      for (const [i, rule] of g.group.rules.entries()) changed = (await this.#evaluateRule(g, i, rule, now)) || changed;
      // The first due time after now, on the group's grid (intervals are at least 1s: validated at every entry).
      const from = st?.nextNs ?? now;
      const nextNs = from > now ? from : from + ((now - from) / interval + 1n) * interval;
      this.#groupStatus.set(gk, { lastEvaluation: nsToIso(now), evaluationTime: (performance.now() - started) / 1000, nextNs });
    }
    if (changed) this.#saveState();
  }

  /** Returns true when an alert changed state. */
  async #evaluateRule(g: StoredGroup, index: number, rule: AlertRule, now: bigint): Promise<boolean> {
    const key = ruleKeyOf(g, index, rule);
    const ref: RuleRef = {
      key,
      tenant: g.tenant,
      namespace: g.namespace,
      group: g.group.name,
      alert: rule.alert,
      forNs: rule.for === undefined ? 0n : ruleDurationNs(rule.for, "for"),
      labels: rule.labels ?? {},
      annotations: rule.annotations ?? {},
    };
    const started = performance.now();
    this.#evaluations.inc({ tenant: g.tenant });
    try {
      const samples = await this.#query(g.tenant, rule.expr, now);
      const transitions = this.state.apply(ref, now, samples);
      this.#ruleStatus.set(key, { health: "ok", lastError: "", lastEvaluation: nsToIso(now), evaluationTime: (performance.now() - started) / 1000 });
      return this.#handle(transitions);
    } catch (e) {
      // As Prometheus: a failed evaluation leaves the alerts as they were and marks the rule unhealthy.
      this.#failures.inc({ tenant: g.tenant });
      const msg = (e as Error).message.slice(0, 1000);
      this.#ruleStatus.set(key, { health: "err", lastError: msg, lastEvaluation: nsToIso(now), evaluationTime: (performance.now() - started) / 1000 });
      this.#d.log.warn("alert rule evaluation failed", { tenant: g.tenant, namespace: g.namespace, group: g.group.name, rule: rule.alert, error: msg });
      return false;
    }
  }

  /** The rule's expression as an instant query at `now`, in the rule's tenant, with the engine's limits and timeout. */
  async #query(tenant: string, expr: string, now: bigint): Promise<Sample[]> {
    const r = await this.#d.engine.query({ tenant, query: expr, start: now, end: now, limit: 100, direction: "backward", signal: this.#stop.signal });
    if (r.resultType === "vector") return r.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
    if (r.resultType === "scalar") return [{ labels: {}, value: Number(r.result[1]) }];
    throw new Error(`the expression returned a ${r.resultType}, not a vector`);
  }

  /** Applies transitions: incidents, timeline, audit events, notifications. Returns true when any happened. */
  #handle(transitions: readonly Transition[]): boolean {
    const notify = { firing: [] as AlertInstance[], resolved: [] as AlertInstance[] };
    let changed = false;
    for (const t of transitions) {
      const a = t.alert;
      const at = nsToIso(t.atNs);
      if (t.kind === "pending") {
        changed = true;
        continue;
      }
      if (t.kind === "cancelled") {
        changed = true;
        continue;
      }
      if (t.kind === "firing") {
        const inc = this.incidents.create({
          tenant: a.tenant,
          namespace: a.namespace,
          group: a.group,
          rule: a.alertname,
          fingerprint: a.fingerprint,
          labels: a.labels,
          annotations: a.annotations,
          activeAt: nsToIso(a.activeAtNs),
          startedAt: at,
          value: a.value,
        });
        a.incidentId = inc.id;
        if (a.activeAtNs < t.atNs) this.#event(inc.id, { time: nsToIso(a.activeAtNs), type: "pending" });
        this.#event(inc.id, { time: at, type: "firing", value: a.value });
        notify.firing.push(a);
      } else {
        if (a.incidentId !== undefined)
          this.#event(a.incidentId, { time: at, type: "resolved", value: a.value, ...(t.reason !== undefined ? { reason: t.reason } : {}) });
        notify.resolved.push(a);
      }
      changed = true;
    }
    for (const status of ["firing", "resolved"] as const) if (notify[status].length > 0) this.#notify(status, notify[status]);
    this.incidents.save();
    return changed;
  }

  /**
   * Sends one notification per receiver and rule. Transitions may span tenants and rules (rules removed together
   * resolve in one pass), so notifications are grouped by the receiver's tenant and name and by alert name: a
   * tenant's alerts only ever reach that tenant's receivers.
   */
  #notify(status: "firing" | "resolved", alerts: readonly AlertInstance[]): void {
    const byReceiver = new Map<string, { receiver: TenantReceiver; alertname: string; alerts: NotifiedAlert[] }>();
    const now = nsToIso(this.#d.clock.nowNs());
    for (const a of alerts) {
      if (a.incidentId === undefined) continue;
      const { receivers, unknown } = this.receivers.route(a.tenant, a.labels.receiver);
      const time = now;
      for (const name of unknown)
        this.#event(a.incidentId, {
          time,
          type: "notified",
          receiver: name,
          notification: status,
          status: "failed",
          attempts: 0,
          error: `no receiver named ${name}`,
        });
      if (receivers.length === 0 && unknown.length === 0)
        this.#event(a.incidentId, {
          time,
          type: "notified",
          notification: status,
          status: "failed",
          attempts: 0,
          error: "no receiver: the rule sets no receiver label and the tenant has no default receiver",
        });
      for (const r of receivers) {
        if (status === "resolved" && !r.sendResolved) continue;
        const key = `${r.tenant}\0${r.name}\0${a.alertname}`;
        let entry = byReceiver.get(key);
        if (entry === undefined) byReceiver.set(key, (entry = { receiver: r, alertname: a.alertname, alerts: [] }));
        entry.alerts.push({
          status,
          labels: a.labels,
          annotations: a.annotations,
          startsAt: nsToIso(a.firedAtNs ?? a.activeAtNs),
          endsAt: status === "resolved" ? now : ZERO_TIME,
          fingerprint: a.fingerprint,
          value: a.value,
          incidentId: a.incidentId,
        });
      }
    }
    for (const { receiver, alertname, alerts: list } of byReceiver.values())
      this.dispatcher.send(receiver, { tenant: receiver.tenant, status, groupLabels: { alertname }, alerts: list });
  }

  #onDelivery(r: DeliveryResult): void {
    const time = nsToIso(this.#d.clock.nowNs());
    for (const id of r.incidentIds)
      this.#event(id, {
        time,
        type: "notified",
        receiver: r.receiver.name,
        kind: r.receiver.kind,
        notification: r.notification,
        status: r.status,
        attempts: r.attempts,
        ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      });
    this.incidents.save();
  }

  /** Adds a timeline event and writes it to the audit trail (tamper-evident through the ledger). */
  #event(incidentId: string, e: IncidentEvent): void {
    const inc = this.incidents.addEvent(incidentId, e);
    if (inc === undefined) return;
    const details: Record<string, string | number | boolean> = {
      incident: inc.id,
      rule: inc.rule,
      namespace: inc.namespace,
      group: inc.group,
      fingerprint: inc.fingerprint,
    };
    for (const k of ["receiver", "kind", "notification", "status", "httpStatus", "attempts", "error", "value", "reason", "comment"] as const) {
      const v = e[k];
      if (v !== undefined) details[k] = v;
    }
    this.#d.audit().record({
      action: `alert.${e.type}`,
      principal: e.principal ?? ALERTING_PRINCIPAL,
      tenant: inc.tenant,
      result: e.status === "failed" ? "error" : "ok",
      details,
    });
  }

  /**
   * Incidents of a period for the SOC 2 report (the `alerting.incidents` service-map seam): those that started
   * before `end` and were not resolved before `start`, oldest first.
   */
  reportIncidents(q: { start: string; end: string; tenants?: readonly string[] }): ReportIncident[] {
    const start = Date.parse(q.start);
    const end = Date.parse(q.end);
    return this.incidents
      .list(q.tenants)
      .filter((i) => Date.parse(i.startedAt) < end && (i.resolvedAt === undefined || Date.parse(i.resolvedAt) >= start))
      .reverse()
      .map((i) => ({
        id: i.id,
        rule: i.rule,
        tenant: i.tenant,
        ...(i.labels.severity !== undefined ? { severity: i.labels.severity } : {}),
        status: i.status,
        startedAt: i.startedAt,
        ...(i.acknowledgedAt !== undefined ? { acknowledgedAt: i.acknowledgedAt } : {}),
        ...(i.acknowledgedBy !== undefined ? { acknowledgedBy: i.acknowledgedBy } : {}),
        ...(i.resolvedAt !== undefined ? { resolvedAt: i.resolvedAt, resolvedBy: ALERTING_PRINCIPAL } : {}),
      }));
  }

  /** Acknowledges an incident (timeline event + audit); returns it. */
  acknowledge(id: string, visible: readonly string[] | undefined, principal: string, comment?: string): ReturnType<IncidentStore["acknowledge"]> {
    const time = nsToIso(this.#d.clock.nowNs());
    const out = this.incidents.acknowledge(id, visible, principal, time, comment);
    if (out.changed) this.incidents.save();
    return out;
  }

  #saveState(): void {
    try {
      writePrivateJson(this.#alertsFile, { version: 1, alerts: this.state.snapshot() });
    } catch (e) {
      this.#d.log.error("cannot save the alert state", { err: e as Error });
    }
  }

  /** Stops evaluation (aborts a running query), waits for it, fails pending retries and saves the state. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#running?.catch(() => undefined);
    await this.dispatcher.close();
    this.#saveState();
    this.incidents.save();
  }
}

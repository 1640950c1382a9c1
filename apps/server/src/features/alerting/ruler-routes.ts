// Loki ruler API (YAML rule groups per namespace) and the Prometheus-style rules/alerts API, as Grafana's alerting
// UI and cortextool use them. Admins change rules; analysts and auditors read them. Every call is audited.

import { AUDIT_TENANT, MeshlogError } from "@meshlog/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { stringify as toYaml } from "yaml";
import type { ServerContext } from "../../context.js";
import { ServerErrors } from "../../errors.js";
import { principalOf, requireRole } from "../../http/request-auth.js";
import { parseScopeSelector, scopeMatches } from "../auth/scope-selector.js";
import type { RouteModule } from "../../http/route-module.js";
import type { Principal } from "../auth/principal.js";
import type { AlertInstance } from "./alert-state.js";
import { ALERTING_SERVICE, type AlertingService } from "./alerting-service.js";
import { AlertingErrors } from "./errors.js";
import { nsToIso } from "./incident-store.js";
import { usePrometheusErrors } from "./prometheus-error.js";
import { MAX_GROUP_BYTES, parseRuleGroupText, ruleDurationNs, type RuleGroup } from "./rule-group.js";
import { checkNamespace, ruleKeyOf, type StoredGroup } from "./rule-store.js";

export function alertingOf(ctx: ServerContext): AlertingService {
  const s = ctx.services.get(ALERTING_SERVICE) as AlertingService | undefined;
  if (s === undefined) throw new MeshlogError(AlertingErrors.ALERT_UNAVAILABLE, "alerting is not running on this server");
  return s;
}

/**
 * Which alerts a caller may see: a principal with a read scope (e.g. {namespace="team-a"}) sees only alerts and
 * incidents whose labels satisfy it (alerts without the scope's labels stay hidden), as for log data.
 */
export function alertVisibility(request: FastifyRequest): (labels: Readonly<Record<string, string>>) => boolean {
  const scope = principalOf(request).scope;
  if (scope === undefined || scope.trim() === "") return () => true;
  const matchers = parseScopeSelector(scope);
  return (labels) => scopeMatches(matchers, labels);
}

/**
 * Admins who change what the evaluator runs or where it sends alerts (rules, receivers). Rules are evaluated over
 * the whole tenant and a default receiver gets every alert of it, so a principal with a read scope may not change
 * them: its scope would not bound what the rules read and the notifications carry.
 */
export function requireUnscopedAdmin(request: FastifyRequest, what: string): Principal {
  const caller = requireRole(request, "admin");
  if (caller.scope !== undefined && caller.scope.trim() !== "")
    throw new MeshlogError(
      ServerErrors.AUTH_FORBIDDEN,
      `${what} act on the whole tenant: this needs a token without a read scope (this one is limited to ${caller.scope.slice(0, 200)})`,
    );
  return caller;
}

/** Readers of rules and alerts: analyst or auditor (auditor for the audit tenant). */
export function ruleReader(request: FastifyRequest): void {
  if (request.tenant === AUDIT_TENANT) requireRole(request, "auditor");
  else requireRole(request, "analyst", "auditor");
}

/** Prometheus' text form of a sample value in the alerts API (Go's FormatFloat(v, 'e', 10, 64), e.g. 4.0000000000e+00). */
export function promValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const [m = "0", e = "+0"] = v.toExponential(10).split("e");
  return `${m}e${e[0] ?? "+"}${e.slice(1).padStart(2, "0")}`;
}

const seconds = (text: string | undefined, field: string): number => (text === undefined ? 0 : Number(ruleDurationNs(text, field)) / 1e9);

function promAlert(a: AlertInstance): Record<string, unknown> {
  return { labels: a.labels, annotations: a.annotations, state: a.state, activeAt: nsToIso(a.activeAtNs), value: promValue(a.value) };
}

function promGroup(
  s: AlertingService,
  g: StoredGroup,
  ruleNames: readonly string[],
  see: (labels: Readonly<Record<string, string>>) => boolean,
): Record<string, unknown> {
  const st = s.groupStatus(g);
  const rules = g.group.rules.flatMap((r, i) => {
    if (ruleNames.length > 0 && !ruleNames.includes(r.alert)) return [];
    const key = ruleKeyOf(g, i, r);
    const alerts = s.state.alertsOf(key).filter((a) => see(a.labels));
    const h = s.ruleStatus(key);
    return [
      {
        state: alerts.some((a) => a.state === "firing") ? "firing" : alerts.length > 0 ? "pending" : "inactive",
        name: r.alert,
        query: r.expr,
        duration: seconds(r.for, "for"),
        keepFiringFor: 0,
        labels: r.labels ?? {},
        annotations: r.annotations ?? {},
        alerts: alerts.map(promAlert),
        health: h.health,
        lastError: h.lastError,
        type: "alerting",
        lastEvaluation: h.lastEvaluation,
        evaluationTime: h.evaluationTime,
      },
    ];
  });
  return {
    name: g.group.name,
    file: g.namespace,
    rules,
    interval: Number(s.intervalNs(g)) / 1e9,
    limit: 0,
    evaluationTime: st?.evaluationTime ?? 0,
    lastEvaluation: st?.lastEvaluation ?? "0001-01-01T00:00:00Z",
  };
}

/** Values of a repeated query parameter (`file[]=a&file[]=b` or `file=a`). */
function multi(request: FastifyRequest, name: string): string[] {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const v = q[`${name}[]`] ?? q[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string");
}

function yamlReply(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type("application/yaml").send(toYaml(value, { lineWidth: 0 }));
}

/** Path prefixes of the ruler API: Loki's, and the legacy one Grafana's alerting UI uses for Loki data sources. */
export const RULER_PREFIXES = ["/loki/api/v1/rules", "/api/prom/rules"] as const;

/** Loki ruler's answer to accepted changes. */
const ACCEPTED = { status: "success", data: null, errorType: "", error: "" };

function byNamespace(groups: readonly StoredGroup[]): Record<string, RuleGroup[]> {
  const out: Record<string, RuleGroup[]> = {};
  for (const g of groups) (out[g.namespace] ??= []).push(g.group);
  return out;
}

export const rulerRoutes: RouteModule = {
  name: "alerting-ruler",
  body: "raw",
  register(app, ctx) {
    const notFound = (what: string): MeshlogError => new MeshlogError(AlertingErrors.ALERT_RULE_NOT_FOUND, what);

    // Loki's paths and the legacy ones Grafana's alerting UI (lokiPrefix) and older cortextool use.
    for (const prefix of RULER_PREFIXES) {
      app.get(prefix, { config: { audit: "alert.rule.read" } }, async (request, reply) => {
        ruleReader(request);
        const groups = alertingOf(ctx).rules.list(request.tenant);
        request.auditRows = groups.length;
        // Loki answers 404 "no rule groups found" here; an empty mapping is what Grafana and cortextool make of it.
        return yamlReply(reply, byNamespace(groups));
      });

      app.get(`${prefix}/:namespace`, { config: { audit: "alert.rule.read" } }, async (request, reply) => {
        ruleReader(request);
        const ns = (request.params as { namespace: string }).namespace;
        const groups = alertingOf(ctx)
          .rules.list(request.tenant)
          .filter((g) => g.namespace === ns);
        request.auditRows = groups.length;
        if (groups.length === 0) throw notFound(`rule namespace ${JSON.stringify(ns.slice(0, 100))} does not exist`);
        return yamlReply(reply, byNamespace(groups));
      });

      app.get(`${prefix}/:namespace/:group`, { config: { audit: "alert.rule.read" } }, async (request, reply) => {
        ruleReader(request);
        const { namespace, group } = request.params as { namespace: string; group: string };
        const g = alertingOf(ctx).rules.get(request.tenant, namespace, group);
        if (g === undefined)
          throw notFound(`rule group ${JSON.stringify(group.slice(0, 100))} does not exist in namespace ${JSON.stringify(namespace.slice(0, 100))}`);
        request.auditRows = 1;
        return yamlReply(reply, g.group);
      });

      app.post(`${prefix}/:namespace`, { config: { audit: "alert.rule.update" }, bodyLimit: MAX_GROUP_BYTES }, async (request, reply) => {
        requireUnscopedAdmin(request, "alert rules");
        const ns = checkNamespace((request.params as { namespace: string }).namespace);
        const s = alertingOf(ctx);
        const body = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
        const group = parseRuleGroupText(body, (q) => s.parseQuery(q));
        const replaced = s.rules.set(request.tenant, ns, group);
        request.auditDetails = { namespace: ns.slice(0, 200), group: group.name.slice(0, 200), rules: group.rules.length, replaced };
        return reply.status(202).send(ACCEPTED);
      });

      app.delete(`${prefix}/:namespace/:group`, { config: { audit: "alert.rule.delete" } }, async (request, reply) => {
        requireUnscopedAdmin(request, "alert rules");
        const { namespace, group } = request.params as { namespace: string; group: string };
        alertingOf(ctx).rules.deleteGroup(request.tenant, namespace, group);
        request.auditDetails = { namespace: namespace.slice(0, 200), group: group.slice(0, 200) };
        return reply.status(202).send(ACCEPTED);
      });

      app.delete(`${prefix}/:namespace`, { config: { audit: "alert.rule.delete" } }, async (request, reply) => {
        requireUnscopedAdmin(request, "alert rules");
        const ns = (request.params as { namespace: string }).namespace;
        const n = alertingOf(ctx).rules.deleteNamespace(request.tenant, ns);
        request.auditDetails = { namespace: ns.slice(0, 200), groups: n };
        return reply.status(202).send(ACCEPTED);
      });
    }

    // Prometheus-compatible routes answer errors in Prometheus' shape ({"status":"error","errorType","error"}).
    void app.register(async (prom) => {
      usePrometheusErrors(prom, ctx);
      prom.get("/prometheus/api/v1/rules", { config: { audit: "alert.rule.read" } }, async (request) => {
        ruleReader(request);
        const s = alertingOf(ctx);
        const type = (request.query as Record<string, unknown> | undefined)?.type;
        if (type !== undefined && type !== "alert" && type !== "record")
          throw new MeshlogError(AlertingErrors.ALERT_RULE_INVALID, `type: must be alert or record, got ${JSON.stringify(String(type).slice(0, 32))}`);
        const see = alertVisibility(request);
        const files = multi(request, "file");
        const groupNames = multi(request, "rule_group");
        const ruleNames = multi(request, "rule_name");
        const groups =
          type === "record"
            ? []
            : s.rules
                .list(request.tenant)
                .filter((g) => (files.length === 0 || files.includes(g.namespace)) && (groupNames.length === 0 || groupNames.includes(g.group.name)))
                .map((g) => promGroup(s, g, ruleNames, see))
                .filter((g) => ruleNames.length === 0 || (g.rules as unknown[]).length > 0);
        request.auditRows = groups.length;
        return { status: "success", data: { groups } };
      });

      prom.get("/prometheus/api/v1/alerts", { config: { audit: "alert.read" } }, async (request) => {
        ruleReader(request);
        const see = alertVisibility(request);
        const alerts = alertingOf(ctx)
          .state.all()
          .filter((a) => a.tenant === request.tenant && see(a.labels))
          .map(promAlert);
        request.auditRows = alerts.length;
        return { status: "success", data: { alerts } };
      });
    });
  },
};

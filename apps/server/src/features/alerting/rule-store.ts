// Rule groups per tenant and namespace: API-managed ones persisted in DATA/alerting/rules.json (0600, atomic), plus
// read-only ones from the config file (alerting.rules).

import { createHash } from "node:crypto";
import { isValidTenant, MeshlogError } from "@meshlog/core";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import { AlertingErrors } from "./errors.js";
import { MAX_GROUPS_PER_TENANT, validateRuleGroup, type AlertRule, type ExprParser, type RuleGroup } from "./rule-group.js";

/** A rule group of a tenant, with where it was defined. */
export interface StoredGroup {
  readonly tenant: string;
  readonly namespace: string;
  readonly group: RuleGroup;
  readonly source: "config" | "api";
}

interface RulesFile {
  version: 1;
  tenants: Record<string, Record<string, RuleGroup[]>>;
}

/**
 * Stable identity of a rule: its group, alert name, expression and labels, plus how many identical rules come
 * before it in the group. Changing the expression or labels makes it a new rule (old alerts resolve); adding,
 * removing or reordering other rules of the group does not (its alerts keep their state and incidents).
 */
export function ruleKeyOf(g: StoredGroup, index: number, r: AlertRule): string {
  const labels = JSON.stringify(r.labels ?? {});
  let twin = 0;
  for (let j = 0; j < index; j++) {
    const o = g.group.rules[j];
    if (o !== undefined && o.alert === r.alert && o.expr === r.expr && JSON.stringify(o.labels ?? {}) === labels) twin++;
  }
  const h = createHash("sha256");
  for (const part of [g.tenant, g.namespace, g.group.name, r.alert, r.expr, labels, String(twin)]) h.update(part).update("\0");
  return h.digest("hex").slice(0, 24);
}

export const groupKeyOf = (g: StoredGroup): string => `${g.tenant}\0${g.namespace}\0${g.group.name}`;

/** Checks a namespace name (a path segment of the ruler API). */
export function checkNamespace(ns: string): string {
  if (ns.trim() === "" || ns.length > 256 || ns.includes("/") || /[\x00-\x1f\x7f]/.test(ns))
    throw new MeshlogError(
      AlertingErrors.ALERT_RULE_INVALID,
      `invalid rule namespace ${JSON.stringify(ns.slice(0, 64))}: must be 1-256 printable characters without /`,
      {
        details: { field: "namespace" },
      },
    );
  return ns;
}

export class RuleStore {
  readonly #file: string;
  readonly #api: Map<string, Map<string, RuleGroup[]>>;
  readonly #config: Map<string, Map<string, RuleGroup[]>>;
  readonly #listeners: (() => void)[] = [];

  private constructor(file: string, api: Map<string, Map<string, RuleGroup[]>>, config: Map<string, Map<string, RuleGroup[]>>) {
    this.#file = file;
    this.#api = api;
    this.#config = config;
  }

  /**
   * Loads the API rules from `file` and validates the config rules (errors name the config path, e.g.
   * alerting.rules.a.ops[0].rules[1].expr).
   */
  static open(file: string, configRules: Record<string, Record<string, unknown[]>>, parseExpr: ExprParser): RuleStore {
    const config = new Map<string, Map<string, RuleGroup[]>>();
    for (const [tenant, namespaces] of Object.entries(configRules)) {
      if (!isValidTenant(tenant))
        throw new MeshlogError(
          AlertingErrors.ALERT_RULE_INVALID,
          `config: alerting.rules.${tenant.slice(0, 64)}: ${JSON.stringify(tenant.slice(0, 64))} is not a valid tenant id`,
        );
      const byNs = new Map<string, RuleGroup[]>();
      for (const [ns, groups] of Object.entries(namespaces)) {
        const where = `alerting.rules.${tenant}.${ns}`;
        try {
          checkNamespace(ns);
          const seen = new Set<string>();
          const list = groups.map((g, i) => validateRuleGroup(g, parseExpr, `${where}[${i}]`));
          for (const g of list) {
            if (seen.has(g.name))
              throw new MeshlogError(AlertingErrors.ALERT_RULE_INVALID, `invalid rule group: ${where}: group ${JSON.stringify(g.name)} appears twice`);
            seen.add(g.name);
          }
          byNs.set(ns, list);
        } catch (e) {
          throw new MeshlogError(
            AlertingErrors.ALERT_RULE_INVALID,
            `config: ${(e as Error).message.includes(where) ? (e as Error).message : `${where}: ${(e as Error).message}`}`,
          );
        }
      }
      config.set(tenant, byNs);
    }
    const api = new Map<string, Map<string, RuleGroup[]>>();
    const raw = readPrivateJson(file) as RulesFile | undefined;
    for (const [tenant, namespaces] of Object.entries(raw?.tenants ?? {})) api.set(tenant, new Map(Object.entries(namespaces)));
    return new RuleStore(file, api, config);
  }

  /** Calls `fn` after every change (set or delete). */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** Every group of one tenant (or of all tenants), config groups first, ordered by namespace then as stored. */
  list(tenant?: string): StoredGroup[] {
    const out: StoredGroup[] = [];
    const add = (source: "config" | "api", m: Map<string, Map<string, RuleGroup[]>>): void => {
      for (const [t, byNs] of m) {
        if (tenant !== undefined && t !== tenant) continue;
        for (const ns of [...byNs.keys()].sort()) for (const group of byNs.get(ns) ?? []) out.push({ tenant: t, namespace: ns, group, source });
      }
    };
    add("config", this.#config);
    add("api", this.#api);
    return out;
  }

  get(tenant: string, namespace: string, group: string): StoredGroup | undefined {
    return this.list(tenant).find((g) => g.namespace === namespace && g.group.name === group);
  }

  /** Creates or replaces a group (by name) in an API namespace. Returns true when it replaced one. */
  set(tenant: string, namespace: string, group: RuleGroup): boolean {
    this.#writable(tenant, namespace);
    let byNs = this.#api.get(tenant);
    const groups = byNs?.get(namespace) ?? [];
    const i = groups.findIndex((g) => g.name === group.name);
    if (i < 0 && this.list(tenant).length >= MAX_GROUPS_PER_TENANT)
      throw new MeshlogError(AlertingErrors.ALERT_LIMIT_EXCEEDED, `tenant ${tenant} already has ${MAX_GROUPS_PER_TENANT} rule groups (the most allowed)`);
    const next = i < 0 ? [...groups, group] : groups.map((g, j) => (j === i ? group : g));
    if (byNs === undefined) this.#api.set(tenant, (byNs = new Map()));
    byNs.set(namespace, next);
    this.#save();
    return i >= 0;
  }

  deleteGroup(tenant: string, namespace: string, name: string): void {
    this.#writable(tenant, namespace);
    const groups = this.#api.get(tenant)?.get(namespace);
    if (groups === undefined || !groups.some((g) => g.name === name))
      throw new MeshlogError(
        AlertingErrors.ALERT_RULE_NOT_FOUND,
        `rule group ${JSON.stringify(name.slice(0, 100))} does not exist in namespace ${JSON.stringify(namespace.slice(0, 100))}`,
      );
    const rest = groups.filter((g) => g.name !== name);
    if (rest.length === 0) this.#api.get(tenant)?.delete(namespace);
    else this.#api.get(tenant)?.set(namespace, rest);
    this.#save();
  }

  deleteNamespace(tenant: string, namespace: string): number {
    this.#writable(tenant, namespace);
    const groups = this.#api.get(tenant)?.get(namespace);
    if (groups === undefined)
      throw new MeshlogError(AlertingErrors.ALERT_RULE_NOT_FOUND, `rule namespace ${JSON.stringify(namespace.slice(0, 100))} does not exist`);
    this.#api.get(tenant)?.delete(namespace);
    this.#save();
    return groups.length;
  }

  #writable(tenant: string, namespace: string): void {
    if (this.#config.get(tenant)?.has(namespace) === true)
      throw new MeshlogError(
        AlertingErrors.ALERT_RULE_READONLY,
        `rule namespace ${JSON.stringify(namespace.slice(0, 100))} of tenant ${tenant} is defined in the config file (alerting.rules); change it there`,
      );
  }

  #save(): void {
    const tenants: RulesFile["tenants"] = {};
    for (const [t, byNs] of this.#api) if (byNs.size > 0) tenants[t] = Object.fromEntries(byNs);
    writePrivateJson(this.#file, { version: 1, tenants } satisfies RulesFile);
    for (const fn of this.#listeners) fn();
  }
}

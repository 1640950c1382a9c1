// Retention policies per tenant: ordered `selector -> retention` rules, validation against the audit window, resolution.

import { AUDIT_TENANT, MeshlogError, type Labels } from "@meshlog/core";
import { RetentionErrors } from "./errors.js";
import { formatRetentionDays, parseRetentionDays, retentionClassName } from "./retention-class.js";

/** A compiled stream selector: the predicate and the label names it mentions. */
export interface CompiledSelector {
  matches(labels: Labels): boolean;
  readonly labelNames: readonly string[];
}

/** Compiles a LogQL stream selector (`{namespace="payments"}`); throws an Error naming the problem. */
export type SelectorCompiler = (selector: string) => CompiledSelector;

/** One rule as written: the first rule whose selector matches a stream decides its retention. */
export interface RetentionRule {
  readonly selector: string;
  /** "400d", "8w", "1y". */
  readonly retention: string;
}

/** A tenant's policy as written in config or sent to the API. */
export interface TenantPolicySpec {
  /** Retention of streams no rule matches; absent = the global default. */
  readonly default?: string;
  readonly rules: readonly RetentionRule[];
}

/** A stored, validated tenant policy (with its change history fields). */
export interface TenantPolicy extends TenantPolicySpec {
  readonly tenant: string;
  /** 1 for the first version, +1 on every change. */
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface RetentionSettings {
  /** Retention of streams of tenants without a policy (default 90). */
  readonly defaultDays: number;
  /** Minimum retention of security/audit streams: tenant "_audit" and streams labelled source="audit" (default 400). */
  readonly auditWindowDays: number;
}

interface CompiledPolicy {
  readonly spec: TenantPolicy;
  readonly defaultDays: number | undefined;
  readonly rules: readonly { readonly sel: CompiledSelector; readonly days: number }[];
}

/** True for streams that hold security/audit events, which must be kept for the whole audit window. */
export function isAuditStream(tenant: string, labels: Labels): boolean {
  return tenant === AUDIT_TENANT || labels.source === "audit";
}

const MAX_RULES = 256;
const MAX_SELECTOR = 4096;

/**
 * The retention policies of every tenant. Resolution is deterministic: the first matching rule wins,
 * then the tenant default, then the global default; audit streams never get less than the audit window
 * (even through a rule written for other streams). Policies that would explicitly keep audit streams
 * shorter than the audit window are refused.
 */
export class RetentionPolicies {
  readonly settings: RetentionSettings;
  readonly #compile: SelectorCompiler;
  readonly #policies = new Map<string, CompiledPolicy>();

  constructor(settings: RetentionSettings, compile: SelectorCompiler) {
    if (!Number.isInteger(settings.defaultDays) || settings.defaultDays < 1)
      throw new MeshlogError(RetentionErrors.RETENTION_POLICY_INVALID, `retention default of ${settings.defaultDays} days must be a positive integer`);
    if (!Number.isInteger(settings.auditWindowDays) || settings.auditWindowDays < 1)
      throw new MeshlogError(RetentionErrors.RETENTION_POLICY_INVALID, `audit window of ${settings.auditWindowDays} days must be a positive integer`);
    this.settings = settings;
    this.#compile = compile;
  }

  /** Validates a policy without installing it; throws RETENTION_POLICY_INVALID naming the rule. */
  validate(tenant: string, spec: TenantPolicySpec): void {
    this.#compilePolicy({ tenant, version: 0, updatedAt: "", updatedBy: "", ...spec });
  }

  /** Installs (replaces) a tenant's policy after validating it. */
  set(policy: TenantPolicy): void {
    this.#policies.set(policy.tenant, this.#compilePolicy(policy));
  }

  get(tenant: string): TenantPolicy | undefined {
    return this.#policies.get(tenant)?.spec;
  }

  list(): TenantPolicy[] {
    return [...this.#policies.values()].map((p) => p.spec).sort((a, b) => (a.tenant < b.tenant ? -1 : 1));
  }

  /** Retention in days of a stream of `tenant` with `labels`, under the current policies. */
  daysFor(tenant: string, labels: Labels): number {
    const p = this.#policies.get(tenant);
    let days = p?.rules.find((r) => r.sel.matches(labels))?.days ?? p?.defaultDays ?? this.settings.defaultDays;
    if (isAuditStream(tenant, labels)) days = Math.max(days, this.settings.auditWindowDays);
    return days;
  }

  /** The retention class new blocks of this stream get ("r<days>d"). */
  classFor(tenant: string, labels: Labels): string {
    return retentionClassName(this.daysFor(tenant, labels));
  }

  /** The longest retention any stream of the tenant can get (for keys whose class does not encode one). */
  maxDaysOf(tenant: string): number {
    const p = this.#policies.get(tenant);
    let days = Math.max(this.settings.defaultDays, p?.defaultDays ?? 0, ...(p?.rules.map((r) => r.days) ?? []));
    if (tenant === AUDIT_TENANT) days = Math.max(days, this.settings.auditWindowDays);
    return days;
  }

  #compilePolicy(policy: TenantPolicy): CompiledPolicy {
    const fail = (msg: string): never => {
      throw new MeshlogError(RetentionErrors.RETENTION_POLICY_INVALID, `Retention policy of tenant "${policy.tenant}": ${msg}`);
    };
    const extra = Object.keys(policy).filter((k) => !["tenant", "default", "rules", "version", "updatedAt", "updatedBy"].includes(k));
    if (extra.length > 0) fail(`unknown field "${extra[0]}" (a policy has "default" and "rules")`);
    if (!Array.isArray(policy.rules)) fail("rules must be a list of {selector, retention}");
    if (policy.rules.length > MAX_RULES) fail(`has ${policy.rules.length} rules, more than the ${MAX_RULES} allowed`);
    const window = this.settings.auditWindowDays;
    const auditTenant = policy.tenant === AUDIT_TENANT;
    const defaultDays = policy.default === undefined ? undefined : parseRetentionDays(policy.default, `Retention policy of tenant "${policy.tenant}", default`);
    if (auditTenant && defaultDays !== undefined && defaultDays < window) {
      fail(`default ${policy.default} is shorter than the ${window}-day audit window required for the audit tenant`);
    }
    const rules = policy.rules.map((r, i) => {
      const where = `rule ${i + 1} (${JSON.stringify(r?.selector)?.slice(0, 100)})`;
      if (typeof r !== "object" || r === null || typeof r.selector !== "string") return fail(`${where}: each rule needs a selector string and a retention`);
      const extraKeys = Object.keys(r).filter((k) => k !== "selector" && k !== "retention");
      if (extraKeys.length > 0) fail(`${where}: unknown field "${extraKeys[0]}"`);
      if (r.selector.length > MAX_SELECTOR) fail(`${where}: selector is longer than ${MAX_SELECTOR} characters`);
      const days = parseRetentionDays(r.retention, `Retention policy of tenant "${policy.tenant}", ${where}`);
      let sel: CompiledSelector;
      try {
        sel = this.#compile(r.selector);
      } catch (e) {
        return fail(`${where}: invalid selector: ${(e as Error).message}`);
      }
      const targetsAudit = auditTenant || (sel.labelNames.includes("source") && sel.matches({ source: "audit" }));
      if (targetsAudit && days < window) {
        fail(
          `${where}: retention ${r.retention} is shorter than the ${window}-day audit window required for security/audit streams (retention.auditWindowDays)`,
        );
      }
      return { sel, days };
    });
    const spec: TenantPolicy = {
      tenant: policy.tenant,
      ...(defaultDays === undefined ? {} : { default: formatRetentionDays(defaultDays) }),
      rules: policy.rules.map((r) => ({ selector: r.selector, retention: r.retention })),
      version: policy.version,
      updatedAt: policy.updatedAt,
      updatedBy: policy.updatedBy,
    };
    return { spec, defaultDays, rules };
  }
}

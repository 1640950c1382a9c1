// The alert state machine of every rule (Prometheus semantics): inactive -> pending -> firing after `for`, resolved
// when the series disappears from the result. Pure: the caller supplies evaluation times and query results.

import { createHash } from "node:crypto";

/** What the state machine needs of a rule. `key` identifies the rule across evaluations. */
export interface RuleRef {
  readonly key: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly group: string;
  readonly alert: string;
  readonly forNs: bigint;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One series of a rule's result at an evaluation. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type AlertState = "pending" | "firing";

/** An active (pending or firing) alert: one output series of a rule. */
export interface AlertInstance {
  readonly fingerprint: string;
  readonly ruleKey: string;
  readonly tenant: string;
  readonly namespace: string;
  readonly group: string;
  readonly alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  activeAtNs: bigint;
  firedAtNs?: bigint;
  value: number;
  /** Set when the alert fires: the incident of this firing episode. */
  incidentId?: string;
}

export interface Transition {
  /** pending: a new series; firing: held for `for`; resolved: a firing alert's series is gone; cancelled: a pending one's is. */
  readonly kind: "pending" | "firing" | "resolved" | "cancelled";
  readonly alert: AlertInstance;
  readonly atNs: bigint;
  readonly reason?: string;
}

/** Alertmanager-style fingerprint: hash of the tenant and the sorted label set (16 hex chars). */
export function fingerprintOf(tenant: string, labels: Readonly<Record<string, string>>): string {
  const h = createHash("sha256").update(tenant).update("\0");
  for (const k of Object.keys(labels).sort())
    h.update(k)
      .update("\0")
      .update(labels[k] ?? "")
      .update("\0");
  return h.digest("hex").slice(0, 16);
}

const LABEL_REF = /\{\{\s*(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;
const VALUE_REF = /\{\{\s*(?:\$value|\.Value)\s*\}\}/g;

/** Expands the Prometheus template forms rules use most: {{ $labels.NAME }}, {{ $value }} (and .Labels.NAME, .Value). */
export function expandTemplate(text: string, labels: Readonly<Record<string, string>>, value: number): string {
  if (!text.includes("{{")) return text;
  return text.replace(LABEL_REF, (_m, name: string) => labels[name] ?? "").replace(VALUE_REF, () => formatValue(value));
}

/** A sample value as text for templates and notifications (shortest round-trip form; NaN and ±Inf as Prometheus writes them). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

export class AlertStateMachine {
  readonly #byRule = new Map<string, Map<string, AlertInstance>>();

  /**
   * Applies one evaluation of `rule` at `atNs` with its result series. Throws when two series end up with the same
   * label set (Prometheus: "vector contains metrics with the same labelset after applying alert labels"); then no
   * state changes.
   */
  apply(rule: RuleRef, atNs: bigint, samples: readonly Sample[]): Transition[] {
    const current = this.#byRule.get(rule.key) ?? new Map<string, AlertInstance>();
    const built = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const s of samples) {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) if (k !== "__name__") labels[k] = v;
      for (const [k, v] of Object.entries(rule.labels)) labels[k] = expandTemplate(v, s.labels, s.value);
      labels.alertname = rule.alert;
      const fp = fingerprintOf(rule.tenant, labels);
      if (built.has(fp)) throw new Error(`rule ${rule.alert}: the result has several series with the same label set after applying the rule's labels`);
      built.set(fp, { labels, value: s.value });
    }
    const out: Transition[] = [];
    for (const [fp, { labels, value }] of built) {
      const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expandTemplate(v, labels, value)]));
      let a = current.get(fp);
      if (a === undefined) {
        a = {
          fingerprint: fp,
          ruleKey: rule.key,
          tenant: rule.tenant,
          namespace: rule.namespace,
          group: rule.group,
          alertname: rule.alert,
          labels,
          annotations,
          state: "pending",
          activeAtNs: atNs,
          value,
        };
        current.set(fp, a);
        out.push({ kind: "pending", alert: a, atNs });
      } else {
        a.value = value;
        a.annotations = annotations;
      }
      if (a.state === "pending" && atNs - a.activeAtNs >= rule.forNs) {
        a.state = "firing";
        a.firedAtNs = atNs;
        out.push({ kind: "firing", alert: a, atNs });
      }
    }
    for (const [fp, a] of current) {
      if (built.has(fp)) continue;
      current.delete(fp);
      out.push({ kind: a.state === "firing" ? "resolved" : "cancelled", alert: a, atNs });
    }
    if (current.size === 0) this.#byRule.delete(rule.key);
    else this.#byRule.set(rule.key, current);
    return out;
  }

  /** Ends the alerts of rules that no longer exist (or whose expression changed): firing ones resolve. */
  retain(keys: ReadonlySet<string>, atNs: bigint, reason: string): Transition[] {
    const out: Transition[] = [];
    for (const [key, alerts] of this.#byRule) {
      if (keys.has(key)) continue;
      for (const a of alerts.values()) out.push({ kind: a.state === "firing" ? "resolved" : "cancelled", alert: a, atNs, reason });
      this.#byRule.delete(key);
    }
    return out;
  }

  alertsOf(ruleKey: string): AlertInstance[] {
    return [...(this.#byRule.get(ruleKey)?.values() ?? [])];
  }

  all(): AlertInstance[] {
    return [...this.#byRule.values()].flatMap((m) => [...m.values()]);
  }

  /** JSON-safe copy of every active alert (times as decimal ns strings). */
  snapshot(): unknown[] {
    return this.all().map((a) => ({ ...a, activeAtNs: String(a.activeAtNs), ...(a.firedAtNs !== undefined ? { firedAtNs: String(a.firedAtNs) } : {}) }));
  }

  /** Restores a snapshot; malformed entries are skipped and counted. */
  restore(entries: readonly unknown[]): { restored: number; skipped: number } {
    let restored = 0;
    let skipped = 0;
    for (const e of entries) {
      const o = e as Record<string, unknown>;
      try {
        if (typeof o.fingerprint !== "string" || typeof o.ruleKey !== "string" || (o.state !== "pending" && o.state !== "firing")) throw new Error("shape");
        const a: AlertInstance = {
          fingerprint: o.fingerprint,
          ruleKey: o.ruleKey,
          tenant: String(o.tenant),
          namespace: String(o.namespace),
          group: String(o.group),
          alertname: String(o.alertname),
          labels: { ...(o.labels as Record<string, string>) },
          annotations: { ...(o.annotations as Record<string, string>) },
          state: o.state,
          activeAtNs: BigInt(String(o.activeAtNs)),
          value: Number(o.value),
          ...(o.firedAtNs !== undefined ? { firedAtNs: BigInt(String(o.firedAtNs)) } : {}),
          ...(typeof o.incidentId === "string" ? { incidentId: o.incidentId } : {}),
        };
        let m = this.#byRule.get(a.ruleKey);
        if (m === undefined) this.#byRule.set(a.ruleKey, (m = new Map()));
        m.set(a.fingerprint, a);
        restored++;
      } catch {
        skipped++;
      }
    }
    return { restored, skipped };
  }
}

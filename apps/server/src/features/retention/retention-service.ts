// The retention service of a running server: policies, legal holds, certificates, the enforcer and ledgered changes.

import { formatRfc3339Ns, MeshlogError, type Clock, type Labels, type Logger } from "@meshlog/core";
import {
  CertificateStore,
  DeletionRequests,
  eventLedgerOf,
  formatRetentionDays,
  HoldStore,
  NodeFileSystem,
  parseRetentionDays,
  PolicyStore,
  RetentionEnforcer,
  RetentionPolicies,
  type FileSystem,
  type LegalHold,
  type LogStore,
  type NewHold,
  type RetentionRunReport,
  type RewriteTarget,
  type DeletionCertificate,
  type DeletionRequestRecord,
  type DeletionRequestSpec,
  type TenantPolicy,
  type TenantPolicySpec,
} from "@meshlog/storage";
import type { ServerConfig } from "../../config/server-config.js";
import type { AuditSink } from "../audit/audit-sink.js";
import { RetentionServerErrors } from "./errors.js";
import { compileSelector } from "./selector-compiler.js";

/** ctx.services key of the RetentionService. */
export const RETENTION_SERVICE = "retention";

/** A store retention can manage: the embedded engine (retention classes, catalog, tombstoned deletes, key ring). */
export type ManagedStore = LogStore & RewriteTarget & { setRetentionClassFor(fn: ((tenant: string, labels: Labels) => string) | undefined): void };

export function managedStoreOf(store: LogStore): ManagedStore | undefined {
  const s = store as Partial<ManagedStore>;
  return typeof s.setRetentionClassFor === "function" &&
    typeof s.deleteBlocks === "function" &&
    typeof s.catalog === "function" &&
    typeof s.runExclusive === "function" &&
    typeof s.keyRing === "function" &&
    typeof s.rewriteBlocks === "function"
    ? (store as ManagedStore)
    : undefined;
}

export interface RetentionServiceOptions {
  readonly store: ManagedStore;
  readonly dataDir: string;
  readonly config: ServerConfig["retention"];
  readonly clock: Clock;
  readonly log: Logger;
  readonly audit: AuditSink;
  readonly fs?: FileSystem;
}

/**
 * Owns the retention state of a data folder. Policies come from config, then DATA/retention/policies.json
 * (API changes) wins per tenant; every change, hold and release is validated, made durable, written to the
 * tenant's ledger as an event (checkpointed) and to the audit trail.
 */
export class RetentionService {
  readonly policies: RetentionPolicies;
  readonly holds: HoldStore;
  readonly certificates: CertificateStore;
  readonly enforcer: RetentionEnforcer;
  readonly requests: DeletionRequests;
  readonly #o: RetentionServiceOptions;
  readonly #policyStore: PolicyStore;
  #lastRun: RetentionRunReport | undefined;
  /** Retention runs and deletion requests run one at a time. */
  #serial: Promise<unknown> = Promise.resolve();

  private constructor(
    o: RetentionServiceOptions,
    fs: FileSystem,
    policies: RetentionPolicies,
    policyStore: PolicyStore,
    holds: HoldStore,
    certificates: CertificateStore,
  ) {
    this.#o = o;
    this.policies = policies;
    this.#policyStore = policyStore;
    this.holds = holds;
    this.certificates = certificates;
    this.enforcer = new RetentionEnforcer({ target: o.store, policies, holds, certificates, clock: o.clock, logger: o.log, batchSize: o.config.batchSize });
    this.requests = new DeletionRequests({ fs, dataDir: o.dataDir, target: o.store, holds, compile: compileSelector, clock: o.clock });
  }

  static async open(o: RetentionServiceOptions): Promise<RetentionService> {
    const fs = o.fs ?? new NodeFileSystem();
    const policies = new RetentionPolicies(
      { defaultDays: parseRetentionDays(o.config.defaultRetention, "retention.defaultRetention"), auditWindowDays: o.config.auditWindowDays },
      compileSelector,
    );
    for (const [tenant, spec] of Object.entries(o.config.policies)) {
      policies.set({
        tenant,
        ...(spec.default === undefined ? {} : { default: spec.default }),
        rules: spec.rules,
        version: 0,
        updatedAt: "",
        updatedBy: "config",
      });
    }
    const policyStore = new PolicyStore(fs, o.dataDir);
    await policyStore.load(policies);
    const holds = await HoldStore.open(fs, o.dataDir, o.clock, compileSelector);
    const s = new RetentionService(o, fs, policies, policyStore, holds, new CertificateStore(fs, o.dataDir));
    o.store.setRetentionClassFor((tenant, labels) => policies.classFor(tenant, labels));
    // Finish deletion requests a crash interrupted, before the API serves queries.
    const resumed = await s.requests.resume();
    if (resumed.length > 0) o.log.warn("finished interrupted deletion requests", { requests: resumed.join(",") });
    for (const r of await s.requests.list()) if (r.state === "done") await s.enforcer.certifyTenant(r.tenant);
    return s;
  }

  get lastRun(): RetentionRunReport | undefined {
    return this.#lastRun;
  }

  /** Runs retention now (the background job and POST /api/v1/retention/run); audits each deletion. */
  run(): Promise<RetentionRunReport> {
    return this.#exclusive(() => this.#run());
  }

  async #run(): Promise<RetentionRunReport> {
    const r = await this.enforcer.run();
    this.#lastRun = r;
    for (const id of r.certificates) {
      const c = await this.certificates.get(id);
      this.#o.audit.record({
        action: c.kind === "kek-destroyed" ? "retention.kek.destroy" : "retention.delete",
        principal: c.by,
        tenant: c.tenant,
        result: "ok",
        details: {
          certificate: c.id,
          blocks: c.what.blocks.length,
          records: c.what.records,
          keys: c.what.keyIds.join(",").slice(0, 512),
          reason: c.why.reason,
        },
      });
    }
    return r;
  }

  /** Executes a deletion request (rewrite without the matching lines) and certifies it. */
  deletionRequest(spec: DeletionRequestSpec): Promise<{ request: DeletionRequestRecord; certificate: DeletionCertificate | undefined }> {
    return this.#exclusive(async () => {
      const request = await this.requests.execute(spec);
      const ids = await this.enforcer.certifyTenant(spec.tenant);
      const certificate =
        request.tombstoneIndex !== undefined && request.tombstoneIndex >= 0
          ? await this.certificates.get(`${spec.tenant}.${request.tombstoneIndex}`)
          : undefined;
      for (const id of ids) {
        const c = await this.certificates.get(id);
        this.#o.audit.record({
          action: "deletion.execute",
          principal: c.by,
          tenant: c.tenant,
          result: "ok",
          details: { certificate: c.id, request: request.id, records: request.droppedRecords ?? 0, blocks: c.what.blocks.length },
        });
      }
      return { request, certificate };
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** Validates, stores and ledgers a tenant's new policy; resolves with it (version + 1). */
  async setPolicy(tenant: string, spec: TenantPolicySpec, principal: string): Promise<TenantPolicy> {
    this.policies.validate(tenant, spec);
    const prev = this.policies.get(tenant);
    const policy: TenantPolicy = {
      tenant,
      ...(spec.default === undefined ? {} : { default: formatRetentionDays(parseRetentionDays(spec.default, "default")) }),
      rules: spec.rules.map((r) => ({ selector: r.selector, retention: r.retention })),
      version: (prev?.version ?? 0) + 1,
      updatedAt: formatRfc3339Ns(this.#o.clock.nowNs()),
      updatedBy: principal,
    };
    this.policies.set(policy);
    await this.#policyStore.save(this.policies);
    await this.#ledgerEvent(tenant, "retention.policy.changed", {
      tenant,
      version: policy.version,
      default: policy.default ?? "",
      rules: policy.rules.map((r) => ({ ...r })),
      previousVersion: prev?.version ?? 0,
      principal,
    });
    return policy;
  }

  async placeHold(req: NewHold): Promise<LegalHold> {
    const h = await this.holds.place(req);
    await this.#ledgerEvent(h.tenant, "legal-hold.placed", {
      id: h.id,
      selector: h.selector,
      reason: h.reason,
      principal: h.principal,
      ...(h.until === undefined ? {} : { until: h.until }),
    });
    return h;
  }

  async releaseHold(id: string, principal: string): Promise<LegalHold> {
    const before = this.holds.get(id);
    const h = await this.holds.release(id, principal);
    if (before?.releasedAt === undefined) await this.#ledgerEvent(h.tenant, "legal-hold.released", { id: h.id, principal, releasedAt: h.releasedAt ?? "" });
    return h;
  }

  async #ledgerEvent(tenant: string, kind: string, data: Record<string, unknown>): Promise<void> {
    const ledger = eventLedgerOf(await this.#o.store.ledger(tenant));
    if (ledger === undefined) throw new MeshlogError(RetentionServerErrors.RETENTION_UNAVAILABLE, `The ledger of tenant ${tenant} does not record events`);
    await ledger.appendEvent({ kind, data });
    await ledger.checkpoint();
  }
}

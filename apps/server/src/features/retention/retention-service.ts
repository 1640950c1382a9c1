// The retention service of a running server: policies, legal holds, certificates, the enforcer and ledgered changes.

import { formatRfc3339Ns, MeshlogError, type Clock, type Labels, type Logger } from "@meshlog/core";
import {
  CertificateStore,
  Compactor,
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
  type CompactionReport,
  type CompactionTarget,
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
import { compileDeleteQuery } from "./delete-query.js";

/** ctx.services key of the RetentionService. */
export const RETENTION_SERVICE = "retention";

/** A store retention can manage: the embedded engine (retention classes, catalog, tombstoned deletes, key ring). */
export type ManagedStore = LogStore &
  RewriteTarget &
  CompactionTarget & { setRetentionClassFor(fn: ((tenant: string, labels: Labels) => string) | undefined): void };

export function managedStoreOf(store: LogStore): ManagedStore | undefined {
  const s = store as Partial<ManagedStore>;
  return typeof s.setRetentionClassFor === "function" &&
    typeof s.deleteBlocks === "function" &&
    typeof s.catalog === "function" &&
    typeof s.runExclusive === "function" &&
    typeof s.keyRing === "function" &&
    typeof s.rewriteBlocks === "function" &&
    typeof s.compactBlocks === "function" &&
    typeof s.recoverCompaction === "function" &&
    typeof s.layout === "function"
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
  /** Size compaction fills merged blocks to, uncompressed (storage.sealMaxBytes). */
  readonly targetBlockBytes: number;
  /** Delay before compacted source files are removed, for queries still reading them (default 30 s). */
  readonly compactionUnlinkDelayMs?: number;
}

/** What one run of the retention job did: retention, queued deletion requests that became due, compaction. */
export type RetentionJobReport = RetentionRunReport & { deletionRequests: string[]; compaction?: CompactionReport };

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
  readonly compactor: Compactor;
  readonly #o: RetentionServiceOptions;
  readonly #policyStore: PolicyStore;
  #lastRun: RetentionJobReport | undefined;
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
    this.requests = new DeletionRequests({
      fs,
      dataDir: o.dataDir,
      target: o.store,
      holds,
      compile: compileSelector,
      compileQuery: compileDeleteQuery,
      clock: o.clock,
    });
    const c = o.config.compaction;
    this.compactor = new Compactor({
      fs,
      dataDir: o.dataDir,
      target: o.store,
      holds,
      clock: o.clock,
      logger: o.log,
      targetBlockBytes: o.targetBlockBytes,
      minBlockFillRatio: c.minBlockFillRatio,
      maxBlocksPerRun: c.maxBlocksPerRun,
      maxSpanMs: c.maxSpanHours * 3_600_000,
      unlinkDelayMs: o.compactionUnlinkDelayMs ?? 30_000,
    });
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
    // Resolve compactions and finish deletion requests a crash interrupted, before the API serves queries (and
    // before any seal: a merged block the ledger never recorded must not become a stream's chain tail).
    for (const r of await s.compactor.resume()) o.log.warn("resolved an interrupted compaction", { tenant: r.tenant, merge: r.id, outcome: r.outcome });
    const resumed = await s.requests.resume();
    if (resumed.length > 0) o.log.warn("finished interrupted deletion requests", { requests: resumed.join(",") });
    for (const r of await s.requests.list()) if (r.state === "done") await s.enforcer.certifyTenant(r.tenant);
    return s;
  }

  get lastRun(): RetentionJobReport | undefined {
    return this.#lastRun;
  }

  /**
   * Runs the retention job now (the background job and POST /api/v1/retention/run): retention, then queued
   * deletion requests that are due, then compaction when retention.compaction.enabled. Audits each deletion.
   */
  run(): Promise<RetentionJobReport> {
    return this.#exclusive(async () => {
      const retention = await this.enforcer.run();
      for (const id of retention.certificates) await this.#auditCertificate(id);
      const executed = await this.requests.processDue();
      for (const r of executed) await this.#certifyRequest(r);
      const report: RetentionJobReport = { ...retention, deletionRequests: executed.map((r) => r.id) };
      if (this.#o.config.compaction.enabled) report.compaction = await this.compactor.run();
      this.#lastRun = report;
      return report;
    });
  }

  /** Runs compaction now (POST /api/v1/compaction/run), between retention runs and deletions. */
  compact(): Promise<CompactionReport> {
    return this.#exclusive(() => this.compactor.run());
  }

  /** Queues a deletion request (Loki delete API); it runs after retention.deleteCancelSeconds unless cancelled. */
  submitDeletion(spec: DeletionRequestSpec): Promise<DeletionRequestRecord> {
    return this.#exclusive(async () => {
      const rec = await this.requests.submit(spec, BigInt(Math.round(this.#o.config.deleteCancelSeconds * 1e9)));
      if (this.#o.config.deleteCancelSeconds === 0)
        void this.#exclusive(async () => {
          for (const r of await this.requests.processDue()) await this.#certifyRequest(r);
        }).catch((e: unknown) => this.#o.log.error("deletion request failed", { request: rec.id, error: e as Error }));
      return rec;
    });
  }

  /** Cancels a queued deletion request of `tenant` (RETENTION_DELETE_UNKNOWN / RETENTION_DELETE_PROCESSED). */
  cancelDeletion(id: string, principal: string, tenant: string): Promise<DeletionRequestRecord> {
    return this.#exclusive(() => this.requests.cancel(id, principal, tenant));
  }

  async #auditCertificate(id: string): Promise<void> {
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

  /** Certifies an executed request's tombstone and audits it (deletion.execute). */
  async #certifyRequest(request: DeletionRequestRecord): Promise<DeletionCertificate | undefined> {
    const ids = await this.enforcer.certifyTenant(request.tenant);
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
    return request.tombstoneIndex !== undefined && request.tombstoneIndex >= 0
      ? await this.certificates.get(`${request.tenant}.${request.tombstoneIndex}`)
      : undefined;
  }

  /** Executes a deletion request (rewrite without the matching lines) and certifies it. */
  deletionRequest(spec: DeletionRequestSpec): Promise<{ request: DeletionRequestRecord; certificate: DeletionCertificate | undefined }> {
    return this.#exclusive(async () => {
      const request = await this.requests.execute(spec);
      return { request, certificate: await this.#certifyRequest(request) };
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

// Enforces retention: deletes expired blocks in tombstoned batches, skips held ones, shreds emptied KEKs, issues certificates.

import { formatRfc3339Ns, MeshlogError, silentLogger, type Clock, type Labels, type Logger } from "@meshlog/core";
import type { BlockKeyRing, BlockLedger } from "../engine/security-ports.js";
import type { BlockRef, TenantCatalog } from "../index/catalog.js";
import type { KekInfo } from "../crypto/keyring.js";
import type { LedgerEvent } from "../ledger/ledger-format.js";
import type { CertificateStore } from "./certificate-store.js";
import { buildCertificate, certificateId, isCertifiable, KEK_DESTROYED_EVENT, type CertificateLedger } from "./deletion-certificate.js";
import { RetentionErrors } from "./errors.js";
import type { HoldStore } from "./legal-hold.js";
import { NS_PER_DAY, periodEndNs, retentionDaysOfClass } from "./retention-class.js";
import type { RetentionPolicies } from "./retention-policy.js";

/** What enforcement needs from the engine (EmbeddedStore satisfies it). */
export interface RetentionTarget {
  tenants(): Promise<readonly string[]>;
  catalog(tenant: string): Pick<TenantCatalog, "blocks" | "stream"> | undefined;
  ledger(tenant: string): Promise<BlockLedger>;
  deleteBlocks(tenant: string, blockIds: readonly string[], tombstone: { reason: string; policy?: string; principal?: string }): Promise<number>;
  keyRing(): BlockKeyRing;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** A key ring that can list and destroy KEKs (crypto/keyring.ts KeyRing). */
export interface ShreddingKeyRing {
  listKeks(): Promise<KekInfo[]>;
  destroyKek(keyId: string): Promise<void>;
}

/** A tenant ledger with events and proofs (ledger/ledger.ts Ledger). */
export type EventLedger = CertificateLedger & { appendEvent(e: LedgerEvent): Promise<number> };

export function shreddingKeyRingOf(k: BlockKeyRing): ShreddingKeyRing | undefined {
  const x = k as Partial<ShreddingKeyRing>;
  return typeof x.listKeks === "function" && typeof x.destroyKek === "function" ? (k as unknown as ShreddingKeyRing) : undefined;
}

export function eventLedgerOf(l: BlockLedger): EventLedger | undefined {
  const x = l.raw as Partial<EventLedger> | undefined;
  return x !== undefined && typeof x.appendEvent === "function" && typeof x.entries === "function" && typeof x.inclusionProofFor === "function"
    ? (x as EventLedger)
    : undefined;
}

export interface RetentionRunReport {
  /** Start of the run (RFC 3339). */
  readonly startedAt: string;
  deletedBlocks: number;
  deletedRecords: number;
  batches: number;
  /** Expired blocks kept because a legal hold covers them. */
  heldBlocks: number;
  destroyedKeks: string[];
  certificates: string[];
}

export interface RetentionEnforcerOptions {
  readonly target: RetentionTarget;
  readonly policies: RetentionPolicies;
  readonly holds: HoldStore;
  readonly certificates: CertificateStore;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Blocks per tombstone (default 100). */
  readonly batchSize?: number;
  /** Called after each deleted batch (tests interrupt runs here). */
  readonly onBatch?: (tenant: string, leafIndex: number) => void | Promise<void>;
}

/**
 * One retention pass over every tenant. A block expires when maxTime + retention <= now, where retention
 * is the longer of its class's (fixed when sealed) and what the current policy gives its stream: a policy
 * change never deletes data sooner than the policy it was written under. Each batch is one signed
 * tombstone, checkpointed before any file is removed; an interrupted run is finished when the store
 * reopens (tombstoned blocks are removed) and by the next run (missing certificates and KEK events are
 * issued from the ledger). A KEK is destroyed only when no block refers to it and its whole period has
 * expired; the destruction is ledgered as a "kek.destroyed" event.
 */
export class RetentionEnforcer {
  readonly #o: RetentionEnforcerOptions;
  readonly #log: Logger;
  #running: Promise<RetentionRunReport> | undefined;

  constructor(opts: RetentionEnforcerOptions) {
    this.#o = opts;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Effective retention in days of a block of `tenant` in a stream with `labels`. */
  retentionDaysOf(tenant: string, labels: Labels, retentionClass: string): number {
    return Math.max(retentionDaysOfClass(retentionClass) ?? 0, this.#o.policies.daysFor(tenant, labels));
  }

  /** True while a run is in progress. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Runs one pass; throws RETENTION_BUSY when a pass is already running. */
  run(): Promise<RetentionRunReport> {
    if (this.#running !== undefined) return Promise.reject(new MeshlogError(RetentionErrors.RETENTION_BUSY, "A retention run is already in progress"));
    const p = this.#run().finally(() => {
      this.#running = undefined;
    });
    this.#running = p;
    return p;
  }

  async #run(): Promise<RetentionRunReport> {
    const { target, clock } = this.#o;
    const now = clock.nowNs();
    const report: RetentionRunReport = {
      startedAt: formatRfc3339Ns(now),
      deletedBlocks: 0,
      deletedRecords: 0,
      batches: 0,
      heldBlocks: 0,
      destroyedKeks: [],
      certificates: [],
    };
    const keyRing = shreddingKeyRingOf(target.keyRing());
    const keks = keyRing === undefined ? [] : await keyRing.listKeks();
    const tenants = [...new Set([...(await target.tenants()), ...keks.map((k) => k.tenant)])].sort();
    for (const tenant of tenants) await this.#expireTenant(tenant, now, report);
    if (keyRing !== undefined) await this.#shred(keyRing, now, report);
    for (const tenant of tenants) await this.#certify(tenant, report);
    if (report.deletedBlocks > 0 || report.destroyedKeks.length > 0)
      this.#log.info("retention run", { ...report, destroyedKeks: report.destroyedKeks.join(","), certificates: report.certificates.length });
    return report;
  }

  async #expireTenant(tenant: string, now: bigint, report: RetentionRunReport): Promise<void> {
    const cat = this.#o.target.catalog(tenant);
    if (cat === undefined) return;
    const expired: { ref: BlockRef; days: number }[] = [];
    for (const ref of cat.blocks()) {
      const labels = cat.stream(ref.streamId)?.labels ?? {};
      const days = this.retentionDaysOf(tenant, labels, ref.retentionClass);
      if (ref.maxTime + BigInt(days) * NS_PER_DAY > now) continue;
      if (ref.legalHold || this.#o.holds.holdsOn(tenant, labels).length > 0) {
        report.heldBlocks++;
        continue;
      }
      expired.push({ ref, days });
    }
    expired.sort((a, b) => (a.ref.maxTime < b.ref.maxTime ? -1 : a.ref.maxTime > b.ref.maxTime ? 1 : 0));
    const size = Math.max(1, this.#o.batchSize ?? 100);
    for (let i = 0; i < expired.length; i += size) {
      const batch = expired.slice(i, i + size);
      const classes = [...new Set(batch.map((x) => `${x.ref.retentionClass}=${x.days}d`))].join(",");
      const version = this.#o.policies.get(tenant)?.version ?? 0;
      const policy = `retention: maxTime + retention <= ${formatRfc3339Ns(now)}; classes ${classes}; tenant policy version ${version}`;
      const index = await this.#o.target.deleteBlocks(
        tenant,
        batch.map((x) => x.ref.blockId),
        { reason: "retention", policy, principal: "retention-job" },
      );
      report.batches++;
      report.deletedBlocks += batch.length;
      for (const x of batch) report.deletedRecords += x.ref.rows;
      await this.#o.onBatch?.(tenant, index);
    }
  }

  async #shred(keyRing: ShreddingKeyRing, now: bigint, report: RetentionRunReport): Promise<void> {
    const { target } = this.#o;
    for (const k of await keyRing.listKeks()) {
      if (k.destroyedAt !== undefined) continue;
      const days = retentionDaysOfClass(k.class) ?? this.#o.policies.maxDaysOf(k.tenant);
      if (periodEndNs(k.period) + BigInt(days) * NS_PER_DAY > now) continue;
      const inUse = (): boolean => {
        const cat = target.catalog(k.tenant);
        if (cat === undefined) return false;
        for (const b of cat.blocks()) if (b.keyId === k.id) return true;
        return false;
      };
      if (inUse()) continue;
      // Under the engine's exclusive lock: no seal can pick this KEK between the check and the destruction.
      const destroyed = await target.runExclusive(async () => {
        if (inUse()) return false;
        await keyRing.destroyKek(k.id);
        return true;
      });
      if (destroyed) report.destroyedKeks.push(k.id);
    }
    // Record every destroyed KEK in its tenant's ledger (also those of a run interrupted after destroying).
    for (const k of await keyRing.listKeks()) {
      if (k.destroyedAt === undefined) continue;
      const ledger = eventLedgerOf(await target.ledger(k.tenant));
      if (ledger === undefined) continue;
      const recorded = ledger.entries().some((e) => e.type === "event" && e.event.kind === KEK_DESTROYED_EVENT && e.event.data.keyId === k.id);
      if (recorded) continue;
      const days = retentionDaysOfClass(k.class) ?? this.#o.policies.maxDaysOf(k.tenant);
      await ledger.appendEvent({
        kind: KEK_DESTROYED_EVENT,
        data: {
          keyId: k.id,
          tenant: k.tenant,
          retentionClass: k.class,
          period: k.period,
          destroyedAt: k.destroyedAt,
          reason: "crypto-shredding",
          policy: `every block under the key was deleted and its period ${k.period} expired after ${days} days`,
          principal: "retention-job",
        },
      });
      await ledger.checkpoint();
    }
  }

  /** Issues a certificate for every tombstone and KEK destruction of the tenant's ledger that has none. */
  async #certify(tenant: string, report: RetentionRunReport): Promise<void> {
    const ledger = eventLedgerOf(await this.#o.target.ledger(tenant));
    if (ledger === undefined) return;
    const entries = ledger.entries();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e === undefined || !isCertifiable(e) || (await this.#o.certificates.has(certificateId(tenant, i)))) continue;
      const cert = await buildCertificate(tenant, ledger, i, this.#o.clock.nowNs());
      await this.#o.certificates.put(cert);
      report.certificates.push(cert.id);
    }
  }

  /** Issues missing certificates of one tenant now (after a deletion request). */
  async certifyTenant(tenant: string): Promise<string[]> {
    const report: RetentionRunReport = { startedAt: "", deletedBlocks: 0, deletedRecords: 0, batches: 0, heldBlocks: 0, destroyedKeks: [], certificates: [] };
    await this.#certify(tenant, report);
    return report.certificates;
  }
}

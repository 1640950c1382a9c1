// Deletion requests (GDPR-style): rewrite the blocks of matching streams without the lines in a time range, journalled for crash recovery.

import { randomBytes } from "node:crypto";
import { formatRfc3339Ns, isValidTenant, MeshlogError, parseTimestampNs, type Clock, type LogRecord } from "@meshlog/core";
import type { BlockReplacement } from "../engine/block-rewrite.js";
import type { BlockRef } from "../index/catalog.js";
import type { FileSystem } from "../io/file-system.js";
import { RetentionErrors } from "./errors.js";
import type { HoldStore } from "./legal-hold.js";
import type { RetentionTarget } from "./retention-enforcer.js";
import { readJsonFile, retentionPaths, writeJsonFile } from "./retention-files.js";
import type { SelectorCompiler } from "./retention-policy.js";

/** Compiles the line filters of a LogQL query into a predicate over a line; throws naming the problem. */
export type LineFilterCompiler = (query: string) => (line: string) => boolean;

/** What deletion requests need from the engine (EmbeddedStore satisfies it). */
export interface RewriteTarget extends RetentionTarget {
  flush(): Promise<void>;
  rewriteBlocks(
    tenant: string,
    blockIds: readonly string[],
    newBlockIds: readonly string[],
    drop: (r: LogRecord, ref: BlockRef) => boolean,
    tombstone: (summary: readonly BlockReplacement[]) => { reason: string; policy?: string; principal?: string },
  ): Promise<{ index: number; replacements: BlockReplacement[] }>;
}

export interface DeletionRequestSpec {
  readonly tenant: string;
  readonly selector: string;
  /** LogQL query with line filters (`{app="x"} |= "secret"`): only lines it matches are removed (needs compileQuery). */
  readonly query?: string;
  /** Nanoseconds, inclusive. */
  readonly start: bigint;
  /** Nanoseconds, exclusive. */
  readonly end: bigint;
  readonly reason: string;
  readonly principal: string;
}

export interface DeletionRequestRecord {
  readonly id: string;
  readonly tenant: string;
  readonly selector: string;
  readonly start: string;
  readonly end: string;
  readonly reason: string;
  readonly principal: string;
  readonly createdAt: string;
  /** LogQL query with line filters, when the request removes only the lines it matches. */
  readonly query?: string;
  /**
   * received: queued (Loki delete API), processed once processAfter has passed, cancellable until then;
   * planned: blocks chosen and journalled, rewrite in progress; done; cancelled.
   */
  state: "received" | "planned" | "done" | "cancelled";
  /** RFC 3339: when a received request becomes due. */
  readonly processAfter?: string;
  cancelledAt?: string;
  cancelledBy?: string;
  /** Blocks to rewrite and the ids planned for their replacements (same order). */
  blocks: readonly string[];
  newBlockIds: readonly string[];
  /** Set when done. */
  tombstoneIndex?: number;
  droppedRecords?: number;
}

const ID = /^dr-[0-9a-f]{16}$/;

/**
 * Executes deletion requests. Order: flush the head (so matching lines are in blocks), journal the plan
 * (blocks and the ids of their replacements) in DATA/retention/requests/<id>.json, rewrite, mark done.
 * `resume()` (at start) finishes interrupted requests: when the request's tombstone is in the ledger it
 * is marked done; otherwise any replacement already written is tombstoned as a rollback and the request
 * is executed again, so no line is lost or duplicated. Blocks under a legal hold refuse the request.
 */
export class DeletionRequests {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #target: RewriteTarget;
  readonly #holds: HoldStore;
  readonly #compile: SelectorCompiler;
  readonly #compileQuery: LineFilterCompiler | undefined;
  readonly #clock: Clock;

  constructor(o: {
    fs: FileSystem;
    dataDir: string;
    target: RewriteTarget;
    holds: HoldStore;
    compile: SelectorCompiler;
    clock: Clock;
    /** Compiles the line filters of a request's `query` (the server's LogQL parser; storage has none). */
    compileQuery?: LineFilterCompiler;
  }) {
    this.#fs = o.fs;
    this.#dir = o.fs.join(retentionPaths(o.fs, o.dataDir).dir, "requests");
    this.#target = o.target;
    this.#holds = o.holds;
    this.#compile = o.compile;
    this.#compileQuery = o.compileQuery;
    this.#clock = o.clock;
  }

  /** The request with this id, or undefined. */
  async get(id: string): Promise<DeletionRequestRecord | undefined> {
    if (!ID.test(id)) return undefined;
    return (await readJsonFile(this.#fs, this.#fs.join(this.#dir, `${id}.json`))) as DeletionRequestRecord | undefined;
  }

  async list(): Promise<DeletionRequestRecord[]> {
    const out: DeletionRequestRecord[] = [];
    for (const name of (await this.#fs.readdir(this.#dir)).sort()) {
      if (!name.endsWith(".json") || !ID.test(name.slice(0, -5))) continue;
      out.push((await readJsonFile(this.#fs, this.#fs.join(this.#dir, name))) as DeletionRequestRecord);
    }
    return out;
  }

  /** Validates and executes a request now; throws RETENTION_REQUEST_INVALID naming the field. */
  async execute(spec: DeletionRequestSpec): Promise<DeletionRequestRecord> {
    this.#validate(spec);
    const rec = this.#record(spec, "planned");
    await this.#plan(rec);
    return this.#run(rec);
  }

  /**
   * Queues a request (Loki delete API): it is executed by processDue() once `delayNs` has passed, and can be
   * cancelled until then. Resolves once it is durable.
   */
  async submit(spec: DeletionRequestSpec, delayNs: bigint): Promise<DeletionRequestRecord> {
    this.#validate(spec);
    const rec = this.#record(spec, "received", formatRfc3339Ns(this.#clock.nowNs() + (delayNs > 0n ? delayNs : 0n)));
    await this.#save(rec);
    return rec;
  }

  /** Cancels a queued request; RETENTION_DELETE_UNKNOWN or RETENTION_DELETE_PROCESSED (already processed or cancelled). */
  async cancel(id: string, principal: string, tenant?: string): Promise<DeletionRequestRecord> {
    const rec = await this.get(id);
    if (rec === undefined || (tenant !== undefined && rec.tenant !== tenant))
      throw new MeshlogError(RetentionErrors.RETENTION_DELETE_UNKNOWN, `No deletion request has request_id ${JSON.stringify(id.slice(0, 100))}`);
    if (rec.state !== "received")
      throw new MeshlogError(
        RetentionErrors.RETENTION_DELETE_PROCESSED,
        `Deletion request ${id} is ${rec.state === "cancelled" ? "already cancelled" : "already processed"}; it cannot be cancelled`,
      );
    rec.state = "cancelled";
    rec.cancelledAt = formatRfc3339Ns(this.#clock.nowNs());
    rec.cancelledBy = principal;
    await this.#save(rec);
    return rec;
  }

  /**
   * Executes the queued requests that are due. A request covering a stream under an active legal hold stays
   * queued (it is retried at the next call). Resolves with the requests executed.
   */
  async processDue(): Promise<DeletionRequestRecord[]> {
    const now = this.#clock.nowNs();
    const out: DeletionRequestRecord[] = [];
    for (const rec of await this.list()) {
      if (rec.state !== "received" || rec.processAfter === undefined || parseTimestampNs(rec.processAfter, "processAfter") > now) continue;
      try {
        await this.#plan(rec);
      } catch (e) {
        if ((e as { code?: string }).code === RetentionErrors.RETENTION_HELD) continue;
        throw e;
      }
      rec.state = "planned";
      await this.#save(rec);
      out.push(await this.#run(rec));
    }
    return out;
  }

  #validate(spec: DeletionRequestSpec): void {
    const bad = (field: string, msg: string): never => {
      throw new MeshlogError(RetentionErrors.RETENTION_REQUEST_INVALID, `Deletion request ${field}: ${msg}`, { details: { field } });
    };
    if (!isValidTenant(spec.tenant)) bad("tenant", `${JSON.stringify(spec.tenant)} is not a valid tenant`);
    if (typeof spec.reason !== "string" || spec.reason.trim() === "" || spec.reason.length > 2048) bad("reason", "is required (at most 2048 characters)");
    if (spec.start >= spec.end) bad("start", "must be before end");
    try {
      this.#compile(spec.selector);
    } catch (e) {
      bad("selector", (e as Error).message);
    }
    if (spec.query !== undefined) {
      if (this.#compileQuery === undefined) bad("query", "line filters are not supported here");
      try {
        this.#compileQuery?.(spec.query);
      } catch (e) {
        bad("query", (e as Error).message);
      }
    }
  }

  #record(spec: DeletionRequestSpec, state: "received" | "planned", processAfter?: string): DeletionRequestRecord {
    return {
      id: `dr-${randomBytes(8).toString("hex")}`,
      tenant: spec.tenant,
      selector: spec.selector,
      ...(spec.query === undefined ? {} : { query: spec.query }),
      start: formatRfc3339Ns(spec.start),
      end: formatRfc3339Ns(spec.end),
      reason: spec.reason,
      principal: spec.principal,
      createdAt: formatRfc3339Ns(this.#clock.nowNs()),
      state,
      ...(processAfter === undefined ? {} : { processAfter }),
      blocks: [],
      newBlockIds: [],
    };
  }

  /** Flushes the head, chooses the blocks to rewrite and journals them with their replacement ids. */
  async #plan(rec: DeletionRequestRecord): Promise<void> {
    const sel = this.#compile(rec.selector);
    const start = parseTimestampNs(rec.start, "start");
    const end = parseTimestampNs(rec.end, "end");
    const held = this.#holds.list(rec.tenant).filter((h) => this.#holds.isActive(h));
    await this.#target.flush();
    const cat = this.#target.catalog(rec.tenant);
    const blocks: BlockRef[] = [];
    for (const ref of cat?.blocks() ?? []) {
      const labels = cat?.stream(ref.streamId)?.labels ?? {};
      if (!sel.matches(labels) || ref.maxTime < start || ref.minTime >= end) continue;
      const h = held.find((x) => this.#holds.holdsOn(rec.tenant, labels).includes(x));
      if (h !== undefined)
        throw new MeshlogError(
          RetentionErrors.RETENTION_HELD,
          `Deletion request refused: stream ${JSON.stringify(labels)} of tenant ${rec.tenant} is under legal hold ${h.id} (${h.reason}); release the hold first`,
        );
      blocks.push(ref);
    }
    const nowMs = this.#clock.nowMs();
    rec.blocks = blocks.map((b) => b.blockId);
    rec.newBlockIds = blocks.map(() => nowMs.toString(16).padStart(12, "0") + randomBytes(6).toString("hex"));
    await this.#save(rec);
  }

  /** Finishes requests interrupted by a crash (see the class comment). Resolves with the ids handled. */
  async resume(): Promise<string[]> {
    const done: string[] = [];
    for (const rec of await this.list()) {
      if (rec.state !== "planned") continue;
      const ledger = await this.#target.ledger(rec.tenant);
      const raw = ledger.raw as { entries?: () => readonly { type: string; index: number; tombstone?: { reason: string } }[] };
      const finished = raw.entries?.().find((e) => e.type === "tombstone" && e.tombstone?.reason === `deletion-request:${rec.id}`);
      if (finished !== undefined) {
        rec.state = "done";
        rec.tombstoneIndex = finished.index;
        await this.#save(rec);
      } else {
        const cat = this.#target.catalog(rec.tenant);
        const partial = rec.newBlockIds.filter((id) => cat?.blocks() !== undefined && [...cat.blocks()].some((b) => b.blockId === id));
        if (partial.length > 0)
          await this.#target.deleteBlocks(rec.tenant, partial, {
            reason: `rollback:deletion-request:${rec.id}`,
            policy: "replacement blocks of an interrupted deletion request, rewritten again",
            principal: rec.principal,
          });
        const retry = { ...rec, newBlockIds: rec.newBlockIds.map((id) => id.slice(0, 12) + randomBytes(6).toString("hex")) };
        await this.#save(retry);
        await this.#run(retry);
      }
      done.push(rec.id);
    }
    return done;
  }

  async #run(rec: DeletionRequestRecord): Promise<DeletionRequestRecord> {
    const sel = this.#compile(rec.selector);
    const start = parseTimestampNs(rec.start, "start");
    const end = parseTimestampNs(rec.end, "end");
    const cat = this.#target.catalog(rec.tenant);
    const present = rec.blocks.filter((id) => cat !== undefined && [...cat.blocks()].some((b) => b.blockId === id));
    const ids = rec.blocks.map((id, i) => ({ id, newId: rec.newBlockIds[i] as string })).filter((x) => present.includes(x.id));
    const line = rec.query === undefined ? undefined : this.#compileQuery?.(rec.query);
    if (rec.query !== undefined && line === undefined) throw new Error(`BUG: deletion request ${rec.id} has a query but no line-filter compiler is configured`);
    const drop = (r: LogRecord, ref: BlockRef): boolean =>
      r.timestamp >= start && r.timestamp < end && sel.matches(cat?.stream(ref.streamId)?.labels ?? r.labels) && (line === undefined || line(r.body));
    const result = await this.#target.rewriteBlocks(
      rec.tenant,
      ids.map((x) => x.id),
      ids.map((x) => x.newId),
      drop,
      (summary) => {
        const dropped = summary.reduce((n, s) => n + s.dropped, 0);
        const repl = summary
          .filter((s) => s.newBlockId !== undefined)
          .map((s) => s.newBlockId)
          .join(",");
        return {
          reason: `deletion-request:${rec.id}`,
          policy:
            `deletion request ${rec.id}: lines of ${rec.query ?? rec.selector} from ${rec.start} to ${rec.end}; reason: ${rec.reason}; ${dropped} records removed; replacement blocks: ${repl || "none"}`.slice(
              0,
              4096,
            ),
          principal: rec.principal,
        };
      },
    );
    rec.state = "done";
    rec.tombstoneIndex = result.index;
    rec.droppedRecords = result.replacements.reduce((n, s) => n + s.dropped, 0);
    await this.#save(rec);
    return rec;
  }

  async #save(rec: DeletionRequestRecord): Promise<void> {
    await writeJsonFile(this.#fs, this.#fs.join(this.#dir, `${rec.id}.json`), this.#dir, rec);
  }
}

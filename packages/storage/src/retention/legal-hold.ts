// Legal holds: tenant + stream selector + reason + who (+ optional end); held blocks survive expiry. Stored in DATA/retention/holds.json.

import { randomBytes } from "node:crypto";
import { MeshlogError, formatRfc3339Ns, isValidTenant, parseTimestampNs, type Clock, type Labels } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { RetentionErrors } from "./errors.js";
import { readJsonFile, retentionPaths, writeJsonFile, type RetentionPaths } from "./retention-files.js";
import type { CompiledSelector, SelectorCompiler } from "./retention-policy.js";

export interface LegalHold {
  readonly id: string;
  readonly tenant: string;
  readonly selector: string;
  readonly reason: string;
  /** Principal id that placed the hold. */
  readonly principal: string;
  /** RFC 3339. */
  readonly createdAt: string;
  /** RFC 3339; the hold lapses at this time (absent: until released). */
  readonly until?: string;
  readonly releasedAt?: string;
  readonly releasedBy?: string;
}

export interface NewHold {
  readonly tenant: string;
  readonly selector: string;
  readonly reason: string;
  readonly principal: string;
  readonly until?: string;
}

interface HoldsFile {
  readonly version: 1;
  readonly holds: LegalHold[];
}

const MAX_REASON = 2048;
const MAX_HOLDS = 10_000;

/**
 * The legal holds of a data folder. Every change rewrites holds.json atomically before it takes effect;
 * released holds stay in the file (with who and when) as history. A hold is active while it is not
 * released and its end date, if any, is in the future.
 */
export class HoldStore {
  readonly #fs: FileSystem;
  readonly #paths: RetentionPaths;
  readonly #clock: Clock;
  readonly #compile: SelectorCompiler;
  #holds: LegalHold[] = [];
  readonly #compiled = new Map<string, CompiledSelector>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(fs: FileSystem, dataDir: string, clock: Clock, compile: SelectorCompiler) {
    this.#fs = fs;
    this.#paths = retentionPaths(fs, dataDir);
    this.#clock = clock;
    this.#compile = compile;
  }

  static async open(fs: FileSystem, dataDir: string, clock: Clock, compile: SelectorCompiler): Promise<HoldStore> {
    const s = new HoldStore(fs, dataDir, clock, compile);
    const raw = (await readJsonFile(fs, s.#paths.holdsFile)) as HoldsFile | undefined;
    if (raw !== undefined) {
      if (typeof raw !== "object" || raw === null || !Array.isArray(raw.holds)) {
        throw new MeshlogError(RetentionErrors.RETENTION_FILE_CORRUPT, `Retention file "${s.#paths.holdsFile}" must hold {"version":1,"holds":[...]}`);
      }
      for (const h of raw.holds) {
        try {
          s.#compiled.set(h.id, compile(h.selector));
        } catch (e) {
          throw new MeshlogError(
            RetentionErrors.RETENTION_FILE_CORRUPT,
            `Retention file "${s.#paths.holdsFile}": hold ${h.id} has an invalid selector: ${(e as Error).message}`,
          );
        }
      }
      s.#holds = raw.holds;
    }
    return s;
  }

  /** Every hold (active, lapsed and released), oldest first. */
  list(tenant?: string): LegalHold[] {
    return this.#holds.filter((h) => tenant === undefined || h.tenant === tenant);
  }

  get(id: string): LegalHold | undefined {
    return this.#holds.find((h) => h.id === id);
  }

  isActive(h: LegalHold): boolean {
    if (h.releasedAt !== undefined) return false;
    return h.until === undefined || parseTimestampNs(h.until, "until") > this.#clock.nowNs();
  }

  /** The active holds covering a stream of `tenant` with `labels` (empty: not held). */
  holdsOn(tenant: string, labels: Labels): LegalHold[] {
    return this.#holds.filter((h) => h.tenant === tenant && this.isActive(h) && this.#compiled.get(h.id)?.matches(labels) === true);
  }

  /** Validates and stores a new hold; resolves once it is durable. Throws RETENTION_HOLD_INVALID naming the field. */
  async place(req: NewHold): Promise<LegalHold> {
    const bad = (field: string, msg: string): never => {
      throw new MeshlogError(RetentionErrors.RETENTION_HOLD_INVALID, `Legal hold ${field}: ${msg}`, { details: { field } });
    };
    if (typeof req.tenant !== "string" || !isValidTenant(req.tenant)) bad("tenant", `${JSON.stringify(req.tenant)} is not a valid tenant`);
    if (typeof req.reason !== "string" || req.reason.trim() === "") bad("reason", "is required (why the data must be kept)");
    if (req.reason.length > MAX_REASON) bad("reason", `is longer than ${MAX_REASON} characters`);
    if (typeof req.selector !== "string") bad("selector", 'must be a stream selector such as {namespace="payments"}');
    let compiled: CompiledSelector;
    try {
      compiled = this.#compile(req.selector);
    } catch (e) {
      return bad("selector", (e as Error).message);
    }
    let until: string | undefined;
    if (req.until !== undefined) {
      let ns: bigint;
      try {
        ns = parseTimestampNs(req.until, "until");
      } catch (e) {
        return bad("until", (e as Error).message);
      }
      if (ns <= this.#clock.nowNs()) bad("until", "is in the past");
      until = formatRfc3339Ns(ns);
    }
    return this.#serialize(async () => {
      if (this.#holds.length >= MAX_HOLDS) bad("count", `a data folder may keep at most ${MAX_HOLDS} holds`);
      const hold: LegalHold = {
        id: `hold-${randomBytes(8).toString("hex")}`,
        tenant: req.tenant,
        selector: req.selector,
        reason: req.reason,
        principal: req.principal,
        createdAt: formatRfc3339Ns(this.#clock.nowNs()),
        ...(until === undefined ? {} : { until }),
      };
      await this.#write([...this.#holds, hold]);
      this.#compiled.set(hold.id, compiled);
      return hold;
    });
  }

  /** Releases a hold (kept as history); throws RETENTION_HOLD_UNKNOWN. Releasing twice returns the first release. */
  release(id: string, principal: string): Promise<LegalHold> {
    return this.#serialize(async () => {
      const h = this.get(id);
      if (h === undefined) throw new MeshlogError(RetentionErrors.RETENTION_HOLD_UNKNOWN, `No legal hold has id ${JSON.stringify(id)}`);
      if (h.releasedAt !== undefined) return h;
      const released: LegalHold = { ...h, releasedAt: formatRfc3339Ns(this.#clock.nowNs()), releasedBy: principal };
      await this.#write(this.#holds.map((x) => (x.id === id ? released : x)));
      return released;
    });
  }

  async #write(holds: LegalHold[]): Promise<void> {
    const body: HoldsFile = { version: 1, holds };
    await writeJsonFile(this.#fs, this.#paths.holdsFile, this.#paths.dir, body);
    this.#holds = holds;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

// The detectors' saved state (baselines per stream and mesh group, silence trackers, last window per tenant) and
// its file DATA/anomalies/state.json, written atomically with mode 0600 so a restart keeps the history.

import { existsSync, renameSync } from "node:fs";
import { MeshlogError, type Labels, type Logger } from "@meshlog/core";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import { SecurityErrors } from "../auth/errors.js";
import { baselineOf, type Baseline } from "./baseline.js";
import { EMPTY_SILENCE, type SilenceState } from "./detectors.js";
import { AnomalyErrors } from "./errors.js";

export const STATE_VERSION = 1;

export interface StreamState {
  labels: Labels;
  volume: Baseline;
  errors: Baseline;
  silence: SilenceState;
  /** Last interval end (ns) in which the stream sent something; the least recent are forgotten first. */
  touchedNs: bigint;
}

export interface MeshState {
  readonly namespace: string;
  readonly service: string;
  readonly upstream: string;
  ratio: Baseline;
  connect: Baseline;
  tls: Baseline;
  touchedNs: bigint;
}

export interface TenantState {
  /** End of the last judged interval, ns (0 before the first run). */
  lastEndNs: bigint;
  readonly streams: Map<string, StreamState>;
  readonly mesh: Map<string, MeshState>;
}

export interface AnomalyState {
  readonly tenants: Map<string, TenantState>;
  /** End of the last interval of the audit trail scanned for denied requests. */
  auditLastEndNs: bigint;
}

export function emptyState(): AnomalyState {
  return { tenants: new Map(), auditLastEndNs: 0n };
}

export function tenantState(s: AnomalyState, tenant: string): TenantState {
  let t = s.tenants.get(tenant);
  if (t === undefined) s.tenants.set(tenant, (t = { lastEndNs: 0n, streams: new Map(), mesh: new Map() }));
  return t;
}

/** Keeps at most `max` entries, dropping the least recently touched. */
export function pruneByTouched<T extends { touchedNs: bigint }>(m: Map<string, T>, max: number): number {
  if (m.size <= max) return 0;
  const order = [...m.entries()].sort((a, b) => (a[1].touchedNs < b[1].touchedNs ? -1 : a[1].touchedNs > b[1].touchedNs ? 1 : 0));
  const drop = m.size - max;
  for (let i = 0; i < drop; i++) m.delete((order[i] as [string, T])[0]);
  return drop;
}

const big = (v: unknown): bigint => {
  try {
    return typeof v === "string" && /^\d{1,24}$/.test(v) ? BigInt(v) : 0n;
  } catch {
    return 0n;
  }
};
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function silenceOf(v: unknown): SilenceState {
  const o = obj(v);
  const active = typeof o.active === "number" && Number.isInteger(o.active) && o.active >= 0 ? o.active : 0;
  return { ...EMPTY_SILENCE, lastSeenNs: big(o.lastSeenNs).toString(), gap: baselineOf(o.gap), active, reported: o.reported === true };
}

function labelsOf(v: unknown): Labels {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === "string") out[k] = x;
  return out;
}

/** Plain JSON of the state (bigints as decimal text). */
export function stateToJson(s: AnomalyState): unknown {
  const tenants: Record<string, unknown> = {};
  for (const [name, t] of s.tenants) {
    const streams: Record<string, unknown> = {};
    for (const [id, x] of t.streams)
      streams[id] = { labels: x.labels, volume: x.volume, errors: x.errors, silence: x.silence, touchedNs: x.touchedNs.toString() };
    const mesh: Record<string, unknown> = {};
    for (const [k, m] of t.mesh)
      mesh[k] = {
        namespace: m.namespace,
        service: m.service,
        upstream: m.upstream,
        ratio: m.ratio,
        connect: m.connect,
        tls: m.tls,
        touchedNs: m.touchedNs.toString(),
      };
    tenants[name] = { lastEndNs: t.lastEndNs.toString(), streams, mesh };
  }
  return { version: STATE_VERSION, auditLastEndNs: s.auditLastEndNs.toString(), tenants };
}

/** The state from its JSON; entries that do not have the expected shape are dropped, never trusted. */
export function stateFromJson(v: unknown): AnomalyState {
  const o = obj(v);
  if (o.version !== STATE_VERSION) return emptyState();
  const s: AnomalyState = { tenants: new Map(), auditLastEndNs: big(o.auditLastEndNs) };
  for (const [name, tv] of Object.entries(obj(o.tenants))) {
    const t = obj(tv);
    const ts: TenantState = { lastEndNs: big(t.lastEndNs), streams: new Map(), mesh: new Map() };
    for (const [id, xv] of Object.entries(obj(t.streams))) {
      const x = obj(xv);
      ts.streams.set(id, {
        labels: labelsOf(x.labels),
        volume: baselineOf(x.volume),
        errors: baselineOf(x.errors),
        silence: silenceOf(x.silence),
        touchedNs: big(x.touchedNs),
      });
    }
    for (const [k, mv] of Object.entries(obj(t.mesh))) {
      const m = obj(mv);
      ts.mesh.set(k, {
        namespace: str(m.namespace),
        service: str(m.service),
        upstream: str(m.upstream),
        ratio: baselineOf(m.ratio),
        connect: baselineOf(m.connect),
        tls: baselineOf(m.tls),
        touchedNs: big(m.touchedNs),
      });
    }
    s.tenants.set(name, ts);
  }
  return s;
}

/**
 * Loads the state file. A file that does not parse is renamed `state.json.corrupt-<ms>` and reported
 * (ANOMALY_STATE_CORRUPT in the log); baselines then start afresh. A file readable by others stops the start
 * (SECURITY_FILE_INSECURE), as for every private state file.
 */
export function loadAnomalyState(file: string, log: Logger, nowMs: number): AnomalyState {
  if (!existsSync(file)) return emptyState();
  try {
    return stateFromJson(readPrivateJson(file));
  } catch (err) {
    if (!(err instanceof MeshlogError) || err.code !== SecurityErrors.SECURITY_STATE_CORRUPT) throw err;
    const aside = `${file}.corrupt-${nowMs}`;
    renameSync(file, aside);
    const e = new MeshlogError(
      AnomalyErrors.ANOMALY_STATE_CORRUPT,
      `anomaly state ${file} is corrupt and was moved to ${aside}; baselines start afresh: ${err.message}`,
    );
    log.error(e.message, { code: e.code });
    return emptyState();
  }
}

export function saveAnomalyState(file: string, s: AnomalyState): void {
  writePrivateJson(file, stateToJson(s));
}

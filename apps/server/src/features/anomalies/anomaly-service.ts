// The anomaly detector job: every interval, per tenant, scans the data that arrived since the previous run, runs the
// detectors against the saved baselines, writes each anomaly as a record into the affected tenant and saves the state.

import { join } from "node:path";
import { AUDIT_TENANT, type Clock, type Labels, type Logger } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import type { MetricsRegistry } from "../metrics/metrics-registry.js";
import type { AnomaliesConfig } from "./anomalies-config.js";
import { EMPTY_BASELINE } from "./baseline.js";
import { EMPTY_SILENCE, burstCheck, failureStep, ratioStep, silenceCheck, silenceObserve, volumeStep, type Finding } from "./detectors.js";
import { anomalyRecord, type Anomaly } from "./anomaly-records.js";
import {
  loadAnomalyState,
  pruneByTouched,
  saveAnomalyState,
  tenantState,
  type AnomalyState,
  type MeshState,
  type StreamState,
  type TenantState,
} from "./anomaly-state.js";
import { TemplateTracker } from "./template-tracker.js";
import { scanDenied, scanTenantWindow, type AuthWindow } from "./window-scan.js";

/** ctx.services key of the AnomalyService. */
export const ANOMALY_SERVICE = "anomalies";

/** Baselines of streams and mesh groups not seen for this long are forgotten. */
const FORGET_AFTER_NS = 7n * 86_400n * 1_000_000_000n;
/** Samples smaller than this are not judged for template shares. */
const MIN_SHARE_SAMPLE = 50;
/** Most mesh groups and burst keys per tenant and interval. */
const MAX_GROUPS = 2000;

export interface AnomalyServiceOptions {
  readonly store: LogStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: AnomaliesConfig;
  /** The data folder; the state lives in DATA/anomalies/state.json. */
  readonly dataDir: string;
  readonly metrics?: MetricsRegistry;
}

/** What one run did. */
export interface AnomalyRunReport {
  readonly tenants: number;
  readonly linesRead: number;
  /** The anomalies written, per tenant in the order written. */
  readonly anomalies: readonly Anomaly[];
  /** Anomalies not written because a tenant's run exceeded maxAnomaliesPerRun. */
  readonly dropped: number;
}

const labelsOfGroup = (m: { namespace: string; service: string; upstream: string }): Labels => {
  const out: Record<string, string> = {};
  if (m.namespace !== "") out.namespace = m.namespace;
  if (m.service !== "") out.service = m.service;
  if (m.upstream !== "") out.upstream = m.upstream;
  return out;
};

export class AnomalyService {
  readonly #o: AnomalyServiceOptions;
  readonly #file: string;
  readonly #state: AnomalyState;
  readonly #templates: TemplateTracker;
  readonly #counter;
  #running: Promise<unknown> = Promise.resolve();
  /** A run changed the state since it was last saved. */
  #dirty = false;

  constructor(o: AnomalyServiceOptions) {
    this.#o = o;
    this.#file = join(o.dataDir, "anomalies", "state.json");
    this.#state = loadAnomalyState(this.#file, o.log, o.clock.nowMs());
    const t = o.config.templates;
    this.#templates = new TemplateTracker({
      maxStreams: t.maxStreams,
      maxTemplatesPerStream: t.maxTemplatesPerStream,
      warmupLines: t.warmupLines,
      warmupRuns: t.warmupRuns,
      maxPerStream: t.maxPerStream,
      share: {
        alpha: o.config.alpha,
        minHistory: o.config.minHistory,
        zThreshold: o.config.zThreshold,
        minSample: t.shareEnabled ? MIN_SHARE_SAMPLE : Number.POSITIVE_INFINITY,
        minLines: t.minShareLines,
        minRatio: t.minShare,
      },
    });
    this.#counter = o.metrics?.counter("meshlog_anomalies_total", "Anomalies detected and written, by tenant and kind.");
  }

  /** Path of the saved state. */
  get stateFile(): string {
    return this.#file;
  }

  /** Runs the detectors once over the interval ending now. Calls are serialized. */
  runOnce(signal?: AbortSignal): Promise<AnomalyRunReport> {
    const next = this.#running.then(() => this.#run(signal));
    this.#running = next.catch(() => undefined);
    return next;
  }

  /** Waits for a running pass and saves the state (when a run changed it: an idle server writes no file). */
  async close(): Promise<void> {
    await this.#running;
    if (this.#dirty) saveAnomalyState(this.#file, this.#state);
    this.#dirty = false;
  }

  async #run(signal: AbortSignal | undefined): Promise<AnomalyRunReport> {
    const cfg = this.#o.config;
    const now = this.#o.clock.nowNs();
    // Windows end `delaySeconds` in the past: lines that arrive a little late still count in their interval.
    const end = now - BigInt(cfg.delaySeconds) * 1_000_000_000n;
    const intervalNs = BigInt(cfg.intervalSeconds) * 1_000_000_000n;
    this.#dirty = true;
    const tenants = (await this.#o.store.tenants()).filter((t) => t !== AUDIT_TENANT);
    const found = new Map<string, Anomaly[]>();
    let linesRead = 0;
    for (const tenant of tenants) {
      if (signal?.aborted === true) break;
      const r = await this.#runTenant(tenant, end, intervalNs, signal);
      linesRead += r.linesRead;
      if (r.anomalies.length > 0) found.set(tenant, r.anomalies);
    }
    const auditStart = this.#state.auditLastEndNs > end - intervalNs && this.#state.auditLastEndNs < end ? this.#state.auditLastEndNs : end - intervalNs;
    // As for tenants: a window shorter than half an interval waits for the next run.
    if (cfg.auth.enabled && (end - auditStart) * 2n >= intervalNs) {
      const start = auditStart;
      const denied = await scanDenied(this.#o.store, start, end, MAX_GROUPS, signal);
      const known = new Set(tenants);
      for (const [tenant, byKey] of denied) {
        // An audit event names the tenant the request asked for; only tenants that hold data get records in them.
        const target = known.has(tenant) ? tenant : AUDIT_TENANT;
        for (const a of byKey.values()) this.#burst(found, target, a, cfg.auth.deniedThreshold, start, end);
      }
      this.#state.auditLastEndNs = end;
    }
    const written: Anomaly[] = [];
    let dropped = 0;
    for (const [tenant, list] of found) {
      list.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) || Math.abs(b.score) - Math.abs(a.score));
      const keep = list.slice(0, cfg.maxAnomaliesPerRun);
      dropped += list.length - keep.length;
      if (list.length > keep.length)
        this.#o.log.warn("anomalies over the per-run limit were not written", {
          tenant,
          dropped: list.length - keep.length,
          limit: "anomalies.maxAnomaliesPerRun",
        });
      try {
        await this.#o.store.append(
          tenant,
          keep.map((a) => anomalyRecord(a, now)),
        );
        written.push(...keep);
        for (const a of keep) this.#counter?.inc({ tenant, kind: a.kind });
      } catch (err) {
        this.#o.log.error("anomaly records could not be written", { tenant, anomalies: keep.length, err: err as Error });
      }
    }
    saveAnomalyState(this.#file, this.#state);
    this.#dirty = false;
    return { tenants: tenants.length, linesRead, anomalies: written, dropped };
  }

  #burst(found: Map<string, Anomaly[]>, tenant: string, a: AuthWindow, threshold: number, start: bigint, end: bigint): void {
    const f = burstCheck(a.count, threshold, a.what);
    if (f === undefined) return;
    const list = found.get(tenant) ?? [];
    list.push({ ...f, details: { key: a.key }, tenant, labels: a.labels, windowStartNs: start, windowEndNs: end });
    found.set(tenant, list);
  }

  /** Judges the interval of a tenant that ends at `now` (the window end: the clock minus delaySeconds). */
  async #runTenant(tenant: string, now: bigint, intervalNs: bigint, signal: AbortSignal | undefined): Promise<{ linesRead: number; anomalies: Anomaly[] }> {
    const cfg = this.#o.config;
    const ts: TenantState = tenantState(this.#state, tenant);
    const start = ts.lastEndNs > now - intervalNs && ts.lastEndNs < now ? ts.lastEndNs : now - intervalNs;
    const windowNs = now - start;
    // A run right after another would judge a sliver of an interval: wait until at least half of one has passed.
    if (windowNs * 2n < intervalNs) return { linesRead: 0, anomalies: [] };
    const scale = Number(intervalNs) / Number(windowNs);
    const scan = await scanTenantWindow(this.#o.store, tenant, start, now, {
      maxLinesPerStream: cfg.maxLinesPerStream,
      sampleLines: cfg.templates.sampleLines,
      maxStreams: cfg.maxStreamsPerTenant,
      maxGroups: MAX_GROUPS,
      mesh: cfg.mesh.enabled,
      ssh: cfg.auth.enabled,
      ...(signal !== undefined ? { signal } : {}),
    });
    const out: Anomaly[] = [];
    const add = (f: Finding | undefined, labels: Labels): void => {
      if (f !== undefined) out.push({ ...f, tenant, labels, windowStartNs: start, windowEndNs: now });
    };
    const base = { alpha: cfg.alpha, minHistory: cfg.minHistory, zThreshold: cfg.zThreshold };
    for (const w of scan.streams.values()) {
      let st: StreamState | undefined = ts.streams.get(w.id);
      if (st === undefined) {
        st = { labels: w.labels, volume: EMPTY_BASELINE, errors: EMPTY_BASELINE, silence: EMPTY_SILENCE, touchedNs: now };
        ts.streams.set(w.id, st);
      }
      st.labels = w.labels;
      st.touchedNs = now;
      if (cfg.volume.enabled) {
        const s = volumeStep(st.volume, Math.round(w.count * scale), { ...base, minCount: cfg.volume.minCount });
        st.volume = s.next;
        add(s.finding, w.labels);
      }
      if (cfg.errorRatio.enabled) {
        const e = cfg.errorRatio;
        const s = ratioStep(st.errors, w.errors, w.count, "error-ratio", { ...base, minTotal: e.minLines, minBad: e.minErrors, minRatio: e.minRatio });
        st.errors = s.next;
        add(s.finding, w.labels);
      }
      st.silence = silenceObserve(st.silence, w.count, w.firstNs, w.lastNs, windowNs, cfg.alpha);
      if (cfg.templates.enabled) for (const f of this.#templates.observe(tenant, w.id, w.sample)) add(f, w.labels);
    }
    for (const [id, st] of ts.streams) {
      if (!scan.streams.has(id)) {
        if (now - st.touchedNs > FORGET_AFTER_NS) {
          ts.streams.delete(id);
          continue;
        }
        // A known stream that sent nothing this interval: a zero for its volume baseline (unless the scan skipped streams).
        if (cfg.volume.enabled && scan.streamsSkipped === 0) st.volume = volumeStep(st.volume, 0, { ...base, minCount: cfg.volume.minCount }).next;
      }
      if (cfg.silence.enabled) {
        const s = silenceCheck(st.silence, now, {
          minHistory: cfg.minHistory,
          gapFactor: cfg.silence.gapFactor,
          minSilenceNs: BigInt(Math.round(cfg.silence.minutes * 60)) * 1_000_000_000n,
        });
        st.silence = s.next;
        add(s.finding, st.labels);
      }
    }
    if (cfg.mesh.enabled) this.#mesh(ts, scan.mesh, now, add);
    for (const a of scan.ssh.values()) {
      const f = burstCheck(a.count, cfg.auth.sshThreshold, a.what);
      if (f !== undefined) add({ ...f, details: { key: a.key } }, a.labels);
    }
    pruneByTouched(ts.streams, cfg.maxStreamsPerTenant);
    pruneByTouched(ts.mesh, cfg.maxStreamsPerTenant);
    this.#templates.retain(tenant, new Set(ts.streams.keys()));
    ts.lastEndNs = now;
    return { linesRead: scan.linesRead, anomalies: out };
  }

  #mesh(
    ts: TenantState,
    groups: ReadonlyMap<
      string,
      { namespace: string; service: string; upstream: string; requests: number; fivexx: number; connectFailures: number; tlsFailures: number }
    >,
    now: bigint,
    add: (f: Finding | undefined, labels: Labels) => void,
  ): void {
    const cfg = this.#o.config;
    const m = cfg.mesh;
    const base = { alpha: cfg.alpha, minHistory: cfg.minHistory, zThreshold: cfg.zThreshold };
    for (const [k, g] of groups) {
      let ms: MeshState | undefined = ts.mesh.get(k);
      if (ms === undefined) {
        ms = {
          namespace: g.namespace,
          service: g.service,
          upstream: g.upstream,
          ratio: EMPTY_BASELINE,
          connect: EMPTY_BASELINE,
          tls: EMPTY_BASELINE,
          touchedNs: now,
        };
        ts.mesh.set(k, ms);
      }
      ms.touchedNs = now;
      const labels = labelsOfGroup(g);
      const r = ratioStep(ms.ratio, g.fivexx, g.requests, "mesh-5xx", {
        ...base,
        minTotal: m.minRequests,
        minBad: Math.max(1, Math.ceil(m.minRequests * m.min5xxRatio)),
        minRatio: m.min5xxRatio,
        coldRatio: m.cold5xxRatio,
      });
      ms.ratio = r.next;
      add(r.finding, labels);
      const c = failureStep(ms.connect, g.connectFailures, "upstream-connect-failure", { ...base, minCount: m.minConnectFailures });
      ms.connect = c.next;
      add(c.finding, labels);
      const t = failureStep(ms.tls, g.tlsFailures, "tls-handshake-failure", { ...base, minCount: m.minTlsFailures });
      ms.tls = t.next;
      add(t.finding, labels);
    }
    for (const [k, ms] of ts.mesh) {
      if (groups.has(k)) continue;
      if (now - ms.touchedNs > FORGET_AFTER_NS) ts.mesh.delete(k);
      else {
        ms.connect = failureStep(ms.connect, 0, "upstream-connect-failure", { ...base, minCount: m.minConnectFailures }).next;
        ms.tls = failureStep(ms.tls, 0, "tls-handshake-failure", { ...base, minCount: m.minTlsFailures }).next;
      }
    }
  }
}

// One bounded pass over a tenant's data of one interval: per-stream counts and a thinned line sample, mesh
// counts per namespace/service/upstream, sshd failures per address; and denied requests from the audit trail.

import { AUDIT_TENANT, type Labels } from "@meshlog/core";
import type { LogStore, StreamInfo } from "@meshlog/storage";
import { httpStatusOf, isConnectFailure, isTlsFailure, bodyHead, sshFailureAddress, upstreamOf } from "./mesh-signals.js";

/** Stream labels of the records the detectors write; streams carrying them are never scanned. */
export const ANOMALY_LABELS = { source: "meshlog", kind: "anomaly" } as const;

export function isAnomalyStream(labels: Labels): boolean {
  return labels.source === ANOMALY_LABELS.source && labels.kind === ANOMALY_LABELS.kind;
}

/** One stream in one interval. */
export interface StreamWindow {
  readonly id: string;
  readonly labels: Labels;
  count: number;
  errors: number;
  firstNs: bigint;
  lastNs: bigint;
  /** Hit `maxLinesPerStream`: `count` is a lower bound. */
  truncated: boolean;
  /** Lines for the template miner, evenly thinned over the interval (every `stride`-th line). */
  readonly sample: { line: string; ts: bigint }[];
  stride: number;
}

/** Mesh counts of one namespace/service/upstream in one interval. */
export interface MeshWindow {
  readonly namespace: string;
  readonly service: string;
  readonly upstream: string;
  requests: number;
  fivexx: number;
  connectFailures: number;
  tlsFailures: number;
}

/** Auth failures of one key in one interval. */
export interface AuthWindow {
  readonly key: string;
  readonly labels: Labels;
  count: number;
  readonly what: string;
}

export interface TenantWindow {
  readonly streams: Map<string, StreamWindow>;
  readonly mesh: Map<string, MeshWindow>;
  readonly ssh: Map<string, AuthWindow>;
  linesRead: number;
  /** Streams skipped because the tenant had more than `maxStreams` in the interval. */
  streamsSkipped: number;
}

export interface ScanLimits {
  readonly maxLinesPerStream: number;
  readonly sampleLines: number;
  readonly maxStreams: number;
  /** Most mesh groups and ssh addresses kept per interval. */
  readonly maxGroups: number;
  readonly mesh: boolean;
  readonly ssh: boolean;
  readonly signal?: AbortSignal;
}

const key = (...parts: string[]): string => parts.join("\u0000");

/** Namespace and service of a stream's line (labels first, then resource attributes). */
export function serviceOf(labels: Labels, resource: Readonly<Record<string, string>>): { namespace: string; service: string } {
  return {
    namespace: labels.namespace ?? resource["k8s.namespace.name"] ?? "",
    service: labels.service ?? labels.app ?? resource["service.name"] ?? "",
  };
}

/** Reads [start, end) of a tenant, stream by stream, at most `maxLinesPerStream` lines each. */
export async function scanTenantWindow(store: LogStore, tenant: string, start: bigint, end: bigint, lim: ScanLimits): Promise<TenantWindow> {
  const out: TenantWindow = { streams: new Map(), mesh: new Map(), ssh: new Map(), linesRead: 0, streamsSkipped: 0 };
  const all = (await store.streams(tenant, start, end)).filter((s) => !isAnomalyStream(s.labels));
  // Deterministic choice when over the limit: the most recently active streams.
  const chosen: StreamInfo[] =
    all.length > lim.maxStreams ? [...all].sort((a, b) => (b.maxTime > a.maxTime ? 1 : b.maxTime < a.maxTime ? -1 : 0)).slice(0, lim.maxStreams) : all;
  out.streamsSkipped = all.length - chosen.length;
  for (const info of chosen) {
    if (lim.signal?.aborted === true) break;
    const w: StreamWindow = { id: info.id, labels: info.labels, count: 0, errors: 0, firstNs: 0n, lastNs: 0n, truncated: false, sample: [], stride: 1 };
    let seen = 0;
    for await (const batch of store.select({
      tenant,
      streamIds: [info.id],
      start,
      end,
      direction: "forward",
      limit: lim.maxLinesPerStream,
      ...(lim.signal !== undefined ? { signal: lim.signal } : {}),
    })) {
      for (const { record: r } of batch) {
        w.count++;
        if (w.firstNs === 0n || r.timestamp < w.firstNs) w.firstNs = r.timestamp;
        if (r.timestamp > w.lastNs) w.lastNs = r.timestamp;
        if (r.severityNumber >= 17) w.errors++;
        if (seen++ % w.stride === 0) {
          w.sample.push({ line: r.body, ts: r.timestamp });
          if (w.sample.length >= lim.sampleLines * 2) {
            // Keep every other line and halve the rate: the sample stays spread over the whole interval.
            let j = 0;
            for (let i = 0; i < w.sample.length; i += 2) w.sample[j++] = w.sample[i] as { line: string; ts: bigint };
            w.sample.length = j;
            w.stride *= 2;
          }
        }
        if (lim.mesh) {
          const status = httpStatusOf(r);
          const head = bodyHead(r.body);
          const connect = isConnectFailure(r, head);
          const tls = isTlsFailure(r, head);
          if (status > 0 || connect || tls) {
            const { namespace, service } = serviceOf(info.labels, r.resource);
            const upstream = upstreamOf(r);
            const k = key(namespace, service, upstream);
            let m = out.mesh.get(k);
            if (m === undefined && out.mesh.size < lim.maxGroups) {
              m = { namespace, service, upstream, requests: 0, fivexx: 0, connectFailures: 0, tlsFailures: 0 };
              out.mesh.set(k, m);
            }
            if (m !== undefined) {
              if (status > 0) m.requests++;
              if (status >= 500) m.fivexx++;
              if (connect) m.connectFailures++;
              if (tls) m.tlsFailures++;
            }
          }
        }
        if (lim.ssh) {
          const addr = sshFailureAddress(r.body);
          if (addr !== undefined) {
            const { namespace, service } = serviceOf(info.labels, r.resource);
            const k = key("ssh", addr);
            let a = out.ssh.get(k);
            if (a === undefined && out.ssh.size < lim.maxGroups) {
              const labels: Record<string, string> = {};
              if (namespace !== "") labels.namespace = namespace;
              if (service !== "") labels.service = service;
              if (info.labels.host !== undefined) labels.host = info.labels.host;
              a = { key: `address:${addr}`, labels, count: 0, what: `sshd authentication failures from ${addr}` };
              out.ssh.set(k, a);
            }
            if (a !== undefined) a.count++;
          }
        }
      }
    }
    out.linesRead += w.count;
    w.truncated = w.count >= lim.maxLinesPerStream;
    if (w.sample.length > lim.sampleLines) {
      const step = w.sample.length / lim.sampleLines;
      const thinned: { line: string; ts: bigint }[] = [];
      for (let i = 0; i < lim.sampleLines; i++) thinned.push(w.sample[Math.floor(i * step)] as { line: string; ts: bigint });
      w.sample.length = 0;
      w.sample.push(...thinned);
    }
    out.streams.set(info.id, w);
  }
  return out;
}

/** Denied requests of one interval from the audit trail, per affected tenant and principal / remote address. */
export async function scanDenied(
  store: LogStore,
  start: bigint,
  end: bigint,
  maxKeys: number,
  signal?: AbortSignal,
): Promise<Map<string, Map<string, AuthWindow>>> {
  const out = new Map<string, Map<string, AuthWindow>>();
  const streams = (await store.streams(AUDIT_TENANT, start, end)).filter((s) => s.labels.source === "audit" && s.labels.result === "denied");
  if (streams.length === 0) return out;
  let keys = 0;
  const bump = (tenant: string, k: string, what: string): void => {
    let byKey = out.get(tenant);
    if (byKey === undefined) out.set(tenant, (byKey = new Map()));
    let a = byKey.get(k);
    if (a === undefined) {
      if (keys >= maxKeys) return;
      keys++;
      a = { key: k, labels: {}, count: 0, what };
      byKey.set(k, a);
    }
    a.count++;
  };
  const req = {
    tenant: AUDIT_TENANT,
    streamIds: streams.map((s) => s.id),
    start,
    end,
    direction: "forward" as const,
    ...(signal !== undefined ? { signal } : {}),
  };
  for await (const batch of store.select(req)) {
    for (const { record: r } of batch) {
      const tenant = r.attributes.tenant ?? "";
      const principal = (r.attributes.principal ?? "anonymous").slice(0, 128);
      const addr = (r.attributes["client.address"] ?? "").slice(0, 64);
      if (principal !== "anonymous") bump(tenant, `principal:${principal}`, `denied requests of principal ${principal}`);
      if (addr !== "") bump(tenant, `address:${addr}`, `denied requests from ${addr}`);
    }
  }
  return out;
}

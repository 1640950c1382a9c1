// Reads the audit trail back from the store (tenant "_audit") with filters, newest or oldest first.

import { AUDIT_TENANT, formatRfc3339Ns, type LogRecord } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";

/** An audit event as read back: the stored event plus its time. */
export interface StoredAuditEvent {
  readonly time: string;
  readonly timeNs: string;
  readonly action: string;
  readonly principal: string;
  readonly tenant: string;
  readonly result: string;
  readonly remoteAddress?: string;
  readonly method?: string;
  readonly route?: string;
  readonly status?: number;
  readonly rows?: number;
  readonly details?: Record<string, string | number | boolean>;
}

export interface AuditFilter {
  /** Inclusive start and exclusive end, nanoseconds. */
  readonly start: bigint;
  readonly end: bigint;
  readonly principal?: string;
  /** Matches the action exactly or as a dotted prefix ("token" matches "token.create"). */
  readonly action?: string;
  readonly result?: string;
  readonly tenant?: string;
  /**
   * Only events of these tenants; undefined = all. Tenant-less events (anonymous failed logins, config
   * changes) are then hidden, and a `requestedTenant` detail naming another tenant is masked.
   */
  readonly visibleTenants?: readonly string[];
  readonly limit: number;
  readonly direction: "forward" | "backward";
  readonly signal?: AbortSignal;
}

/** Parses one stored audit record; undefined when it is not an audit event. */
export function auditEventOf(record: LogRecord): StoredAuditEvent | undefined {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.action !== "string" || typeof b.principal !== "string") return undefined;
  return { ...(b as unknown as Omit<StoredAuditEvent, "time" | "timeNs">), time: formatRfc3339Ns(record.timestamp), timeNs: record.timestamp.toString() };
}

function matches(e: StoredAuditEvent, f: AuditFilter): boolean {
  if (f.principal !== undefined && e.principal !== f.principal) return false;
  if (f.action !== undefined && e.action !== f.action && !e.action.startsWith(f.action + ".")) return false;
  if (f.result !== undefined && e.result !== f.result) return false;
  if (f.tenant !== undefined && e.tenant !== f.tenant) return false;
  if (f.visibleTenants !== undefined && !f.visibleTenants.includes(e.tenant)) return false;
  return true;
}

/** Yields matching audit events in time order (per direction), at most `limit`. */
export async function* queryAuditEvents(store: LogStore, f: AuditFilter): AsyncGenerator<StoredAuditEvent> {
  const streams = await store.streams(AUDIT_TENANT, f.start, f.end);
  if (streams.length === 0 || f.limit <= 0) return;
  let n = 0;
  const req = {
    tenant: AUDIT_TENANT,
    streamIds: streams.map((s) => s.id),
    start: f.start,
    end: f.end,
    direction: f.direction,
    ...(f.signal !== undefined ? { signal: f.signal } : {}),
  };
  for await (const batch of store.select(req)) {
    for (const entry of batch) {
      const e = auditEventOf(entry.record);
      if (e === undefined || !matches(e, f)) continue;
      yield f.visibleTenants === undefined ? e : maskOtherTenants(e, f.visibleTenants);
      if (++n >= f.limit) return;
    }
  }
}

/** Hides the names of tenants the reader may not see from an event's details. */
function maskOtherTenants(e: StoredAuditEvent, visible: readonly string[]): StoredAuditEvent {
  const d = e.details;
  if (d === undefined) return e;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(d)) out[k] = /tenant/i.test(k) && typeof v === "string" && !visible.includes(v) ? "(another tenant)" : v;
  return { ...e, details: out };
}

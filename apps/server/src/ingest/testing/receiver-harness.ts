// Test support for HTTP receivers: one route module served in-process on 127.0.0.1:0 over a store that can be
// told to refuse writes (STORAGE_BACKPRESSURE), with fixed tokens for each role. Used only by *.test.ts files.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_TENANT, MeshlogError, silentLogger, systemClock, type LogRecord } from "@meshlog/core";
import {
  MemoryStore,
  StorageErrors,
  type LogStore,
  type SelectRequest,
  type SelectStats,
  type StoredEntry,
  type StoreStats,
  type StreamInfo,
  type TailListener,
} from "@meshlog/storage";
import type { FastifyInstance } from "fastify";
import { serverConfigSchema } from "../../config/server-config.js";
import type { ServerContext } from "../../context.js";
import type { AuditEvent, AuditSink } from "../../features/audit/audit-sink.js";
import type { Authenticator, Principal } from "../../features/auth/principal.js";
import { MetricsRegistry } from "../../features/metrics/metrics-registry.js";
import { buildApp } from "../../http/app.js";
import type { RouteModule } from "../../http/route-module.js";
import { IngestWriter } from "../ingest-writer.js";

/** Tokens the harness accepts, one per kind of caller. */
export const TOKENS = {
  /** Bootstrap-like admin, may select any tenant with X-Scope-OrgID. */
  admin: "tok-admin",
  /** Ingest-only service account of tenant team-a (may not select other tenants). */
  ingest: "tok-ingest",
  /** Analyst of team-a: authenticated but lacks the ingest role. */
  analyst: "tok-analyst",
} as const;

export const INGEST_TENANT = "team-a";

const PRINCIPALS: Record<string, Principal> = {
  [TOKENS.admin]: { id: "admin", name: "admin", kind: "bootstrap", tenant: DEFAULT_TENANT, roles: ["admin"], tenants: "*", tokenId: "t-admin" },
  [TOKENS.ingest]: { id: "shipper", name: "shipper", kind: "service", tenant: INGEST_TENANT, roles: ["ingest"], tenants: [INGEST_TENANT], tokenId: "t-ingest" },
  [TOKENS.analyst]: { id: "analyst", name: "analyst", kind: "user", tenant: INGEST_TENANT, roles: ["analyst"], tenants: [INGEST_TENANT], tokenId: "t-analyst" },
};

class StaticAuthenticator implements Authenticator {
  async authenticate(secret: string): Promise<Principal | undefined> {
    return Object.prototype.hasOwnProperty.call(PRINCIPALS, secret) ? PRINCIPALS[secret] : undefined;
  }
}

/** A MemoryStore whose append can be made to fail with STORAGE_BACKPRESSURE (retry after 7 s), writing nothing. */
export class ThrottlingStore implements LogStore {
  readonly inner = new MemoryStore();
  refuse = false;
  appendCalls = 0;
  async append(tenant: string, records: readonly LogRecord[]): Promise<void> {
    this.appendCalls++;
    if (this.refuse) throw new MeshlogError(StorageErrors.STORAGE_BACKPRESSURE, "the write-ahead log is saturated", { details: { retryAfterSeconds: 7 } });
    return this.inner.append(tenant, records);
  }
  streams(tenant: string, start: bigint, end: bigint): Promise<readonly StreamInfo[]> {
    return this.inner.streams(tenant, start, end);
  }
  select(req: SelectRequest, stats?: SelectStats): AsyncIterable<readonly StoredEntry[]> {
    return this.inner.select(req, stats);
  }
  tail(tenant: string, listener: TailListener): () => void {
    return this.inner.tail(tenant, listener);
  }
  tenants(): Promise<readonly string[]> {
    return this.inner.tenants();
  }
  stats(tenant: string): Promise<StoreStats> {
    return this.inner.stats(tenant);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
  async flush(): Promise<void> {}
}

export interface ReceiverHarness {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly store: ThrottlingStore;
  readonly ctx: ServerContext;
  readonly app: FastifyInstance;
  readonly audit: AuditEvent[];
  /** Every record of a tenant, oldest first. */
  records(tenant?: string): Promise<LogRecord[]>;
  close(): Promise<void>;
}

/** Starts the given route modules on 127.0.0.1:0 with a throttling in-memory store. `config` overrides the test config. */
export async function startReceiverHarness(modules: readonly RouteModule[], config: Record<string, unknown> = {}): Promise<ReceiverHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), "meshlog-recv-http-"));
  const cfg = serverConfigSchema.parse({ dataDir, http: "127.0.0.1:0", syslog: "", forward: "", adminToken: TOKENS.admin, ...config });
  const store = new ThrottlingStore();
  const metrics = new MetricsRegistry();
  const audit = new MemoryAuditSink();
  const ctx: ServerContext = {
    config: cfg,
    dataDir,
    store,
    log: silentLogger,
    clock: systemClock,
    auth: new StaticAuthenticator(),
    audit,
    metrics,
    ingest: new IngestWriter(store, metrics, silentLogger),
    services: new Map<string, unknown>(),
  };
  const app = await buildApp(ctx, modules);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr !== "object") throw new Error("BUG: no listening address");
  return {
    url: `http://127.0.0.1:${addr.port}`,
    store,
    ctx,
    app,
    audit: audit.events,
    records: (tenant = INGEST_TENANT) => readAllRecords(store, tenant),
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every record of a tenant in a store, oldest first. */
export async function readAllRecords(store: LogStore, tenant: string): Promise<LogRecord[]> {
  const streams = await store.streams(tenant, 0n, 1n << 63n);
  const out: LogRecord[] = [];
  if (streams.length === 0) return out;
  for await (const batch of store.select({ tenant, streamIds: streams.map((s) => s.id), start: 0n, end: 1n << 63n, direction: "forward" })) {
    for (const e of batch) out.push(e.record);
  }
  return out;
}

/** POSTs raw bytes with headers; returns status, headers and text. */
export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method: "POST", body, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

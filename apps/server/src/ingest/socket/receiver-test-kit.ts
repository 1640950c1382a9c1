// Test support for socket receivers: an in-process server on loopback ports, reading records back, polling
// with a bound, and throwaway TLS certificates. Used only by *.test.ts files.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@meshlog/core";
import type { LogStore } from "@meshlog/storage";
import { issueCert, makeCa } from "@meshlog/testkit";
import { serverConfigSchema } from "../../config/server-config.js";
import { startServer, type RunningServer } from "../../main.js";

export interface TestServer {
  readonly server: RunningServer;
  readonly dir: string;
  /** Server log lines (JSON). */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Starts a server with only the given receivers enabled (HTTP on an ephemeral loopback port). */
export async function startTestServer(overrides: Record<string, unknown>): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-recv-"));
  const logs: string[] = [];
  const config = serverConfigSchema.parse({
    dataDir: join(dir, "data"),
    http: "127.0.0.1:0",
    syslog: "",
    forward: "",
    otlpGrpc: { enabled: false },
    adminToken: "t",
    logLevel: "debug",
    ...overrides,
  });
  let server: RunningServer;
  try {
    server = await startServer(config, { print: () => {}, logWrite: (s) => void logs.push(s) });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    server,
    dir,
    logs,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** HOST and PORT of a "host:port" service address. */
export function hostPortOf(addr: unknown): { host: string; port: number } {
  if (typeof addr !== "string") throw new Error(`no address published: ${String(addr)}`);
  const i = addr.lastIndexOf(":");
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(addr.slice(i + 1)) };
}

/** Every record of a tenant, oldest first. */
export async function readAll(store: LogStore, tenant: string): Promise<LogRecord[]> {
  const streams = await store.streams(tenant, 0n, 1n << 62n);
  const out: LogRecord[] = [];
  if (streams.length === 0) return out;
  for await (const batch of store.select({ tenant, streamIds: streams.map((s) => s.id), start: 0n, end: 1n << 62n, direction: "forward" })) {
    for (const e of batch) out.push(e.record);
  }
  return out;
}

/** Polls until `n` records of the tenant exist (at most `timeoutMs`), returning them. */
export async function waitForRecords(store: LogStore, tenant: string, n: number, timeoutMs = 10_000): Promise<LogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await readAll(store, tenant);
    if (all.length >= n || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls a condition (bounded), e.g. a metric or a log line appearing. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl), plus a client certificate. */
export function makeTestCertificates(dir: string): { ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
  const ca = makeCa(dir);
  const server = issueCert(dir, ca, "server", "127.0.0.1", ["IP:127.0.0.1", "DNS:localhost"], "serverAuth");
  const client = issueCert(dir, ca, "client", "test-client", [], "clientAuth");
  return { ca: ca.cert, cert: server.cert, key: server.key, clientCert: client.cert, clientKey: client.key };
}

// Test fixture for the security suites: an in-process server on 127.0.0.1:0 in a temp data folder.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serverConfigSchema } from "../../config/server-config.js";
import { startServer, type RunningServer } from "../../main.js";

export interface TestServer {
  readonly server: RunningServer;
  readonly base: string;
  readonly dataDir: string;
  readonly adminToken: string;
  /** Lines the server logged. */
  readonly logs: string[];
  /** fetch against the server with the given token (undefined: no Authorization header). */
  call(
    method: string,
    path: string,
    opts?: { token?: string | undefined; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }>;
  /** Flushes and reads the audit trail through the API as the admin. */
  auditEvents(query?: Record<string, string>): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Starts a server with config overrides (merged over a loopback test config). */
export async function startTestServer(overrides: Record<string, unknown> = {}, opts: { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "meshlog-sec-")));
  const adminToken = "admin-test-token";
  const logs: string[] = [];
  const config = serverConfigSchema.parse({ dataDir, http: "127.0.0.1:0", syslog: "", forward: "", otlpGrpc: { enabled: false }, adminToken, ...overrides });
  let server: RunningServer;
  try {
    server = await startServer(config, { print: () => {}, logWrite: (l) => void logs.push(l) });
  } catch (err) {
    if (opts.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const base = server.ctx.services.get("http.address") as string;
  const call: TestServer["call"] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    let body: string | Buffer | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(base + path, { method, headers, signal: AbortSignal.timeout(10_000), ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as unknown };
  };
  return {
    server,
    base,
    dataDir,
    adminToken,
    logs,
    call,
    async auditEvents(query = {}) {
      await server.ctx.audit.flush();
      const qs = new URLSearchParams({ limit: "100000", direction: "forward", ...query }).toString();
      const r = await call("GET", `/api/v1/audit?${qs}`, { token: adminToken });
      if (r.status !== 200) throw new Error(`audit query failed: ${r.status} ${r.text}`);
      return (r.json() as { events: Record<string, unknown>[] }).events;
    },
    async close() {
      await server.stop();
      if (opts.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a token through the admin API and returns it with its id. */
export async function createToken(s: TestServer, spec: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const r = await s.call("POST", "/api/v1/tokens", { token: s.adminToken, body: spec });
  if (r.status !== 201) throw new Error(`token create failed: ${r.status} ${r.text}`);
  return r.json() as { id: string; token: string };
}

// Process-level test harness: spawns the real `meshlog` binary on loopback with a temp data folder.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const meshlogBin = join(repoRoot, "bin", "meshlog.js");

export interface SpawnedServer {
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL: no chance to flush anything. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export function tempDir(prefix = "meshlog-e2e-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts `meshlog server` and resolves once it listens (address read from its log). */
export async function spawnServer(opts: { dataDir: string; token?: string; env?: Record<string, string>; args?: string[] }): Promise<SpawnedServer> {
  const token = opts.token ?? "e2e-admin-token-0123456789";
  const proc = spawn(
    process.execPath,
    [meshlogBin, "server", "--data", opts.dataDir, "--http", "127.0.0.1:0", "--syslog", "", "--forward", "", "--otlp-grpc", "", ...(opts.args ?? [])],
    {
      env: { ...process.env, MESHLOG_ADMIN_TOKEN: token, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  proc.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${err}`)), 30_000);
    proc.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const m = /"msg":"http listening"[^\n]*"address":"([^"]+)"/.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${err}`));
    });
  });
  return {
    url,
    token,
    dataDir: opts.dataDir,
    proc,
    stderr: () => err,
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
    async stop() {
      proc.kill("SIGTERM");
      return exited;
    },
  };
}

/** Runs `meshlog ARGS` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [meshlogBin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    p.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** POSTs NDJSON lines to the native endpoint. */
export async function ingestNative(url: string, token: string, lines: object[]): Promise<Response> {
  return fetch(`${url}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    body: lines.map((l) => JSON.stringify(l)).join("\n"),
  });
}

/** Runs a Loki query_range and returns the log lines (all streams) with their labels. */
export async function queryLines(
  url: string,
  token: string,
  query: string,
  opts: { limit?: number; startNs?: bigint; endNs?: bigint } = {},
): Promise<{ line: string; labels: Record<string, string>; ts: string }[]> {
  const params = new URLSearchParams({
    query,
    limit: String(opts.limit ?? 5000),
    start: String(opts.startNs ?? BigInt(Date.now() - 3_600_000) * 1_000_000n),
    end: String(opts.endNs ?? BigInt(Date.now() + 60_000) * 1_000_000n),
    direction: "forward",
  });
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`query_range ${res.status}: ${text}`);
  const body = JSON.parse(text) as { data: { resultType: string; result: { stream: Record<string, string>; values: [string, string][] }[] } };
  const out: { line: string; labels: Record<string, string>; ts: string }[] = [];
  for (const s of body.data.result) for (const [ts, line] of s.values) out.push({ line, labels: s.stream, ts });
  return out;
}

// Test kit: a real `meshlog server` child process on 127.0.0.1 (port 0) and an in-process CLI runner against it.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../main.js";

const BIN = fileURLToPath(new URL("../../../../bin/meshlog.js", import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliTestServer {
  /** The server's data folder (a fresh temp dir). */
  readonly dataDir: string;
  /** `http://127.0.0.1:PORT` once started. */
  readonly addr: string;
  /** Runs `meshlog ARGS` in-process with MESHLOG_ADDR pointing at the server. */
  run(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  /** Stops the server (SIGTERM, waits for exit); the data folder stays. */
  stop(): Promise<void>;
  /** Stops the server and removes the data folder. */
  dispose(): Promise<void>;
}

/** Starts a server with a generated admin token (written to DATA/admin.token), no syslog or forward listener. */
export async function startCliTestServer(prefix: string, env: Record<string, string> = {}): Promise<CliTestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.MESHLOG_ADMIN_TOKEN;
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, "server", "--data", dataDir, "--http", "127.0.0.1:0", "--syslog", "", "--forward", "", "--otlp-grpc", ""],
    {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const addr = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${buf}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const m = /"msg":"http listening".*?"address":"([^"]+)"/.exec(buf);
      if (m !== null) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
    child.stdout?.resume();
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${buf}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return {
    dataDir,
    addr,
    async run(args, extraEnv = {}) {
      let out = "";
      let err = "";
      const code = await main([...args], { out: (s) => void (out += s), err: (s) => void (err += s), env: { MESHLOG_ADDR: addr, ...extraEnv } });
      return { code, out, err };
    },
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// Test support: runs `meshlog agent` in a child process (so tests can kill -9 it) and waits for conditions.

import { spawn, type ChildProcess } from "node:child_process";

const MAIN = new URL("../main.js", import.meta.url).href;

/** Spawns the agent with `argv`; stderr (its JSON log) is collected in `log`. */
export function spawnAgent(argv: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; log: string[] } {
  const script = `import(${JSON.stringify(MAIN)}).then((m) => m.main(${JSON.stringify(argv)})).then((c) => process.exit(c))`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (d: string) => log.push(d));
  child.stdout?.resume();
  return { child, log };
}

/** Resolves with the exit code (or signal name). */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Polls `cond` every 25 ms until true or `timeoutMs`; throws with `what` on timeout. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

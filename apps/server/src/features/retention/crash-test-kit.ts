// Crash tests: run a child script on a data folder and SIGKILL it once it has printed enough progress lines; the
// compactor the compaction crash test and its child both use.

import { spawn } from "node:child_process";
import { systemClock } from "@meshlog/core";
import { Compactor, HoldStore, NodeFileSystem, type EmbeddedStore } from "@meshlog/storage";
import { compileSelector } from "./selector-compiler.js";

/** A compactor over `store` with small target blocks and a year-long span, so a test's few blocks merge. */
export async function crashTestCompactor(store: EmbeddedStore, dataDir: string, onStep?: (tenant: string, step: string) => Promise<void>): Promise<Compactor> {
  const fs = new NodeFileSystem();
  return new Compactor({
    fs,
    dataDir,
    target: store,
    holds: await HoldStore.open(fs, dataDir, systemClock, compileSelector),
    clock: systemClock,
    targetBlockBytes: 4096,
    maxSpanMs: 365 * 86_400_000,
    ...(onStep === undefined ? {} : { onStep }),
  });
}

/**
 * Runs `node script dataDir` until its stdout holds `count` lines starting with `marker` (e.g. "batch "), then
 * kills it with SIGKILL and resolves with what it printed. Rejects when the child exits on its own first (the
 * crash point was never reached); kills it after 20 s in any case.
 */
export function runAndKill(script: string, dataDir: string, marker: string, count: number): Promise<string> {
  const progress = new RegExp(`^${marker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "gm");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if ((out.match(progress)?.length ?? 0) >= count) child.kill("SIGKILL");
    });
    child.stderr.on("data", (d: Buffer) => void (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      if (signal !== "SIGKILL") reject(new Error(`child exited with ${code} before it was killed: ${out}${err}`));
      else resolve(out);
    });
  });
}

#!/usr/bin/env node
// Runs every benchmark in bench/ (each prints one JSON object), and writes them with machine facts to bench/results/.
// Usage: npm run bench [-- name-filter ...]   (MESHLOG_BENCH_SCALE scales data sizes where a benchmark supports it)
import { readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { cpus, totalmem, platform, release } from "node:os";

const dir = new URL(".", import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && !f.startsWith("lib-"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const machine = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` };
const results = {};
for (const f of files) {
  process.stderr.write(`bench: ${f} ...\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--expose-gc", `${dir}${f}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000 });
  const out = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  try {
    results[f.replace(/\.mjs$/, "")] = { ...JSON.parse(out ?? ""), wallSeconds: (Date.now() - t0) / 1000 };
  } catch {
    results[f.replace(/\.mjs$/, "")] = { error: `exit ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}` };
  }
}
const report = { date: new Date().toISOString(), machine, results };
mkdirSync(`${dir}results`, { recursive: true });
writeFileSync(`${dir}results/latest.json`, JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));

#!/usr/bin/env node
// Runs every compiled test (*.test.js under packages/*/dist, apps/*/dist and test/e2e/dist) with node:test.
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. `node scripts/run-tests.mjs packages/storage`
import { readdirSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const roots = [];
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) {
    const dist = join(root, group, name, "dist");
    if (existsSync(dist)) roots.push(dist);
  }
}
if (existsSync(join(root, "test", "e2e", "dist"))) roots.push(join(root, "test", "e2e", "dist"));

const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p);
    else if (entry.endsWith(".test.js")) files.push(p);
  }
};
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p) || f.includes(p)))
  .sort();
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.MESHLOG_TEST_CONCURRENCY ?? "2";
const r = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...selected], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);

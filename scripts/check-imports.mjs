#!/usr/bin/env node
// Enforces the dependency direction of CONVENTIONS: core <- pipeline; core <- storage <- query; core <- api;
// apps <- packages; packages never import apps; apps never import each other; node I/O modules only in apps
// and storage/src/io; no deep imports past a package's exports; @meshlog/testkit only from tests.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const allowed = {
  core: [],
  pipeline: ["core"],
  storage: ["core"],
  query: ["core", "storage"],
  api: ["core"],
  // Test helpers: imported only by tests and testing/ folders, free to run processes and touch files.
  testkit: ["core"],
};
const ioModules = /^(node:)?(fs|fs\/promises|net|tls|dgram|http|https|http2|child_process)$/;
const problems = [];
const walk = (dir, out) => {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(e) && !e.endsWith(".d.ts")) out.push(p);
  }
  return out;
};
const importsOf = (text) => [...text.matchAll(/(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);

for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) {
    for (const file of walk(join(root, group, name, "src"), [])) {
      const rel = relative(root, file);
      const isTest = /(\.test|-test-kit)\.tsx?$/.test(file) || rel.includes("/testing/");
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        const m = /^@meshlog\/([a-z-]+)(\/.*)?$/.exec(spec);
        if (m) {
          const [, target, deep] = m;
          if (deep) problems.push(`${rel}: deep import "${spec}" (import from the package entry)`);
          if (group === "packages" && !(allowed[name] ?? []).includes(target) && target !== name && !(target === "testkit" && isTest)) {
            problems.push(`${rel}: package ${name} must not import @meshlog/${target}`);
          }
          if (group === "apps" && !(target in allowed)) problems.push(`${rel}: apps must not import other apps (@meshlog/${target})`);
          if (target === "testkit" && !isTest) problems.push(`${rel}: @meshlog/testkit is for tests and testing/ folders only`);
        }
        if (spec.startsWith(".") && /\.\.\/\.\.\/\.\.\/(packages|apps)\//.test(spec)) problems.push(`${rel}: relative import across packages "${spec}"`);
        if (group === "packages" && ioModules.test(spec) && !isTest && name !== "testkit" && !(name === "storage" && rel.includes("/src/io/"))) {
          problems.push(`${rel}: "${spec}" is only allowed in apps and storage/src/io`);
        }
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("imports: ok");

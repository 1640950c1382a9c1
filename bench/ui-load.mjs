#!/usr/bin/env node
// Web UI: bundle size (raw and gzip) and first-load time in headless chromium, against a blank page from the same
// server machine as the baseline (same run). Needs Debian's chromium (MESHLOG_CHROMIUM to override the path).
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "apps/web/dist");
const files = [];
const walk = (d) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
walk(dist);
let raw = 0;
let gz = 0;
for (const f of files) {
  const b = readFileSync(f);
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}

const exe = process.env.MESHLOG_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(exe)) {
  console.log(JSON.stringify({ bundleBytes: raw, bundleGzipBytes: gz, files: files.length, firstLoad: "skipped: chromium not installed" }));
  process.exit(0);
}
const data = mkdtempSync(join(tmpdir(), "meshlog-bench-ui-"));
const server = spawn(process.execPath, [join(root, "bin/meshlog.js"), "server", "--data", data, "--http", "127.0.0.1:0", "--syslog", "", "--forward", "", "--otlp-grpc", ""], {
  env: { ...process.env, MESHLOG_ADMIN_TOKEN: "bench-ui-token" },
  stdio: ["ignore", "ignore", "pipe"],
});
const url = await new Promise((resolve, reject) => {
  let err = "";
  server.stderr.on("data", (c) => {
    err += c;
    const m = /"msg":"http listening"[^\n]*"address":"([^"]+)"/.exec(err);
    if (m) resolve(`http://${m[1]}`);
  });
  server.once("exit", () => reject(new Error(err)));
});
const blank = createServer((_q, r) => r.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>x</title><p id=ok>ok</p>"));
await new Promise((r) => blank.listen(0, "127.0.0.1", r));
const blankUrl = `http://127.0.0.1:${blank.address().port}/`;

const profile = mkdtempSync(join(tmpdir(), "meshlog-bench-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: exe,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const measure = async (target, selector, rounds = 7) => {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const page = await ctx.newPage();
    await page.route("**/*", (route) => route.continue({ headers: { ...route.request().headers(), "cache-control": "no-cache" } }));
    const t0 = performance.now();
    await page.goto(target, { waitUntil: "domcontentloaded" });
    await page.locator(selector).first().waitFor();
    times.push(performance.now() - t0);
    await page.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
};
const blankMs = await measure(blankUrl, "#ok");
const uiMs = await measure(url, "input[aria-label='API token']");
await ctx.close();
rmSync(profile, { recursive: true, force: true });
blank.close();
server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
rmSync(data, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bundleBytes: raw,
    bundleGzipBytes: gz,
    files: files.length,
    firstLoadMsMedian: Math.round(uiMs),
    blankPageMsMedian: Math.round(blankMs),
    ratioToBlankPage: Number((uiMs / blankMs).toFixed(2)),
  }),
);

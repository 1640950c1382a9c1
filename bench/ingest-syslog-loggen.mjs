#!/usr/bin/env node
// A real shipper against the syslog receiver: syslog-ng's load generator `loggen` (RFC 5424, octet-counted TCP)
// sends for a few seconds into (a) a null TCP sink that only reads and (b) the meshlog server running in this
// process (full write path into its configured store). Reports each rate and their ratio (DESIGN §10 target:
// the shipper reaches >= 90% of its null-sink rate). Needs `loggen` on PATH or MESHLOG_SYSLOG_NG_ROOT pointing at
// an extracted syslog-ng-core package. Prints one JSON object.
// Usage: node bench/ingest-syslog-loggen.mjs [--seconds 3] [--connections 1]
import { spawnSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const SECONDS = Number(opt("seconds", "3"));
const CONNECTIONS = Number(opt("connections", "1"));

function findLoggen() {
  const root = process.env.MESHLOG_SYSLOG_NG_ROOT;
  if (root !== undefined && existsSync(join(root, "usr/bin/loggen"))) {
    return { bin: join(root, "usr/bin/loggen"), env: { ...process.env, SYSLOGNG_PREFIX: join(root, "usr"), LD_LIBRARY_PATH: join(root, "usr/lib/syslog-ng") } };
  }
  const r = spawnSync("sh", ["-c", "command -v loggen"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "" ? { bin: r.stdout.trim(), env: process.env } : undefined;
}
const loggen = findLoggen();
if (loggen === undefined) {
  console.log(JSON.stringify({ bench: "ingest-syslog-loggen", skipped: "loggen (syslog-ng-core) is not installed" }));
  process.exit(0);
}

/** Runs loggen against port; resolves with its count and elapsed seconds. */
function runLoggen(port) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      loggen.bin,
      ["-i", "-S", "-P", "-Q", "-r", "100000000", "-I", String(SECONDS), "--active-connections", String(CONNECTIONS), "127.0.0.1", String(port)],
      { env: loggen.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", () => {
      const m = /average rate = ([\d.]+) msg\/sec, count=(\d+), time=([\d.]+)/.exec(out);
      if (m === null) reject(new Error(`cannot read loggen output: ${out.slice(-500)}`));
      else resolve({ rate: Number(m[1]), count: Number(m[2]), seconds: Number(m[3]) });
    });
  });
}

// (a) null sink
const sink = createServer((c) => c.resume());
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const nullRun = await runLoggen(sink.address().port);
await new Promise((r) => sink.close(r));

// (b) the meshlog server in this process
const { startServer, serverConfigSchema } = await import(new URL("../apps/server/dist/index.js", import.meta.url).href);
const dir = mkdtempSync(join(tmpdir(), "meshlog-bench-loggen-"));
const server = await startServer(
  serverConfigSchema.parse({ dataDir: join(dir, "data"), http: "127.0.0.1:0", syslog: "127.0.0.1:0", forward: "", otlpGrpc: { enabled: false }, adminToken: "bench", logLevel: "warn" }),
  { print: () => {}, logWrite: () => {} },
);
const port = Number(String(server.ctx.services.get("syslog.address")).split(":").pop());
const stored = () => {
  const m = /meshlog_ingest_records_total\{receiver="syslog",tenant="default"\} (\d+)/.exec(server.ctx.metrics.render());
  return m === null ? 0 : Number(m[1]);
};
const t0 = process.hrtime.bigint();
const meshRun = await runLoggen(port);
for (let i = 0; i < 600 && stored() < meshRun.count; i++) await new Promise((r) => setTimeout(r, 50));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const storedCount = stored();
await server.stop();
rmSync(dir, { recursive: true, force: true });

const meshRate = storedCount / seconds;
console.log(
  JSON.stringify({
    bench: "ingest-syslog-loggen",
    seconds: SECONDS,
    connections: CONNECTIONS,
    nullSink: { messages: nullRun.count, messagesPerSecond: Math.round(nullRun.rate) },
    meshlog: { sent: meshRun.count, stored: storedCount, secondsUntilAllStored: Math.round(seconds * 100) / 100, messagesPerSecond: Math.round(meshRate) },
    ratioToNullSink: Math.round((meshRate / nullRun.rate) * 1000) / 1000,
  }),
);

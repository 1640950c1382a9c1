#!/usr/bin/env node
// Agent throughput: tail -> (parse) -> ship to a null native-ingest endpoint, with a 1 MiB read size.
// Prints one JSON object: lines/s (steady state), agent CPU per line, and a raw read+split baseline.
// Usage: npm run build && node bench/agent-tail.mjs   (MESHLOG_BENCH_SCALE=0.2 for a quick run)
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { meshLine, resetMeshLines } from "./lib-mesh-lines.mjs";

const scale = Number(process.env.MESHLOG_BENCH_SCALE ?? "1");
const LINES = Math.max(10_000, Math.round(400_000 * scale));
const main = new URL("../apps/agent/dist/main.js", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "meshlog-bench-agent-"));

function generate(path) {
  resetMeshLines(7);
  const fd = openSync(path, "w");
  let chunk = [];
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < LINES; i++) {
    chunk.push(meshLine(t0 + i).body);
    if (chunk.length === 10_000) {
      writeSync(fd, chunk.join("\n") + "\n");
      chunk = [];
    }
  }
  if (chunk.length > 0) writeSync(fd, chunk.join("\n") + "\n");
  closeSync(fd);
}

/** Counts lines arriving at POST /api/v1/ingest; records the time of the first and last request. */
function nullServer() {
  const state = { lines: 0, first: 0, last: 0, requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      state.bytes += body.length;
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      let n = 0;
      for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) n++;
      const now = performance.now();
      if (state.first === 0) state.first = now;
      state.last = now;
      state.lines += n;
      state.requests++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: n, rejected: [] }));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, state, port: server.address().port })));
}

function cpuSecondsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const parts = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(parts[11]) + Number(parts[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100 on Linux)
}

async function run(name, logFile, transforms) {
  const { server, state, port } = await nullServer();
  const runDir = join(dir, name);
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    `data_dir: ${runDir}
api: { enabled: false }
buffer: { max_size: 1GiB, sync: ${process.env.BENCH_SYNC ?? "true"} }
sources:
  app: { type: file, include: ["${logFile}"], start_at: beginning, read_size: 1MiB }
transforms: ${JSON.stringify(transforms)}
sinks:
  null: { type: meshlog, endpoint: "http://127.0.0.1:${port}", batch: { max_records: 5000 } }
`,
  );
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--input-type=module", "-e", `import(${JSON.stringify(main)}).then((m) => m.main(["--config", ${JSON.stringify(cfg)}])).then((c) => process.exit(c))`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const deadline = Date.now() + 15 * 60_000;
  while (state.lines < LINES && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(child.pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  server.close();
  if (state.lines < LINES) throw new Error(`${name}: only ${state.lines} of ${LINES} lines arrived\n${stderr}`);
  const steady = (state.last - state.first) / 1000;
  return {
    linesPerSecond: Math.round(LINES / wall),
    steadyLinesPerSecond: steady > 0 ? Math.round(LINES / steady) : null,
    agentCpuSeconds: cpu,
    cpuMicrosecondsPerLine: Number(((cpu / LINES) * 1e6).toFixed(2)),
    requests: state.requests,
    wireBytesPerLine: Number((state.bytes / LINES).toFixed(1)),
    wallSeconds: Number(wall.toFixed(2)),
  };
}

try {
  const logFile = join(dir, "app.log");
  generate(logFile);
  const size = statSync(logFile).size;
  const b0 = performance.now();
  const raw = readFileSync(logFile);
  let n = 0;
  for (let i = raw.indexOf(10); i >= 0; i = raw.indexOf(10, i + 1)) n++;
  const rawSec = (performance.now() - b0) / 1000;
  const ship = await run("tail-ship", logFile, []);
  const parse = await run("tail-parse-ship", logFile, [{ type: "parse", format: "auto" }]);
  console.log(
    JSON.stringify({
      benchmark: "agent-tail",
      lines: LINES,
      fileBytes: size,
      avgLineBytes: Number((size / LINES).toFixed(1)),
      readSize: "1MiB",
      bufferSync: true,
      baselineReadSplitLinesPerSecond: Math.round(n / rawSec),
      tailShip: ship,
      tailParseShip: parse,
      note: "lines/s from agent start to the last line received (steady: first to last request); CPU is the agent process only; the null server runs in the benchmark process",
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Process-level checks of `meshlog agent`: --check-config, /metrics and /health, SIGHUP reload, SIGTERM.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IngestStub } from "../testing/ingest-stub.js";
import { exited, spawnAgent, waitFor } from "../testing/spawn-agent.js";

const config = (dir: string, url: string, extra = "") => `
data_dir: ${join(dir, "data")}
api: { address: "127.0.0.1:0" }
labels: { env: "\${ENV_NAME:-dev}" }
sources:
  app: { type: file, include: ["${join(dir, "*.log")}"], start_at: beginning, poll_interval: 20ms }
sinks:
  server: { type: meshlog, endpoint: "${url}", batch: { max_records: 50 } }
${extra}`;

test("--check-config exits 0 for a valid file and 2 with file:line:key for an invalid one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-cli-"));
  try {
    const good = join(dir, "good.yaml");
    writeFileSync(good, config(dir, "http://127.0.0.1:9"));
    const ok = spawnAgent(["--config", good, "--check-config"]);
    assert.equal(await exited(ok.child), 0);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, config(dir, "http://127.0.0.1:9", "colour: blue\n"));
    const ko = spawnAgent(["--config", bad, "--check-config"]);
    assert.equal(await exited(ko.child), 2);
    assert.match(ko.log.join(""), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:9:1: unknown key "colour"`));
    const usage = spawnAgent(["--bogus"]);
    assert.equal(await exited(usage.child), 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a running agent reloads on SIGHUP without losing lines, logs JSON lines, and stops on SIGTERM", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-reload-"));
  const stub = new IngestStub();
  await stub.up();
  const cfgFile = join(dir, "agent.yaml");
  writeFileSync(cfgFile, config(dir, stub.url));
  const agent = spawnAgent(["--config", cfgFile]);
  try {
    await waitFor("startup", () => agent.log.join("").includes('"agent started"'));
    const expected: string[] = [];
    const write = (from: number, n: number) => {
      const lines = Array.from({ length: n }, (_, i) => `reload-${from + i}`);
      expected.push(...lines);
      appendFileSync(join(dir, "a.log"), lines.join("\n") + "\n");
    };
    write(0, 500);
    await waitFor("first lines", () => stub.bodies.size > 0);
    writeFileSync(cfgFile, config(dir, stub.url, "fields: { cluster: prod-eu }\n"));
    agent.child.kill("SIGHUP");
    write(500, 500);
    await waitFor("reload", () => agent.log.join("").includes('"config reloaded"'));
    write(1000, 500);
    await waitFor("all lines", () => expected.every((e) => stub.bodies.has(e)));
    const { missing, duplicates } = stub.audit(expected);
    assert.equal(missing.length, 0);
    t.diagnostic(`reload: ${expected.length} lines, duplicates ${duplicates}`);
    const last = stub.lines.find((l) => l.body === "reload-1499") as { resource?: Record<string, string>; labels: Record<string, string> };
    assert.equal(last.resource?.cluster, "prod-eu", "the new config applies after the reload");
    assert.equal(last.labels.env, "dev");
    const started =
      agent.log
        .join("")
        .split("\n")
        .find((l) => l.includes('"agent started"')) ?? "";
    assert.doesNotThrow(() => JSON.parse(started), "the agent's own log is JSON lines");
    agent.child.kill("SIGTERM");
    assert.equal(await exited(agent.child), 0);
  } finally {
    agent.child.kill("SIGKILL");
    await stub.down();
    await rm(dir, { recursive: true, force: true });
  }
});

test("self-monitoring endpoint answers /metrics in Prometheus text and /health as JSON", async () => {
  const { Agent } = await import("../runtime/agent.js");
  const { parseConfigText } = await import("../config/load-config.js");
  const { REGISTRIES } = await import("../main.js");
  const { silentLogger } = await import("@meshlog/core");
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-api-"));
  const agent = await Agent.start(parseConfigText(config(dir, "http://127.0.0.1:9"), "a.yaml", {}, REGISTRIES), { logger: silentLogger });
  try {
    const addr = agent.apiAddress();
    assert.ok(addr);
    appendFileSync(join(dir, "x.log"), "hello\n");
    await waitFor("a record read", () => agent.metrics.sum("meshlog_agent_source_records_total") === 1);
    const metrics = await (await fetch(`http://127.0.0.1:${addr.port}/metrics`)).text();
    assert.match(metrics, /# TYPE meshlog_agent_source_records_total counter\nmeshlog_agent_source_records_total\{source="app"\} 1/);
    assert.match(metrics, /meshlog_agent_buffer_bytes \d+/);
    const health = await fetch(`http://127.0.0.1:${addr.port}/health`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as { status: string; sinks: { name: string; failing: boolean; lastError?: string }[] };
    assert.equal(h.sinks[0]?.name, "server");
    await waitFor("the unreachable sink to show", async () => {
      const cur = (await (await fetch(`http://127.0.0.1:${addr.port}/health`)).json()) as typeof h;
      return cur.status === "degraded" && cur.sinks[0]?.failing === true && (cur.sinks[0]?.lastError ?? "").length > 0;
    });
    assert.equal((await fetch(`http://127.0.0.1:${addr.port}/nope`)).status, 404);
  } finally {
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

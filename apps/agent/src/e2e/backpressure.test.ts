// In-process scenarios: the disk buffer fills while the server is down (sources pause, nothing is lost),
// the explicit drop_oldest policy counts what it drops, and mTLS refuses clients without a valid certificate.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@meshlog/core";
import { parseConfigText } from "../config/load-config.js";
import { REGISTRIES } from "../main.js";
import { Agent } from "../runtime/agent.js";
import { M } from "../runtime/metrics.js";
import { meshlogSink } from "../sinks/meshlog/index.js";
import { IngestStub } from "../testing/ingest-stub.js";
import { makeTestCerts } from "../testing/test-certs.js";
import { waitFor } from "../testing/spawn-agent.js";

function config(dir: string, endpoint: string, whenFull: "block" | "drop_oldest"): string {
  return `
data_dir: ${join(dir, "data")}
api: { enabled: false }
retry: { initial_backoff: 20ms, max_backoff: 200ms }
buffer: { max_size: 256KiB, segment_size: 32KiB, when_full: ${whenFull}, sync: false }
sources:
  app: { type: file, include: ["${join(dir, "*.log")}"], start_at: beginning, poll_interval: 20ms, read_size: 16KiB }
sinks:
  server: { type: meshlog, endpoint: "${endpoint}", batch: { max_records: 200 } }
`;
}

function writeLines(path: string, from: number, count: number): string[] {
  const ids: string[] = [];
  let chunk = "";
  for (let i = from; i < from + count; i++) {
    const id = `rec-${String(i).padStart(6, "0")}-${"p".repeat(150)}`;
    ids.push(id);
    chunk += id + "\n";
  }
  appendFileSync(path, chunk);
  return ids;
}

test("a full disk buffer pauses the tail while the server is down, and every line arrives exactly once after", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-full-"));
  const stub = new IngestStub();
  await stub.up();
  await stub.down();
  const agent = await Agent.start(parseConfigText(config(dir, stub.url, "block"), "agent.yaml", {}, REGISTRIES), { logger: silentLogger });
  try {
    const file = join(dir, "app.log");
    const ids = writeLines(file, 0, 4000);
    await waitFor("the buffer to fill", () => agent.metrics.get(M.bufferFull[0]) === 1 && agent.metrics.sum(M.bufferBlocked[0]) > 0, 30_000);
    const readSoFar = agent.metrics.sum(M.sourceRecords[0]);
    assert.ok(readSoFar < ids.length, `the tail paused (read ${readSoFar} of ${ids.length})`);
    assert.ok(agent.buffer.totalBytes <= 256 * 1024 + 64 * 1024, `buffer stays near its cap (${agent.buffer.totalBytes} bytes)`);
    await stub.up();
    await waitFor("all lines", () => ids.every((id) => stub.bodies.has(id)), 60_000);
    const { missing, duplicates } = stub.audit(ids);
    t.diagnostic(`written ${ids.length}, received ${stub.lines.length}, duplicates ${duplicates}, read before the pause ${readSoFar}`);
    assert.equal(missing.length, 0);
    assert.equal(duplicates, 0);
    assert.equal(agent.metrics.sum(M.bufferDropped[0]), 0);
  } finally {
    await agent.stop();
    await stub.down().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("a reload while the buffer is full and the server is down loses and duplicates nothing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-full-reload-"));
  const stub = new IngestStub();
  await stub.up();
  await stub.down();
  const text = config(dir, stub.url, "block");
  const agent = await Agent.start(parseConfigText(text, "agent.yaml", {}, REGISTRIES), { logger: silentLogger });
  try {
    const ids = writeLines(join(dir, "app.log"), 0, 4000);
    await waitFor("the buffer to fill", () => agent.metrics.get(M.bufferFull[0]) === 1, 30_000);
    await agent.reload(
      parseConfigText(text.replace("api: { enabled: false }", 'api: { enabled: false }\nlabels: { reloaded: "yes" }'), "agent.yaml", {}, REGISTRIES),
    );
    await stub.up();
    await waitFor("all lines", () => ids.every((id) => stub.bodies.has(id)), 60_000);
    const { missing, duplicates } = stub.audit(ids);
    t.diagnostic(`written ${ids.length}, received ${stub.lines.length}, duplicates ${duplicates}`);
    assert.equal(missing.length, 0);
    assert.equal(duplicates, 0);
    assert.ok(
      stub.lines.some((l) => (l.labels as Record<string, string>).reloaded === "yes"),
      "lines read after the reload carry the new label",
    );
  } finally {
    await agent.stop();
    await stub.down().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("drop_oldest drops whole segments only when full and counts every dropped record", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-drop-"));
  const stub = new IngestStub();
  await stub.up();
  await stub.down();
  const agent = await Agent.start(parseConfigText(config(dir, stub.url, "drop_oldest"), "agent.yaml", {}, REGISTRIES), { logger: silentLogger });
  try {
    const file = join(dir, "app.log");
    const ids = writeLines(file, 0, 4000);
    const dropped = (): number => agent.metrics.sum(M.bufferDropped[0]);
    await waitFor("the whole file to be read", () => agent.metrics.sum(M.sourceRecords[0]) === ids.length, 30_000);
    assert.ok(dropped() > 0, "something was dropped");
    await stub.up();
    await waitFor("the remaining lines", () => stub.lines.length + dropped() >= ids.length, 30_000);
    const { missing, duplicates } = stub.audit(ids);
    assert.equal(missing.length, dropped(), "every missing line is counted as dropped");
    assert.equal(duplicates, 0);
    assert.ok(
      missing.every((m) => m < (ids[ids.length - 1] as string)),
      "the oldest lines are the ones dropped",
    );
  } finally {
    await agent.stop();
    await stub.down().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("mTLS: the sink delivers with a CA-signed client certificate; no certificate or a foreign one is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-tls-"));
  const certs = makeTestCerts(dir);
  const stub = new IngestStub({ token: "tk", tls: { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey), ca: certs.read(certs.caCert) } });
  await stub.up();
  const ctx = { name: "server", logger: silentLogger, metrics: new (await import("../runtime/metrics.js")).Metrics() };
  const record = {
    timestamp: 1n,
    observedTimestamp: 1n,
    severityNumber: 9,
    severityText: "info",
    body: "hello over mtls",
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "",
    labels: { source: "agent" },
  };
  const make = (tls: Record<string, string>) =>
    meshlogSink.create(meshlogSink.configSchema.parse({ endpoint: stub.url, token: "tk", tls: { ca: certs.caCert, ...tls } }), ctx);
  try {
    const good = make({ cert: certs.clientCert, key: certs.clientKey });
    assert.deepEqual(await good.send([record]), { status: "delivered" });
    await good.close();
    for (const [what, tls] of [
      ["no client certificate", {}],
      ["a certificate from another CA", { cert: certs.rogueCert, key: certs.rogueKey }],
    ] as const) {
      const bad = make(tls);
      const r = await bad.send([record]);
      assert.equal(r.status, "retry", `${what}: refused, kept for retry`);
      await bad.close();
    }
    assert.equal(stub.lines.length, 1, "only the authenticated client got through");
    assert.ok((await stat(certs.caCert)).size > 0);
  } finally {
    await stub.down();
    await rm(dir, { recursive: true, force: true });
  }
});

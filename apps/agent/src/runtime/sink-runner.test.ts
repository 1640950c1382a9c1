// Tests for the sink runner: retries never drop, Retry-After is honored, rejections advance and are counted.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger, type LogRecord } from "@meshlog/core";
import { DiskBuffer } from "../buffer/disk-buffer.js";
import { CheckpointStore } from "../checkpoints/checkpoint-store.js";
import type { Sink, SinkResult } from "../contracts.js";
import { waitFor } from "../testing/spawn-agent.js";
import { M, Metrics } from "./metrics.js";
import { SinkRunner, backoffMs } from "./sink-runner.js";

const rec = (body: string): LogRecord => ({
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 0,
  severityText: "",
  body,
  attributes: {},
  resource: {},
  traceId: "",
  spanId: "",
  tenant: "",
  labels: {},
});

test("backoff doubles with jitter within [d/2, d], caps at the maximum, and Retry-After wins", () => {
  const p = { initialMs: 100, maxMs: 1000 };
  assert.equal(
    backoffMs(0, p, undefined, () => 0),
    50,
  );
  assert.equal(
    backoffMs(0, p, undefined, () => 1),
    100,
  );
  assert.equal(
    backoffMs(3, p, undefined, () => 1),
    800,
  );
  assert.equal(
    backoffMs(10, p, undefined, () => 1),
    1000,
  );
  assert.equal(
    backoffMs(50, p, undefined, () => 0.5),
    750,
  );
  assert.equal(backoffMs(0, p, 3000), 3000);
  assert.equal(backoffMs(0, p, 10 ** 9), 10_000, "an absurd Retry-After is bounded");
});

test("a batch is retried until delivered; a rejected batch is skipped, counted, and not resent", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-runner-"));
  const metrics = new Metrics();
  const buffer = await DiskBuffer.open({
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 1 << 16,
    whenFull: "block",
    sync: false,
    readers: ["s"],
    checkpoints: await CheckpointStore.load(dir),
    logger: silentLogger,
    metrics,
  });
  const answers: SinkResult[] = [
    { status: "retry", reason: "down" },
    { status: "retry", reason: "busy", afterMs: 30 },
    { status: "delivered" },
    { status: "rejected", reason: "400" },
    { status: "delivered", rejected: [{ index: 0, error: "bad" }] },
  ];
  const seen: string[][] = [];
  const sink: Sink = {
    async send(records) {
      seen.push(records.map((r) => r.body));
      return answers.shift() ?? { status: "delivered" };
    },
    async close() {},
  };
  const runner = new SinkRunner({ name: "s", sink, buffer, maxRecords: 2, logger: silentLogger, metrics, retry: { initialMs: 1, maxMs: 5 } });
  try {
    await buffer.write(["a", "b", "c", "d", "e"].map(rec));
    runner.start();
    await waitFor("all batches", () => buffer.caughtUp("s"));
    assert.deepEqual(seen, [["a", "b"], ["a", "b"], ["a", "b"], ["c", "d"], ["e"]]);
    assert.equal(metrics.get(M.sinkRetries[0], { sink: "s" }), 2);
    assert.equal(metrics.get(M.sinkDelivered[0], { sink: "s" }), 2);
    assert.equal(metrics.get(M.sinkRejected[0], { sink: "s" }), 3);
  } finally {
    await runner.stop();
    await buffer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("metrics render in the Prometheus text format with escaped labels", () => {
  const m = new Metrics();
  m.inc("x_total", "Things.", { sink: 'a"b\\c' }, 2);
  m.set("y", "Gauge.", {}, 1.5);
  assert.equal(m.render(), '# HELP x_total Things.\n# TYPE x_total counter\nx_total{sink="a\\"b\\\\c"} 2\n# HELP y Gauge.\n# TYPE y gauge\ny 1.5\n');
});

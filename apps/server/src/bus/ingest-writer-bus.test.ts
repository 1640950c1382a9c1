// The IngestWriter seam: with a bus routed in, writes publish processed batches instead of appending, and
// onStored observers hear of a batch only when the bus writer reports it committed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { httpStatusOf, MeshlogError, silentLogger, type LogRecord } from "@meshlog/core";
import { MemoryStore } from "@meshlog/storage";
import { MetricsRegistry } from "../features/metrics/metrics-registry.js";
import { IngestWriter } from "../ingest/ingest-writer.js";
import { isRejection, isRetryable } from "../ingest/socket/batch-writer.js";
import { BusErrors } from "./errors.js";
import { testRecord } from "@meshlog/testkit";

const rec = (body: string): LogRecord => testRecord({ tenant: "t", body, labels: { service: "s" } });

test("with a bus, write() publishes the processed records and does not touch the store", async () => {
  const store = new MemoryStore();
  const w = new IngestWriter(store, new MetricsRegistry(), silentLogger);
  w.use((rs) => rs.map((r) => ({ ...r, body: r.body.replace("secret", "[redacted]") })));
  const published: [string, string[]][] = [];
  const observed: string[] = [];
  w.onStored((_t, rs) => observed.push(...rs.map((r) => r.body)));
  w.routeTo({ publish: async (tenant, rs) => void published.push([tenant, rs.map((r) => r.body)]) });
  await w.write("native", "t", [rec("a secret"), rec("plain")]);
  assert.deepEqual(published, [["t", ["a [redacted]", "plain"]]], "processors run before publishing");
  assert.equal((await store.stats("t")).records, 0);
  assert.deepEqual(observed, [], "observers wait for the commit");
  w.committed("t", [rec("a [redacted]")]);
  assert.deepEqual(observed, ["a [redacted]"]);
});

test("a bus failure reaches the receiver, and unrouting restores direct writes", async () => {
  const store = new MemoryStore();
  const w = new IngestWriter(store, new MetricsRegistry(), silentLogger);
  w.routeTo({
    publish: async () => {
      throw new MeshlogError("BUS_UNAVAILABLE", "down");
    },
  });
  await assert.rejects(w.write("native", "t", [rec("x")]), (e: unknown) => e instanceof MeshlogError && e.code === "BUS_UNAVAILABLE");
  w.routeTo(undefined);
  await w.write("native", "t", [rec("y")]);
  assert.equal((await store.stats("t")).records, 1);
});

test("socket receivers treat an unavailable bus as retry (no ack) and an oversized record as a rejection", () => {
  assert.equal(isRetryable(new MeshlogError(BusErrors.BUS_UNAVAILABLE, "down")), true);
  assert.equal(isRejection(new MeshlogError(BusErrors.BUS_UNAVAILABLE, "down")), false);
  assert.equal(isRejection(new MeshlogError(BusErrors.BUS_RECORD_TOO_LARGE, "big")), true);
  assert.equal(httpStatusOf(new MeshlogError(BusErrors.BUS_UNAVAILABLE, "down")), 503);
});

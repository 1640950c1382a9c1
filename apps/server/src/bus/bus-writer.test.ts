// BusWriter: commit order, grouping per tenant, retries through store backpressure, duplicate and corrupt messages, stop.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshlogError, silentLogger, type LogRecord } from "@meshlog/core";
import { encodeBusBatch } from "./bus-batch-codec.js";
import { BusWriter, type BusMessage } from "./bus-writer.js";
import { testRecord } from "@meshlog/testkit";

const subjectOf = (t: string): string => `meshlog.ingest.${t}`;

const rec = (tenant: string, body: string): LogRecord => testRecord({ tenant, body, labels: { service: "s" } });

interface FakeMessage extends BusMessage {
  acked: number;
  worked: number;
  termed: string | undefined;
}

function msg(seq: number, tenant: string, bodies: string[], opts: { redelivered?: boolean; data?: Uint8Array; subject?: string } = {}): FakeMessage {
  const m: FakeMessage = {
    seq,
    redelivered: opts.redelivered ?? false,
    subject: opts.subject ?? subjectOf(tenant),
    data:
      opts.data ??
      encodeBusBatch(
        tenant,
        bodies.map((b) => rec(tenant, b)),
      ),
    acked: 0,
    worked: 0,
    termed: undefined,
    ack: async () => {
      m.acked++;
      return true;
    },
    working: () => void m.worked++,
    term: (reason: string) => void (m.termed = reason),
  };
  return m;
}

test("messages are committed in order, merged per tenant within a round, and acknowledged after commit", async () => {
  const commits: [string, string[]][] = [];
  let gate: (() => void) | undefined;
  const first = new Promise<void>((r) => (gate = r));
  let calls = 0;
  const w = new BusWriter({
    log: silentLogger,
    subjectOf,
    commit: async (tenant, records) => {
      if (calls++ === 0) await first;
      commits.push([tenant, records.map((r) => r.body)]);
    },
  });
  const m1 = msg(1, "a", ["a1"]);
  w.push(m1);
  const rest = [msg(2, "a", ["a2", "a3"]), msg(3, "b", ["b1"]), msg(4, "a", ["a4"])];
  for (const m of rest) w.push(m);
  assert.equal(m1.acked, 0, "nothing is acknowledged before its commit resolves");
  gate?.();
  await w.idle();
  assert.deepEqual(commits, [
    ["a", ["a1"]],
    ["a", ["a2", "a3", "a4"]],
    ["b", ["b1"]],
  ]);
  for (const m of [m1, ...rest]) assert.equal(m.acked, 1);
});

test("store backpressure is retried until it passes, keeping later messages behind it", async () => {
  const committed: string[] = [];
  let refusals = 3;
  const events: string[] = [];
  const w = new BusWriter({
    log: silentLogger,
    subjectOf,
    retryDelayMs: 1,
    onEvent: (e) => void events.push(e),
    commit: async (_t, records) => {
      if (refusals-- > 0) throw new MeshlogError("STORAGE_BACKPRESSURE", "busy");
      committed.push(...records.map((r) => r.body));
    },
  });
  const m1 = msg(1, "a", ["first"]);
  w.push(m1);
  const m2 = msg(2, "a", ["second"]);
  w.push(m2);
  await w.idle();
  assert.deepEqual(committed, ["first", "second"]);
  assert.ok(m1.worked >= 3, "the bus is told the message is still being worked on while retrying");
  assert.equal(events.filter((e) => e === "retry").length, 3);
  assert.equal(m2.acked, 1);
});

test("a redelivered message that was already committed is acknowledged without a second commit", async () => {
  const committed: string[] = [];
  const w = new BusWriter({ log: silentLogger, subjectOf, commit: async (_t, rs) => void committed.push(...rs.map((r) => r.body)) });
  w.push(msg(7, "a", ["once"]));
  await w.idle();
  const again = msg(7, "a", ["once"], { redelivered: true });
  w.push(again);
  const fresh = msg(8, "a", ["new"], { redelivered: true });
  w.push(fresh);
  await w.idle();
  assert.deepEqual(committed, ["once", "new"], "an unknown redelivery is committed (it may never have been)");
  assert.equal(again.acked, 1);
});

test("corrupt messages and messages on another tenant's subject are terminated, the rest committed", async () => {
  const committed: string[] = [];
  const w = new BusWriter({ log: silentLogger, subjectOf, commit: async (_t, rs) => void committed.push(...rs.map((r) => r.body)) });
  const bad = msg(1, "a", [], { data: Buffer.from("garbage") });
  const spoofed = msg(2, "a", ["sneaky"], { subject: subjectOf("b") });
  const good = msg(3, "a", ["fine"]);
  for (const m of [bad, spoofed, good]) w.push(m);
  await w.idle();
  assert.deepEqual(committed, ["fine"]);
  assert.match(bad.termed ?? "", /not a valid batch frame/);
  assert.match(spoofed.termed ?? "", /arrived on subject/);
  assert.equal(good.acked, 1);
});

test("a batch the store keeps refusing for a non-transient reason is terminated after maxAttempts", async () => {
  let attempts = 0;
  const w = new BusWriter({
    log: silentLogger,
    subjectOf,
    retryDelayMs: 1,
    maxAttempts: 4,
    commit: async () => {
      attempts++;
      throw new MeshlogError("STORAGE_RECORD_INVALID", "bad record");
    },
  });
  const m = msg(1, "a", ["x"]);
  w.push(m);
  await w.idle();
  assert.equal(attempts, 4);
  assert.match(m.termed ?? "", /bad record/);
  assert.equal(m.acked, 0);
});

test("stop() during a retry leaves the message unacknowledged for redelivery and ignores later pushes", async () => {
  let attempts = 0;
  const w = new BusWriter({
    log: silentLogger,
    subjectOf,
    retryDelayMs: 60_000,
    commit: async () => {
      attempts++;
      throw new MeshlogError("STORAGE_BACKPRESSURE", "busy");
    },
  });
  const m = msg(1, "a", ["x"]);
  w.push(m);
  while (attempts === 0) await new Promise((r) => setImmediate(r));
  await w.stop();
  w.push(msg(2, "a", ["y"]));
  await w.idle();
  assert.equal(m.acked, 0);
  assert.equal(m.termed, undefined);
  assert.ok(attempts <= 2);
});

test("room() waits while queued bytes exceed the bound", async () => {
  let release: (() => void) | undefined;
  const blocked = new Promise<void>((r) => (release = r));
  const w = new BusWriter({ log: silentLogger, subjectOf, commit: () => blocked });
  w.push(msg(1, "a", ["x".repeat(1000)]));
  let roomy = false;
  const waiting = w.room(10).then(() => (roomy = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(roomy, false);
  release?.();
  await waiting;
  assert.equal(w.queuedBytes, 0);
});

test("a redelivery queued behind its first delivery is committed once, and both deliveries are acknowledged", async () => {
  const committed: string[] = [];
  let release: (() => void) | undefined;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const w = new BusWriter({
    log: silentLogger,
    subjectOf,
    commit: async (_t, rs) => {
      if (calls++ === 0) await gate;
      committed.push(...rs.map((r) => r.body));
    },
  });
  w.push(msg(1, "a", ["blocker"]));
  const first = msg(2, "a", ["payload"]);
  const again = msg(2, "a", ["payload"], { redelivered: true });
  w.push(first);
  w.push(again);
  release?.();
  await w.idle();
  assert.deepEqual(committed, ["blocker", "payload"]);
  assert.equal(first.acked, 1);
  assert.equal(again.acked, 1);
});

// The ingest bus against a real 3-node NATS JetStream cluster (nats-server on loopback): R3 stream, ingest
// through the server into the embedded store, a node killed mid-ingest, 503 when every node is down.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "nats";
import { MeshlogError, silentLogger, type LogRecord } from "@meshlog/core";
import type { StoredEntry } from "@meshlog/storage";
import { startTestServer, type TestServer } from "../features/auth/test-server.js";
import { busConfigSchema, type BusConfig } from "./bus-config.js";
import { NatsJetStreamBus } from "./nats-jetstream-bus.js";
import { NatsTestCluster } from "./nats-test-cluster.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function busConfig(cluster: NatsTestCluster, extra: Partial<BusConfig> = {}): BusConfig {
  return busConfigSchema.parse({ kind: "nats", servers: cluster.urls, publishTimeoutMs: 4000, ackWaitSeconds: 5, ...extra });
}

async function streamLeader(cluster: NatsTestCluster, stream: string, token?: string): Promise<{ leader: string; replicas: number }> {
  const nc = await connect({ servers: cluster.urls, timeout: 5000, ...(token !== undefined ? { token } : {}) });
  try {
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    return { leader: info.cluster?.leader ?? "", replicas: info.config.num_replicas };
  } finally {
    await nc.close();
  }
}

/** One shipper: sends numbered lines of its own stream in batches, retrying a batch on 503 like real shippers. */
async function ship(
  s: TestServer,
  client: string,
  batches: number,
  perBatch: number,
  onAck: (batch: number, attempts: number) => void,
  counters: { status503: number; last503: string },
): Promise<void> {
  const base = 1_700_000_000_000_000_000n;
  for (let b = 0; b < batches; b++) {
    const lines: string[] = [];
    for (let i = 0; i < perBatch; i++) {
      const n = b * perBatch + i;
      lines.push(JSON.stringify({ timestamp: String(base + BigInt(n) * 1000n), body: `${client} line ${n}`, labels: { service: client } }));
    }
    for (let attempt = 1; ; attempt++) {
      assert.ok(attempt <= 200, `${client}: batch ${b} was never accepted`);
      let status = 0;
      try {
        const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw: lines.join("\n"), headers: { "content-type": "application/x-ndjson" } });
        status = r.status;
        if (status === 200) {
          const body = r.json() as { accepted: number };
          assert.equal(body.accepted, perBatch);
          onAck(b, attempt);
          break;
        }
        assert.ok(status === 503, `${client}: unexpected status ${status}: ${r.text}`);
        assert.ok(r.headers.get("retry-after") !== null, "a 503 carries Retry-After");
        counters.status503++;
        counters.last503 = r.text;
      } catch (err) {
        if (status !== 0) throw err;
        // Request timed out (the server waited on the bus): retried like a 503.
      }
      await sleep(100);
    }
  }
}

test(
  "ingest through a 3-node JetStream cluster: R3 stream, every acknowledged line stored once and in order, a node killed mid-ingest, 503 when all are down",
  { timeout: 240_000 },
  async (t) => {
    const cluster = await NatsTestCluster.start(3);
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ bus: busConfig(cluster), storage: { sealMaxBytes: 64 * 1024 } });
      const s = server;
      const { leader, replicas } = await streamLeader(cluster, "meshlog-ingest");
      assert.equal(replicas, 3, "with 3 servers listed the stream is created with 3 replicas");
      const arrived: StoredEntry[] = [];
      const off = s.server.ctx.store.tail("default", (es) => void arrived.push(...es));

      const clients = ["c1", "c2", "c3", "c4"];
      const batches = 30;
      const perBatch = 40;
      const acked = new Map<string, { batch: number; attempts: number; afterKill: boolean }[]>(clients.map((c) => [c, []]));
      const counters = { status503: 0, last503: "" };
      let killed = false;
      let ackedTotal = 0;
      const killAt = (clients.length * batches) / 3;
      const killer = (async () => {
        while (ackedTotal < killAt) await sleep(10);
        await cluster.kill(cluster.indexOf(leader));
        killed = true;
      })();
      await Promise.all(
        clients.map((c) =>
          ship(
            s,
            c,
            batches,
            perBatch,
            (batch, attempts) => {
              acked.get(c)?.push({ batch, attempts, afterKill: killed });
              ackedTotal++;
            },
            counters,
          ),
        ),
      );
      await killer;
      assert.ok(killed, "the stream leader was killed during ingest");
      const shippedAt = Date.now();
      const total = clients.length * batches * perBatch;
      const done = async (): Promise<boolean> => new Set(arrived.map((e) => e.record.body)).size >= total;
      for (let i = 0; i < 600 && !(await done()); i++) await sleep(100);
      off();
      t.diagnostic(`all lines committed ${Date.now() - shippedAt} ms after the shippers finished`);

      const late = (s.server.ctx.services.get("bus") as NatsJetStreamBus).events().get("redelivered") ?? 0;
      // Every acknowledged line is in the store; lines acknowledged at the first attempt exactly once.
      const count = new Map<string, number>();
      for (const e of arrived) count.set(e.record.body, (count.get(e.record.body) ?? 0) + 1);
      let duplicates = 0;
      for (const c of clients) {
        for (const a of acked.get(c) ?? []) {
          for (let i = 0; i < perBatch; i++) {
            const body = `${c} line ${a.batch * perBatch + i}`;
            const n = count.get(body) ?? 0;
            assert.ok(n >= 1, `acknowledged line "${body}" is missing from the store`);
            if (a.attempts === 1) assert.equal(n, 1, `"${body}" was acknowledged at the first attempt but stored ${n} times`);
            duplicates += n - 1;
          }
        }
        // Per stream, lines reach the store in the order they were sent (first arrival of each line).
        const firsts: number[] = [];
        const seen = new Set<string>();
        for (const e of arrived) {
          if (e.record.labels.service !== c || seen.has(e.record.body)) continue;
          seen.add(e.record.body);
          firsts.push(Number(e.record.body.slice(`${c} line `.length)));
        }
        assert.equal(firsts.length, batches * perBatch);
        let inversions = 0;
        for (let i = 1; i < firsts.length; i++) if ((firsts[i] as number) < (firsts[i - 1] as number)) inversions++;
        // A delivery lost in flight with the killed node comes back after ackWait, behind later batches: the one
        // case where arrival order may differ (docs/scale-out.md). Without such a late redelivery, order is exact.
        if (late === 0) assert.equal(inversions, 0, `${c}: lines reached the store out of order`);
        else t.diagnostic(`${c}: ${inversions} order inversions after ${late} late redeliveries`);
      }
      t.diagnostic(
        `stored ${arrived.length} entries for ${total} lines; 503 answers during failover: ${counters.status503}; duplicates from client retries: ${duplicates}; last 503: ${counters.last503}`,
      );

      // The data is readable through the query API too.
      const range = { query: '{service="c1"}', start: "1700000000000000000", end: "1700000001000000000", limit: "5000" };
      const q = await s.call("GET", `/loki/api/v1/query_range?${new URLSearchParams(range)}`, { token: s.adminToken });
      assert.equal(q.status, 200, q.text);
      const lines = (q.json() as { data: { result: { values: [string, string][] }[] } }).data.result.flatMap((r) => r.values.map((v) => v[1]));
      assert.equal(new Set(lines).size, batches * perBatch, "the query API returns every line of c1");

      // All nodes down: receivers answer 503 + Retry-After instead of acknowledging.
      for (let i = 0; i < 3; i++) await cluster.kill(i);
      for (let i = 0; i < 100 && s.server.ctx.services.get("bus") !== undefined && (s.server.ctx.services.get("bus") as NatsJetStreamBus).connected(); i++)
        await sleep(50);
      const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw: JSON.stringify({ body: "nowhere to go", labels: { service: "c1" } }) });
      assert.equal(r.status, 503, r.text);
      assert.match(r.text, /BUS_UNAVAILABLE/);
      assert.ok(r.headers.get("retry-after") !== null);
    } finally {
      await server?.close();
      await cluster.dispose();
    }
  },
);

test("batches published while no writer runs stay in the stream and are committed when a server starts", { timeout: 120_000 }, async () => {
  const cluster = await NatsTestCluster.start(3);
  let server: TestServer | undefined;
  try {
    const config = busConfig(cluster);
    const publisher = await NatsJetStreamBus.connect(config, { log: silentLogger });
    const recs: LogRecord[] = Array.from({ length: 300 }, (_, i) => ({
      timestamp: 1_700_000_000_000_000_000n + BigInt(i),
      observedTimestamp: 1_700_000_000_000_000_000n + BigInt(i),
      severityNumber: 9,
      severityText: "INFO",
      body: `queued ${i}`,
      attributes: {},
      resource: {},
      traceId: "",
      spanId: "",
      tenant: "acme",
      labels: { service: "queued", source: "native" },
    }));
    for (let i = 0; i < recs.length; i += 100) await publisher.publish("acme", recs.slice(i, i + 100));
    await publisher.close();

    server = await startTestServer({ bus: config });
    const store = server.server.ctx.store;
    let got = 0;
    for (let i = 0; i < 300 && got < recs.length; i++) {
      await sleep(50);
      got = (await store.stats("acme")).records;
    }
    assert.equal(got, recs.length, "every queued batch was committed once by the new writer");
    const streams = await store.streams("acme", 0n, 2n ** 62n);
    const entries: StoredEntry[] = [];
    for await (const b of store.select({ tenant: "acme", streamIds: streams.map((x) => x.id), start: 0n, end: 2n ** 62n, direction: "forward" }))
      entries.push(...b);
    assert.deepEqual(
      entries.map((e) => e.record.body),
      recs.map((r) => r.body),
    );
  } finally {
    await server?.close();
    await cluster.dispose();
  }
});

test("bus.token authenticates to a server that requires it; a wrong token fails start-up naming the setting", { timeout: 60_000 }, async () => {
  const cluster = await NatsTestCluster.start(1, { token: "s3cret-bus-token" });
  try {
    await assert.rejects(
      NatsJetStreamBus.connect(busConfig(cluster, { token: "wrong" }), { log: silentLogger }, 5000),
      (e: unknown) => e instanceof MeshlogError && e.code === "BUS_SETUP_FAILED" && /bus\.servers/.test(e.message),
    );
    const bus = await NatsJetStreamBus.connect(busConfig(cluster, { token: "s3cret-bus-token" }), { log: silentLogger });
    try {
      const { replicas } = await streamLeader(cluster, "meshlog-ingest", "s3cret-bus-token");
      assert.equal(replicas, 1, "a single server gets a single-replica stream");
      const got: string[] = [];
      await bus.start(async (_t, rs) => void got.push(...rs.map((r) => r.body)));
      await bus.publish("acme", [
        {
          timestamp: 1n,
          observedTimestamp: 1n,
          severityNumber: 9,
          severityText: "INFO",
          body: "authenticated",
          attributes: {},
          resource: {},
          traceId: "",
          spanId: "",
          tenant: "acme",
          labels: { service: "s" },
        },
      ]);
      for (let i = 0; i < 200 && got.length === 0; i++) await sleep(25);
      assert.deepEqual(got, ["authenticated"]);
    } finally {
      await bus.close();
    }
  } finally {
    await cluster.dispose();
  }
});

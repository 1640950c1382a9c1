// The Beats receiver in a real server on loopback: the reference vector's bytes and ACKs, Filebeat-shaped batches
// (a Kubernetes container log among them) read back field by field, ACKs only after storage, partial and keepalive
// ACKs, backpressure without loss, hostile input closing the connection with earlier data intact.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { hostPortOf, readAll, startTestServer, waitFor, waitForRecords, type TestServer } from "../socket/receiver-test-kit.js";
import { batchBytes, jsonFrame, LumberjackTestClient, REFERENCE_VECTOR, windowFrame, compressedFrame } from "./lumberjack-test-client.js";

const HOST = { name: "node-7", hostname: "node-7", architecture: "x86_64", os: { family: "debian", name: "Debian GNU/Linux" } };
const AGENT = { type: "filebeat", version: "8.17.0", name: "node-7", id: "b5c1c1c4-3f8e-4b8c-9d43-2d1a7f3f7a10", ephemeral_id: "e1" };

/** An event as Filebeat 8 sends it to output.logstash for a plain log file. */
function fileEvent(i: number): Record<string, unknown> {
  return {
    "@timestamp": `2024-05-01T10:00:00.${String(i % 1000).padStart(3, "0")}Z`,
    "@metadata": { beat: "filebeat", type: "_doc", version: "8.17.0" },
    message: `GET /orders/${i} 200 ${i % 97}ms`,
    log: { offset: i * 64, file: { path: "/var/log/app/access.log", inode: "123", device_id: "2049" } },
    input: { type: "filestream" },
    ecs: { version: "8.0.0" },
    host: HOST,
    agent: AGENT,
    fields: { team: "orders" },
  };
}

/** A Kubernetes container log as Filebeat's container input with add_kubernetes_metadata sends it. */
const K8S_EVENT = {
  "@timestamp": "2024-05-01T10:00:01.250Z",
  "@metadata": { beat: "filebeat", type: "_doc", version: "8.17.0" },
  message: "upstream connect error or disconnect/reset before headers",
  stream: "stderr",
  log: { level: "error", offset: 2048, file: { path: "/var/log/containers/checkout-7d9f_shop_envoy-0123.log" } },
  input: { type: "container" },
  container: { id: "0123abcd", runtime: "containerd", image: { name: "envoyproxy/envoy:v1.30" } },
  kubernetes: {
    namespace: "shop",
    pod: { name: "checkout-7d9f", uid: "5b8e-11", ip: "10.1.2.3" },
    container: { name: "envoy" },
    node: { name: "node-7" },
    labels: { app: "checkout" },
  },
  host: HOST,
  agent: AGENT,
  ecs: { version: "8.0.0" },
};

const portOf = (t: TestServer): number => hostPortOf(t.server.ctx.services.get("beats.address")).port;
const bodies = (rs: LogRecord[]): string[] => rs.map((r) => r.body);

/** Makes every ingest write wait for `gate()` to be opened (a slow store). */
function gateWrites(t: TestServer): { open(): void; writes: () => number } {
  const ingest = t.server.ctx.ingest;
  const original = ingest.write.bind(ingest);
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => (release = r));
  let writes = 0;
  ingest.write = async (receiver, tenant, records) => {
    writes++;
    await gate;
    return original(receiver, tenant, records);
  };
  return {
    open() {
      release();
      gate = Promise.resolve();
    },
    writes: () => writes,
  };
}

describe("beats receiver", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ beats: { listen: "127.0.0.1:0", tenant: "bt" } });
  });
  after(async () => t.stop());

  for (const name of ["uncompressed", "compressed"] as const) {
    it(`answers the ${name} reference batch with exactly the reference ACK, once the event is stored`, async () => {
      const before = (await readAll(t.server.ctx.store, "bt")).length;
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const s = connect(portOf(t), "127.0.0.1", () => s.write(Buffer.from(REFERENCE_VECTOR[name], "hex")));
        s.once("data", (d) => {
          s.destroy();
          resolve(d);
        });
        s.once("error", reject);
      });
      assert.equal(reply.toString("hex"), REFERENCE_VECTOR.ack1);
      const all = await readAll(t.server.ctx.store, "bt");
      assert.equal(all.length, before + 1, "stored by the time the ACK was sent");
      const r = all[all.length - 1]!;
      assert.equal(r.body, "hello");
      assert.equal(r.timestamp, 1_704_067_200_000_000_000n);
      assert.deepEqual(r.labels, { source: "beats", index: "filebeat-8.17.0" });
      assert.equal(r.tenant, "bt");
      assert.equal(r.attributes["@metadata.beat"], undefined, "@metadata is not stored");
    });
  }

  it("stores compressed windows of Filebeat events (a Kubernetes container log among them) once each, field by field", async () => {
    const c = await LumberjackTestClient.connect(portOf(t));
    const first = Array.from({ length: 2047 }, (_, i) => fileEvent(i));
    first.splice(1000, 0, K8S_EVENT);
    const acks1 = await c.sendBatch(first);
    assert.deepEqual(acks1.at(-1), { version: 2, seq: 2048 });
    const acks2 = await c.sendBatch(
      Array.from({ length: 300 }, (_, i) => fileEvent(5000 + i)),
      0,
    );
    assert.deepEqual(acks2.at(-1), { version: 2, seq: 300 });
    assert.ok(
      c.acks.every((a) => a.version === 2 && a.seq <= 2048),
      "every ACK is a v2 ACK within its window",
    );
    await c.end();
    const all = (await readAll(t.server.ctx.store, "bt")).filter((r) => r.labels.index === "filebeat-8.17.0" && r.body !== "hello");
    assert.equal(all.length, 2348);
    assert.equal(new Set(bodies(all)).size, 2348, "no event stored twice");
    const f = all.find((r) => r.body === "GET /orders/7 200 7ms")!;
    assert.equal(f.timestamp, 1_714_557_600_007_000_000n);
    assert.deepEqual(f.labels, { source: "beats", index: "filebeat-8.17.0" });
    assert.equal(f.resource["host.name"], "node-7");
    assert.equal(f.attributes["log.file.path"], "/var/log/app/access.log");
    assert.equal(f.attributes["log.offset"], "448");
    assert.equal(f.attributes["agent.type"], "filebeat");
    assert.equal(f.attributes["input.type"], "filestream");
    assert.equal(f.attributes["fields.team"], "orders");
    assert.equal(f.attributes["ecs.version"], "8.0.0");
    const k = all.find((r) => r.body === K8S_EVENT.message)!;
    assert.equal(k.timestamp, 1_714_557_601_250_000_000n);
    assert.deepEqual(k.labels, { source: "beats", index: "filebeat-8.17.0", namespace: "shop", level: "error" });
    assert.equal(k.severityNumber, 17);
    assert.equal(k.severityText, "error");
    assert.deepEqual(
      {
        ns: k.resource["k8s.namespace.name"],
        pod: k.resource["k8s.pod.name"],
        uid: k.resource["k8s.pod.uid"],
        container: k.resource["k8s.container.name"],
        node: k.resource["k8s.node.name"],
        id: k.resource["container.id"],
      },
      { ns: "shop", pod: "checkout-7d9f", uid: "5b8e-11", container: "envoy", node: "node-7", id: "0123abcd" },
    );
    assert.equal(k.attributes["kubernetes.labels.app"], "checkout");
    assert.equal(k.attributes.stream, "stderr");
    assert.equal(k.attributes["container.image.name"], "envoyproxy/envoy:v1.30");
  });

  it("acknowledges part of a window as soon as that part is stored, and never what a dying connection did not deliver", async () => {
    const c = await LumberjackTestClient.connect(portOf(t));
    const ev = (i: number): Record<string, unknown> => ({ message: `partial ${i}`, "@timestamp": "2024-05-01T11:00:00Z" });
    c.write(Buffer.concat([windowFrame(10), ...[1, 2, 3, 4].map((i) => jsonFrame(i, ev(i)))]));
    await c.waitFor(() => c.acks.some((a) => a.seq === 4));
    assert.ok(
      c.acks.every((a) => a.seq <= 4),
      JSON.stringify(c.acks),
    );
    c.write(Buffer.concat([5, 6].map((i) => jsonFrame(i, ev(i)))));
    await c.waitFor(() => c.acks.some((a) => a.seq === 6));
    // The sender dies with 4 events of the window undelivered.
    c.socket.destroy();
    await c.closed;
    await new Promise((r) => setTimeout(r, 50));
    const stored = (await readAll(t.server.ctx.store, "bt")).filter((r) => r.body.startsWith("partial "));
    assert.deepEqual(bodies(stored), ["partial 1", "partial 2", "partial 3", "partial 4", "partial 5", "partial 6"]);
    assert.ok(Math.max(...c.acks.map((a) => a.seq)) <= stored.length, "nothing acknowledged beyond what is stored");
  });

  it("acknowledges pipelined windows (a second sent before the first is acknowledged) in order", async () => {
    const c = await LumberjackTestClient.connect(portOf(t));
    const ev = (w: string, i: number): Record<string, unknown> => ({ message: `pipelined ${w}${i}` });
    c.write(
      Buffer.concat([
        batchBytes(Array.from({ length: 300 }, (_, i) => ev("a", i))),
        batchBytes(
          Array.from({ length: 5 }, (_, i) => ev("b", i)),
          0,
        ),
      ]),
    );
    await c.waitFor(() => c.acks.some((a) => a.seq === 300) && c.acks.at(-1)?.seq === 5);
    const finalOfFirst = c.acks.findIndex((a) => a.seq === 300);
    assert.ok(
      c.acks.slice(0, finalOfFirst).every((a) => a.seq < 300),
      JSON.stringify(c.acks),
    );
    assert.ok(
      c.acks.slice(finalOfFirst + 1).every((a) => a.seq <= 5),
      "after the first window's final ACK, only ACKs of the second",
    );
    await c.end();
    assert.equal((await readAll(t.server.ctx.store, "bt")).filter((r) => r.body.startsWith("pipelined ")).length, 305);
  });

  it("treats a window of 0 as an empty batch and keeps the connection", async () => {
    const c = await LumberjackTestClient.connect(portOf(t));
    c.write(windowFrame(0));
    const acks = await c.sendBatch([{ message: "after an empty window" }]);
    assert.deepEqual(acks, [{ version: 2, seq: 1 }]);
    assert.equal(c.isClosed, false);
    await c.end();
  });
});

describe("beats receiver with a slow store", () => {
  it("sends keepalive ACKs (the window's last ACK, 0 at first) while a window waits, and the real ACK only once stored", async () => {
    const t = await startTestServer({ beats: { listen: "127.0.0.1:0", tenant: "slow", keepaliveSeconds: 0.05 } });
    try {
      const gate = gateWrites(t);
      const c = await LumberjackTestClient.connect(portOf(t));
      c.write(batchBytes(Array.from({ length: 20 }, (_, i) => ({ message: `slow ${i}` }))));
      await c.waitFor(() => c.acks.length >= 3);
      assert.ok(
        c.acks.every((a) => a.version === 2 && a.seq === 0),
        `only keepalives while the store is blocked: ${JSON.stringify(c.acks)}`,
      );
      assert.equal((await readAll(t.server.ctx.store, "slow")).length, 0);
      gate.open();
      await c.waitFor(() => c.acks.some((a) => a.seq === 20));
      assert.equal((await readAll(t.server.ctx.store, "slow")).length, 20);
      await c.end();
    } finally {
      await t.stop();
    }
  });
});

describe("beats receiver under backpressure", () => {
  it("withholds the ACK while the store refuses, then stores every event once and acknowledges it", async () => {
    const t = await startTestServer({ beats: { listen: "127.0.0.1:0", tenant: "bp" } });
    try {
      let refusals = 4;
      let ackedDuringRefusal = false;
      let c: LumberjackTestClient | undefined;
      t.server.ctx.ingest.guard(() => {
        if (refusals > 0) {
          refusals--;
          if (c !== undefined && c.acks.some((a) => a.seq > 0)) ackedDuringRefusal = true;
          throw new MeshlogError("STORAGE_BACKPRESSURE", "test backpressure", { details: { retryAfterSeconds: 0.02 } });
        }
      });
      c = await LumberjackTestClient.connect(portOf(t));
      const acks = await c.sendBatch(Array.from({ length: 2048 }, (_, i) => fileEvent(i)));
      assert.equal(refusals, 0, "the store pushed back four times");
      assert.equal(ackedDuringRefusal, false);
      assert.deepEqual(acks.at(-1), { version: 2, seq: 2048 });
      const all = await readAll(t.server.ctx.store, "bp");
      assert.equal(all.length, 2048);
      assert.equal(new Set(bodies(all)).size, 2048);
      await c.end();
    } finally {
      await t.stop();
    }
  });
});

describe("beats receiver with hostile input", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ beats: { listen: "127.0.0.1:0", tenant: "hx", maxWindowSize: 10_000 }, ingest: { maxBodyBytes: 65536 } });
  });
  after(async () => t.stop());

  const u32 = (n: number): Buffer => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const cases: { name: string; bytes: Buffer; code: string; end?: boolean }[] = [
    { name: "an oversized JSON frame", bytes: Buffer.concat([windowFrame(1), Buffer.from("2J"), u32(1), u32(1 << 30)]), code: "BEATS_FRAME_TOO_LARGE" },
    { name: "a zlib bomb", bytes: Buffer.concat([windowFrame(1), compressedFrame(Buffer.alloc(4 << 20, 0x41), 9)]), code: "BEATS_FRAME_TOO_LARGE" },
    { name: "a truncated frame", bytes: Buffer.concat([windowFrame(2), jsonFrame(1, { message: "cut" }).subarray(0, 12)]), code: "truncated", end: true },
    { name: "an unknown frame type", bytes: Buffer.from("325800000000", "hex"), code: "BEATS_FRAME_INVALID" },
    { name: "a huge window", bytes: windowFrame(0x7fffffff), code: "BEATS_WINDOW_INVALID" },
    { name: "invalid JSON", bytes: Buffer.concat([windowFrame(1), jsonFrame(1, '{"message": "x",')]), code: "BEATS_EVENT_INVALID" },
    { name: "non-object JSON", bytes: Buffer.concat([windowFrame(1), jsonFrame(1, "[1,2,3]")]), code: "BEATS_EVENT_INVALID" },
    { name: "a data frame before any window", bytes: jsonFrame(1, { message: "no window" }), code: "BEATS_FRAME_INVALID" },
  ];
  for (const c of cases) {
    it(`closes the connection on ${c.name}, logs why, and keeps the acknowledged batch before it`, async () => {
      const marker = `kept before ${c.name}`;
      const client = await LumberjackTestClient.connect(portOf(t));
      await client.sendBatch([{ message: marker }]);
      if (c.end === true) client.socket.end(c.bytes);
      else client.write(c.bytes);
      await client.closed;
      if (c.code === "truncated") assert.ok(await waitFor(() => /reason="truncated",receiver="beats"/.test(t.server.ctx.metrics.render())));
      else assert.ok(await waitFor(() => t.logs.some((l) => l.includes("beats connection refused") && l.includes(c.code))), `a log line names ${c.code}`);
      const all = await readAll(t.server.ctx.store, "hx");
      assert.equal(all.filter((r) => r.body === marker).length, 1);
      assert.ok(!all.some((r) => ["x", "cut", "no window"].includes(r.body)));
      // The server keeps serving new connections.
      const again = await LumberjackTestClient.connect(portOf(t));
      assert.deepEqual(await again.sendBatch([{ message: "next" }]), [{ version: 2, seq: 1 }]);
      await again.end();
    });
  }

  it("skips an event it cannot store (a bad @timestamp) but stores and acknowledges the rest of its window", async () => {
    const client = await LumberjackTestClient.connect(portOf(t));
    const acks = await client.sendBatch([{ message: "ok a" }, { message: "bad time", "@timestamp": "yesterday" }, { message: "ok b" }]);
    assert.deepEqual(acks.at(-1), { version: 2, seq: 3 });
    const all = await waitForRecords(t.server.ctx.store, "hx", 1);
    assert.ok(all.some((r) => r.body === "ok a") && all.some((r) => r.body === "ok b"));
    assert.ok(!all.some((r) => r.body === "bad time"));
    assert.match(t.server.ctx.metrics.render(), /reason="invalid_event",receiver="beats"/);
    await client.end();
  });
});

describe("beats receiver configuration", () => {
  it("refuses an invalid tenant and a busy address, naming the setting", async () => {
    await assert.rejects(startTestServer({ beats: { listen: "127.0.0.1:0", tenant: "not a tenant!" } }), /beats\.tenant/);
    const t = await startTestServer({ beats: { listen: "127.0.0.1:0" } });
    try {
      await assert.rejects(startTestServer({ beats: { listen: t.server.ctx.services.get("beats.address") } }), /beats\.listen: cannot listen .*EADDRINUSE/);
    } finally {
      await t.stop();
    }
  });
});

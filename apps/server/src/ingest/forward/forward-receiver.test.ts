// The forward receiver driven by real clients (fluent-logger, @fluent-org/logger): all modes, acks, shared-key
// and token handshakes, TLS, refusals and backpressure; records are read back from the store field by field.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { encode } from "@msgpack/msgpack";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fluentLogger from "fluent-logger";
import { FluentClient, EventTime as OrgEventTime } from "@fluent-org/logger";
import { MeshlogError } from "@meshlog/core";
import { EventTime, forwardExtensionCodec } from "./event-time.js";
import { hostPortOf, makeTestCertificates, readAll, startTestServer, waitFor, waitForRecords, type TestServer } from "../socket/receiver-test-kit.js";

/** fluent-logger option missing from its typings: never schedule reconnects (they would outlive the test). */
const noReconnect: object = { enableReconnect: false };

type Sender = InstanceType<typeof fluentLogger.FluentSender<Record<string, unknown>>>;

function emitAcked(sender: Sender, label: string, data: Record<string, unknown>, ts?: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error): void => (err ? reject(err) : resolve());
    if (ts === undefined) sender.emit(label, data, cb);
    else (sender.emit as (l: string, d: unknown, t: unknown, c: (e?: Error) => void) => void)(label, data, ts, cb);
  });
}

function endSender(sender: Sender): Promise<void> {
  return new Promise((resolve) => {
    (sender as unknown as { _disconnect(): void })._disconnect();
    resolve();
  });
}

describe("forward receiver with a shared key", () => {
  let t: TestServer;
  let port = 0;
  before(async () => {
    t = await startTestServer({ forward: "127.0.0.1:0", forwardSharedKey: "s3cret", forwardTenant: "fwd" });
    port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
  });
  after(async () => t.stop());

  const modes = ["Message", "PackedForward", "CompressedPackedForward"] as const;
  for (const eventMode of modes) {
    it(`stores fluent-logger ${eventMode} events and acks them only once stored`, async () => {
      const sender = fluentLogger.createFluentSender<Record<string, unknown>>("app", {
        host: "127.0.0.1",
        port,
        eventMode,
        requireAckResponse: true,
        ackResponseTimeout: 5000,
        flushInterval: 10,
        reconnectInterval: 600000,
        ...noReconnect,
        security: { clientHostname: "client.test", sharedKey: "s3cret" },
      });
      const label = `m${eventMode.length}`;
      const ts = new (fluentLogger.EventTime as unknown as new (s: number, ns: number) => unknown)(1700000000, 123456789);
      await emitAcked(sender, label, { log: `hello ${eventMode}`, level: "warn", user: "ada", n: 42, nested: { a: [1, 2] } }, ts);
      const stored = (await readAll(t.server.ctx.store, "fwd")).filter((r) => r.body === `hello ${eventMode}`);
      assert.equal(stored.length, 1, "the record is durable by the time the ack arrived");
      const r = stored[0]!;
      assert.equal(r.timestamp, 1_700_000_000_123_456_789n);
      assert.equal(r.severityText, "warn");
      assert.equal(r.severityNumber, 13);
      assert.deepEqual(r.labels, { source: "forward", service: "app" });
      assert.equal(r.attributes["fluent.tag"], `app.${label}`);
      assert.equal(r.attributes.user, "ada");
      assert.equal(r.attributes.n, "42");
      assert.equal(r.attributes.nested, '{"a":[1,2]}');
      assert.equal(r.tenant, "fwd");
      await endSender(sender);
    });
  }

  it("refuses a client with the wrong shared key and stores nothing from it", async () => {
    const sender = fluentLogger.createFluentSender<Record<string, unknown>>("bad", {
      host: "127.0.0.1",
      port,
      requireAckResponse: true,
      ackResponseTimeout: 2000,
      reconnectInterval: 600000,
      ...noReconnect,
      security: { clientHostname: "client.test", sharedKey: "wrong" },
    });
    const errors: Error[] = [];
    (sender as unknown as { on(ev: string, fn: (e: Error) => void): void }).on("error", (e: Error) => errors.push(e));
    sender.emit("x", { log: "must not be stored" });
    assert.ok(await waitFor(() => errors.some((e) => /Authentication failed: shared key mismatch/.test(e.message))), "the client saw the PONG refusal");
    const all = await readAll(t.server.ctx.store, "fwd");
    assert.ok(!all.some((r) => r.body === "must not be stored"));
    assert.match(t.server.ctx.metrics.render(), /meshlog_receiver_rejected_total\{reason="auth_failed",receiver="forward"\} [1-9]/);
    await t.server.ctx.audit.flush();
    const audit = await readAll(t.server.ctx.store, "_audit");
    assert.ok(
      audit.some((r) => r.body.includes("auth.failed") && r.attributes["detail.reason"] === "shared key mismatch"),
      "the refused handshake is in the audit trail",
    );
    await endSender(sender);
  });

  it("refuses a client that skips the handshake", async () => {
    const sender = fluentLogger.createFluentSender<Record<string, unknown>>("nohs", { host: "127.0.0.1", port, reconnectInterval: 600000, ...noReconnect });
    sender.emit("x", { log: "no handshake" });
    assert.ok(await waitFor(() => /reason="auth_required",receiver="forward"\} [1-9]/.test(t.server.ctx.metrics.render())));
    assert.ok(!(await readAll(t.server.ctx.store, "fwd")).some((r) => r.body === "no handshake"));
    await endSender(sender);
  });
});

describe("forward receiver with token logins (no shared key)", () => {
  let t: TestServer;
  let port = 0;
  before(async () => {
    t = await startTestServer({ forward: "127.0.0.1:0" });
    port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
  });
  after(async () => t.stop());

  it("stores @fluent-org/logger Forward-mode events of a token login in the token's tenant, with acks", async () => {
    const client = new FluentClient("svc", {
      eventMode: "Forward",
      socket: { host: "127.0.0.1", port, disableReconnect: true },
      security: { clientHostname: "client.test", sharedKey: "t", username: "t", password: "" },
      ack: { ackTimeout: 5000 },
    });
    await client.connect().catch(() => {});
    await client.emit("api", {
      message: "one",
      trace_id: "0AF7651916CD43DD8448EB211C80319C",
      kubernetes: { namespace_name: "payments", pod_name: "api-7d9", container_name: "api", labels: { app: "checkout" } },
    });
    await client.emit("api", { msg: "two" }, new OrgEventTime(1700000001, 5));
    await client.disconnect();
    const all = await readAll(t.server.ctx.store, "default");
    const one = all.find((r) => r.body === "one");
    const two = all.find((r) => r.body === "two");
    assert.ok(one && two);
    assert.deepEqual(one.labels, { source: "forward", service: "checkout", namespace: "payments" });
    assert.equal(one.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.equal(one.resource["k8s.pod.name"], "api-7d9");
    assert.equal(one.resource["k8s.container.name"], "api");
    assert.equal(one.resource["k8s.pod.label.app"], "checkout");
    assert.equal(two.timestamp, 1_700_000_001_000_000_005n);
    assert.equal(two.labels.service, "svc");
  });

  it("refuses an unknown token", async () => {
    const client = new FluentClient("svc", {
      eventMode: "Forward",
      socket: { host: "127.0.0.1", port, disableReconnect: true },
      security: { clientHostname: "client.test", sharedKey: "nope", username: "nope", password: "" },
      ack: { ackTimeout: 2000 },
    });
    await client.connect().catch(() => {});
    const outcome = client.emit("api", { message: "denied" }).then(
      () => "acked",
      () => "failed",
    );
    assert.ok(await waitFor(() => /reason="auth_failed",receiver="forward"\} 1/.test(t.server.ctx.metrics.render())));
    await client.disconnect().catch(() => {});
    assert.notEqual(await Promise.race([outcome, Promise.resolve("pending")]), "acked");
    assert.ok(!(await readAll(t.server.ctx.store, "default")).some((r) => r.body === "denied"));
  });

  it("refuses anonymous connections by default", async () => {
    const client = new FluentClient("anon", { eventMode: "Forward", socket: { host: "127.0.0.1", port, disableReconnect: true }, ack: { ackTimeout: 2000 } });
    await client.connect().catch(() => {});
    const outcome = client.emit("x", { message: "anonymous" }).then(
      () => "acked",
      () => "failed",
    );
    assert.ok(await waitFor(() => /reason="auth_required",receiver="forward"\} 1/.test(t.server.ctx.metrics.render())));
    await client.disconnect().catch(() => {});
    assert.notEqual(await Promise.race([outcome, Promise.resolve("pending")]), "acked");
    assert.ok(!(await readAll(t.server.ctx.store, "default")).some((r) => r.body === "anonymous"));
  });
});

describe("forward receiver in anonymous mode", () => {
  it("accepts handshake-less clients when forwardAllowAnonymous is set", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true, forwardTenant: "loop" });
    try {
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const client = new FluentClient("anon", {
        eventMode: "PackedForward",
        socket: { host: "127.0.0.1", port, disableReconnect: true },
        ack: { ackTimeout: 5000 },
      });
      await client.connect().catch(() => {});
      await client.emit("x", { message: "anonymous ok" });
      await client.disconnect();
      const all = await readAll(t.server.ctx.store, "loop");
      assert.deepEqual(
        all.map((r) => r.body),
        ["anonymous ok"],
      );
    } finally {
      await t.stop();
    }
  });
});

describe("forward receiver over TLS", () => {
  it("accepts fluent-logger over TLS with a shared key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meshlog-fwd-tls-"));
    const certs = makeTestCertificates(dir);
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardTls: true, forwardSharedKey: "k", tls: { cert: certs.cert, key: certs.key } });
    try {
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const sender = fluentLogger.createFluentSender<Record<string, unknown>>("tls", {
        host: "127.0.0.1",
        port,
        tls: true,
        tlsOptions: { ca: readFileSync(certs.ca) },
        requireAckResponse: true,
        ackResponseTimeout: 5000,
        reconnectInterval: 600000,
        ...noReconnect,
        security: { clientHostname: "client.test", sharedKey: "k" },
      });
      await emitAcked(sender, "x", { log: "over tls" });
      await endSender(sender);
      const all = await readAll(t.server.ctx.store, "default");
      assert.deepEqual(
        all.map((r) => r.body),
        ["over tls"],
      );
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("forward receiver under backpressure", () => {
  it("withholds the ack while the store pushes back, then stores and acks without loss", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true });
    try {
      let refusals = 3;
      t.server.ctx.ingest.guard(() => {
        if (refusals > 0) {
          refusals--;
          throw new MeshlogError("STORAGE_BACKPRESSURE", "test backpressure", { details: { retryAfterSeconds: 0.02 } });
        }
      });
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const client = new FluentClient("bp", { eventMode: "Forward", socket: { host: "127.0.0.1", port, disableReconnect: true }, ack: { ackTimeout: 10000 } });
      await client.connect().catch(() => {});
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.emit("x", { message: `bp ${i}` })));
      assert.equal(refusals, 0, "the store pushed back three times");
      const all = await readAll(t.server.ctx.store, "default");
      assert.equal(all.length, 50);
      assert.deepEqual(new Set(all.map((r) => r.body)).size, 50);
      await client.disconnect();
    } finally {
      await t.stop();
    }
  });
});

describe("forward receiver with raw sockets", () => {
  it("answers a Message-mode chunk from the captured vector with the same chunk id", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true });
    try {
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const hex =
        "94aa6170702e616363657373d7006553f100075bcd1581a36d7367aa6869204d65737361676581a56368756e6bb835346443617352353934615a6b7274356754577a6f673d3d";
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => s.write(Buffer.from(hex, "hex")));
        s.once("data", (d) => {
          s.destroy();
          resolve(d);
        });
        s.once("error", reject);
      });
      // {"ack": "54dCasR594aZkrt5gTWzog=="}
      assert.equal(reply.toString("hex"), "81a361636bb835346443617352353934615a6b7274356754577a6f673d3d");
      const recs = await waitForRecords(t.server.ctx.store, "default", 1);
      assert.equal(recs[0]?.body, "hi Message");
      assert.equal(recs[0]?.timestamp, 1_700_000_000_123_456_789n);
    } finally {
      await t.stop();
    }
  });
});

describe("forward receiver with Fluent Bit's wire format", () => {
  it("stores a gzip PackedForward chunk of v2 entries with metadata, and acks then skips a traces chunk", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true });
    try {
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const enc = (v: unknown): Uint8Array => encode(v, { extensionCodec: forwardExtensionCodec });
      // Fluent Bit out_forward with Compress gzip, Require_ack_response and Retain_Metadata_In_Forward_Mode
      const entries = Buffer.concat([
        enc([
          [new EventTime(1_700_000_000, 1), { "otlp.trace_flags": 1 }],
          { log: "fb one", kubernetes: { namespace_name: "mesh", pod_name: "p-1", container_name: "envoy" } },
        ]),
        enc([[new EventTime(1_700_000_000, 2), {}], { log: "fb two", level: "error" }]),
      ]);
      const gz = gzipSync(entries);
      const logs = enc(["kube.mesh", gz, { chunk: "fb-logs", size: 2, compressed: "gzip", fluent_signal: 0, metadata: true }]);
      const traces = enc(["otel.traces", Buffer.from([0x81, 0xa1, 0x61, 0x01]), { chunk: "fb-traces", size: 4, fluent_signal: 2 }]);
      const replies = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = connect(port, "127.0.0.1", () => s.write(Buffer.concat([logs, traces])));
        s.on("data", (d) => {
          chunks.push(d);
          const all = Buffer.concat(chunks);
          if (all.includes("fb-traces")) {
            s.end();
            resolve(all);
          }
        });
        s.on("error", reject);
      });
      assert.ok(replies.indexOf("fb-logs") >= 0 && replies.indexOf("fb-logs") < replies.indexOf("fb-traces"), "acks arrive in order");
      const all = await readAll(t.server.ctx.store, "default");
      assert.deepEqual(all.map((r) => r.body).sort(), ["fb one", "fb two"]);
      const one = all.find((r) => r.body === "fb one");
      assert.equal(one?.timestamp, 1_700_000_000_000_000_001n);
      assert.deepEqual(one?.labels, { source: "forward", service: "envoy", namespace: "mesh" });
      assert.equal(one?.attributes["fluent.metadata.otlp.trace_flags"], "1");
      assert.equal(all.find((r) => r.body === "fb two")?.severityNumber, 17);
      assert.match(t.server.ctx.metrics.render(), /reason="unsupported_signal",receiver="forward"/);
    } finally {
      await t.stop();
    }
  });
});

describe("forward receiver with hostile input", () => {
  const exchange = (port: number, data: Buffer): Promise<{ replies: Buffer; closed: boolean }> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(port, "127.0.0.1", () => s.write(data));
      s.on("data", (d) => chunks.push(d));
      s.on("close", () => resolve({ replies: Buffer.concat(chunks), closed: true }));
      s.on("error", reject);
    });

  const cases: { name: string; tail: Buffer }[] = [
    { name: "the reserved msgpack byte", tail: Buffer.from([0xc1]) },
    { name: "a map instead of an event", tail: Buffer.from("81a161a162", "hex") },
    { name: "an object larger than ingest.maxBodyBytes", tail: Buffer.from([0xc6, 0x00, 0x10, 0x00, 0x00]) },
    { name: "a size option that matches nothing", tail: Buffer.from("93a17491920180" + "81a473697a6509", "hex") },
  ];
  it("discards an object cut short by the client closing, acks what came before, and counts it", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true });
    try {
      const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
      const good = Buffer.from("93a17491920181a36c6f67a4676f6f6481a56368756e6ba26331", "hex");
      const { replies } = await new Promise<{ replies: Buffer }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = connect(port, "127.0.0.1", () => s.end(Buffer.concat([good, good.subarray(0, 10)])));
        s.on("data", (d) => chunks.push(d));
        s.on("close", () => resolve({ replies: Buffer.concat(chunks) }));
        s.on("error", reject);
      });
      assert.equal(replies.toString("hex"), "81a361636ba26331");
      assert.ok(await waitFor(() => /reason="truncated",receiver="forward"\} 1/.test(t.server.ctx.metrics.render())));
      assert.equal((await readAll(t.server.ctx.store, "default")).length, 1);
    } finally {
      await t.stop();
    }
  });

  for (const c of cases) {
    it(`acks earlier chunks, then closes the connection on ${c.name}; the server stays up`, async () => {
      const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true, ingest: { maxBodyBytes: 65536 } });
      try {
        const port = hostPortOf(t.server.ctx.services.get("forward.address")).port;
        // ["t", [[1, {"log": "good"}]], {"chunk": "c1"}]
        const good = Buffer.from("93a17491920181a36c6f67a4676f6f6481a56368756e6ba26331", "hex");
        const { replies, closed } = await exchange(port, Buffer.concat([good, c.tail]));
        assert.ok(closed);
        assert.equal(replies.toString("hex"), "81a361636ba26331", "the ack for chunk c1");
        const recs = await waitForRecords(t.server.ctx.store, "default", 1);
        assert.deepEqual(
          recs.map((r) => r.body),
          ["good"],
        );
        // ["t", [[2, {"log": "again"}]], {"chunk": "c2"}] then garbage: a new connection works the same way
        const second = Buffer.from("93a17491920281a36c6f67a5616761696e81a56368756e6ba26332", "hex");
        const again = await exchange(port, Buffer.concat([second, Buffer.from([0xc1])]));
        assert.equal(again.replies.toString("hex"), "81a361636ba26332");
      } finally {
        await t.stop();
      }
    });
  }
});

describe("forward listen address", () => {
  it("an address already in use fails the start, naming the setting and how to change it", async () => {
    const t = await startTestServer({ forward: "127.0.0.1:0", forwardAllowAnonymous: true });
    try {
      const taken = String(t.server.ctx.services.get("forward.address"));
      await assert.rejects(startTestServer({ forward: taken, forwardAllowAnonymous: true }), (err: unknown) => {
        assert.ok(err instanceof MeshlogError);
        assert.match(err.message, /^forward: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); choose another address with --forward/);
        return true;
      });
    } finally {
      await t.stop();
    }
  });
});

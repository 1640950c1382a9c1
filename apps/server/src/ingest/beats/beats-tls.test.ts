// The Beats receiver over TLS: mutual TLS with the test CA, a client certificate mapped to a principal (its tenant)
// or to one without the ingest role (refused and audited), and a real v1 sender (npm lumberjack-protocol).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lumberjack from "lumberjack-protocol";
import { securityOf } from "../../features/auth/security-module.js";
import { hostPortOf, makeTestCertificates, readAll, startTestServer, waitFor, waitForRecords, type TestServer } from "../socket/receiver-test-kit.js";
import { LumberjackTestClient } from "./lumberjack-test-client.js";

describe("beats receiver over mutual TLS", () => {
  let dir = "";
  let certs: ReturnType<typeof makeTestCertificates>;
  let t: TestServer;
  let port = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-beats-tls-"));
    certs = makeTestCertificates(dir);
    t = await startTestServer({
      beats: { listen: "127.0.0.1:0", tls: true, tenant: "bt" },
      tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true },
    });
    port = hostPortOf(t.server.ctx.services.get("beats.address")).port;
  });
  after(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a batch from a client with a certificate signed by tls.ca and refuses a client without one", async () => {
    const c = await LumberjackTestClient.connect(port, {
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    assert.deepEqual((await c.sendBatch([{ message: "over mtls", "@timestamp": "2024-05-01T00:00:00Z" }])).at(-1), { version: 2, seq: 1 });
    await c.end();
    const all = await readAll(t.server.ctx.store, "bt");
    assert.deepEqual(
      all.map((r) => r.body),
      ["over mtls"],
    );
    const refused = await LumberjackTestClient.connect(port, { ca: readFileSync(certs.ca) }).then(
      async (c2) => {
        c2.write(Buffer.from("325700000001", "hex"));
        await c2.closed;
        return c2.acks.length === 0;
      },
      () => true,
    );
    assert.ok(refused, "a client without a certificate gets no ACK");
    assert.ok(await waitFor(() => /reason="tls_handshake",receiver="beats"/.test(t.server.ctx.metrics.render())));
  });

  it("sends a v1 sender's events (npm lumberjack-protocol: one window, then data frames) and acknowledges them", async () => {
    const client = lumberjack.client(
      { host: "127.0.0.1", port, ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
      { windowSize: 10, reconnect: 600_000 },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("disconnect", (err?: Error) => reject(err ?? new Error("disconnected")));
      });
      for (let i = 0; i < 25; i++) client.writeDataFrame({ line: `v1 line ${i}`, file: "/var/log/legacy.log", offset: String(i * 10), host: "old-box" });
      const all = await waitForRecords(t.server.ctx.store, "bt", 26);
      const v1 = all.filter((r) => r.body.startsWith("v1 line "));
      assert.equal(v1.length, 25);
      const r = v1.find((x) => x.body === "v1 line 3")!;
      assert.deepEqual(r.labels, { source: "beats" });
      assert.equal(r.resource["host.name"], "old-box");
      assert.equal(r.attributes.file, "/var/log/legacy.log");
      assert.equal(r.attributes.offset, "30");
      const socket = (client as unknown as { _socket: { lastAck: number } | null })._socket;
      assert.ok(socket !== null && (await waitFor(() => socket.lastAck === 25)), "the sender saw an ACK of its last sequence number (v1 ACK frames)");
    } finally {
      client.close();
    }
  });
});

describe("beats receiver with client certificates mapped to principals", () => {
  it("writes as the mapped principal's tenant, and refuses a certificate whose principal lacks the ingest role", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meshlog-beats-principal-"));
    const certs = makeTestCertificates(dir);
    const t = await startTestServer({
      beats: { listen: "127.0.0.1:0", tls: true, tenant: "fallback" },
      tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true },
      security: { clientCertPrincipals: { "test-client": "edge-shipper" } },
    });
    try {
      const principals = securityOf(t.server.ctx)!.principals;
      principals.create({ id: "edge-shipper", kind: "service", tenant: "edge", roles: ["ingest"] }, "test");
      const port = hostPortOf(t.server.ctx.services.get("beats.address")).port;
      const tls = { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
      const c = await LumberjackTestClient.connect(port, tls);
      await c.sendBatch([{ message: "from the edge" }]);
      await c.end();
      assert.deepEqual(
        (await readAll(t.server.ctx.store, "edge")).map((r) => r.body),
        ["from the edge"],
      );
      assert.equal((await readAll(t.server.ctx.store, "fallback")).length, 0);

      principals.update("edge-shipper", { roles: ["analyst"] }, "test");
      const c2 = await LumberjackTestClient.connect(port, tls);
      c2.write(Buffer.from("325700000001", "hex"));
      await c2.closed;
      assert.equal(c2.acks.length, 0);
      assert.ok(await waitFor(() => t.logs.some((l) => l.includes("BEATS_AUTH_FAILED") && l.includes("lacks the ingest role"))));
      await t.server.ctx.audit.flush();
      const audit = await readAll(t.server.ctx.store, "_audit");
      assert.ok(audit.some((r) => r.body.includes("auth.failed") && r.attributes["detail.receiver"] === "beats"));
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

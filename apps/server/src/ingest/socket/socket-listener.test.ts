// listenSocket: plaintext and TLS listeners, the bound address, a taken address (fatal or skipped), closing.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshlogError, type Logger } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { startReceiverHarness, type ReceiverHarness } from "../testing/receiver-harness.js";
import { ReceiverMetrics } from "./receiver-metrics.js";
import { makeTestCertificates, waitFor } from "./receiver-test-kit.js";
import { isLoopbackHost, listenSocket, listenSocketUnlessInUse, type SocketListenerOptions } from "./socket-listener.js";
import { receiverTlsOptions } from "./tls-options.js";

const occupy = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0 }, () => resolve(srv));
  });
const portOf = (srv: Server): number => (srv.address() as AddressInfo).port;
const closeServer = (srv: Server): Promise<void> => new Promise((r) => srv.close(() => r()));

describe("socket listener", () => {
  let h: ReceiverHarness;
  let dir: string;
  let ctx: ServerContext;
  const logged: [level: string, msg: string, fields: Record<string, unknown> | undefined][] = [];
  const log: Logger = {
    debug: (m, f) => void logged.push(["debug", m, f]),
    info: (m, f) => void logged.push(["info", m, f]),
    warn: (m, f) => void logged.push(["warn", m, f]),
    error: (m, f) => void logged.push(["error", m, f]),
  };
  const sockets: Socket[] = [];
  const options = (address: string, extra: Partial<SocketListenerOptions> = {}): SocketListenerOptions => ({
    setting: "test.listen",
    address,
    name: "test",
    remedy: "choose another address with --test",
    tls: undefined,
    allowHalfOpen: false,
    maxConnections: 4,
    metrics: new ReceiverMetrics(ctx.metrics, "test"),
    onSocket: (s) => {
      sockets.push(s);
      s.end("hello");
    },
    ...extra,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-listener-"));
    const certs = makeTestCertificates(dir);
    h = await startReceiverHarness([], { tls: { cert: certs.cert, key: certs.key } });
    ctx = { ...h.ctx, log };
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("loopback hosts are recognised", () => {
    for (const [host, want] of [
      ["127.0.0.1", true],
      ["127.1.2.3", true],
      ["localhost", true],
      ["::1", true],
      ["0.0.0.0", false],
      ["10.0.0.1", false],
      ["::", false],
    ] as const)
      assert.equal(isLoopbackHost(host), want, host);
  });

  test("a plaintext listener reports the bound port and hands each connection over; close ends it", async () => {
    const l = await listenSocket(ctx, options("127.0.0.1:0"));
    assert.match(l.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(l.address, "127.0.0.1:0");
    assert.equal(l.loopback, true);
    assert.equal(l.server.maxConnections, 4);
    const port = Number(l.address.split(":")[1]);
    const got = await new Promise<string>((resolve, reject) => {
      const c = connect({ host: "127.0.0.1", port }, () => undefined);
      let text = "";
      c.on("data", (d: Buffer) => (text += d.toString()));
      c.on("end", () => resolve(text));
      c.on("error", reject);
    });
    assert.equal(got, "hello");
    await l.close();
    assert.equal(l.server.listening, false);
  });

  test("a taken address fails with CONFIG_INVALID naming the setting, the address, the error code and the remedy", async () => {
    const blocker = await occupy();
    try {
      const address = `127.0.0.1:${portOf(blocker)}`;
      await assert.rejects(
        listenSocket(ctx, options(address)),
        (err: unknown) =>
          err instanceof MeshlogError &&
          err.code === "CONFIG_INVALID" &&
          err.message === `test.listen: cannot listen on ${address} (EADDRINUSE); choose another address with --test`,
      );
      await assert.rejects(listenSocketUnlessInUse(ctx, options(address), undefined), /EADDRINUSE/);
    } finally {
      await closeServer(blocker);
    }
  });

  test("with a skip warning, a taken address skips the listener with that warning", async () => {
    const blocker = await occupy();
    try {
      const address = `127.0.0.1:${portOf(blocker)}`;
      const l = await listenSocketUnlessInUse(ctx, options(address), "test receiver not started: its default address is in use");
      assert.equal(l, undefined);
      assert.deepEqual(logged.at(-1), ["warn", "test receiver not started: its default address is in use", { address }]);
    } finally {
      await closeServer(blocker);
    }
  });

  test("a TLS listener counts and logs failed handshakes", async () => {
    const l = await listenSocket(ctx, options("127.0.0.1:0", { tls: receiverTlsOptions(ctx.config, "test.tls") }));
    try {
      const port = Number(l.address.split(":")[1]);
      await new Promise<void>((resolve) => {
        const c = connect({ host: "127.0.0.1", port }, () => c.write("this is not a TLS client hello\r\n\r\n"));
        c.on("error", () => resolve());
        c.on("close", () => resolve());
      });
      assert.ok(
        await waitFor(() => logged.some(([level, msg]) => level === "warn" && msg === "test TLS handshake failed"), 5000),
        "the failed handshake is logged",
      );
      assert.match(ctx.metrics.render(), /meshlog_receiver_rejected_total\{reason="tls_handshake",receiver="test"\} 1/);
    } finally {
      await l.close();
    }
  });
});

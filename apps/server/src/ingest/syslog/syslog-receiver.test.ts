// The syslog receiver driven by real senders (util-linux logger, npm syslog-client) over TCP (octet counting
// and LF), UDP and TLS with client certificates; hostile streams; backpressure. Records are compared field by
// field after reading them back from the store.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { hostPortOf, makeTestCertificates, readAll, startTestServer, waitFor, waitForRecords, type TestServer } from "../socket/receiver-test-kit.js";

interface SyslogClient {
  log(msg: string, opts: Record<string, unknown>, cb: (err?: Error) => void): void;
  close(): void;
}
const syslogClientLib = createRequire(import.meta.url)("syslog-client") as {
  createClient(host: string, opts: Record<string, unknown>): SyslogClient;
  Transport: { Tcp: number; Udp: number };
  Facility: Record<string, number>;
  Severity: Record<string, number>;
};

const find = async (t: TestServer, body: string): Promise<LogRecord> => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = (await readAll(t.server.ctx.store, "sys")).find((x) => x.body === body);
    if (r !== undefined) return r;
    if (Date.now() > deadline) throw new Error(`no record with body ${JSON.stringify(body)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
};

const sendRaw = (port: number, data: Buffer | string): Promise<void> =>
  new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.end(data));
    s.on("close", () => resolve());
    s.on("error", reject);
  });

describe("syslog receiver with real senders", () => {
  let t: TestServer;
  let port = 0;
  const host = hostname();
  before(async () => {
    t = await startTestServer({ syslog: "127.0.0.1:0", syslogTenant: "sys", ingest: { maxLineBytes: 4096 } });
    port = hostPortOf(t.server.ctx.services.get("syslog.address")).port;
  });
  after(async () => t.stop());

  const logger = (args: string[]): void =>
    void execFileSync("logger", ["--server", "127.0.0.1", "--port", String(port), ...args], { stdio: "ignore", timeout: 10_000 });

  it("stores logger --tcp --octet-count --rfc5424 with structured data, msgid and procid", async () => {
    logger([
      "--tcp",
      "--octet-count",
      "--rfc5424",
      "-t",
      "myapp",
      "-i",
      "--msgid",
      "ID47",
      "--sd-id",
      "exampleSDID@32473",
      "--sd-param",
      'iut="3"',
      "--sd-param",
      'eventSource="Application"',
      "-p",
      "local0.warning",
      "hello octet counted",
    ]);
    const r = await find(t, "hello octet counted");
    assert.deepEqual(r.labels, { source: "syslog", service: "myapp" });
    assert.equal(r.resource["host.name"], host);
    assert.equal(r.resource["service.name"], "myapp");
    assert.equal(r.severityNumber, 13);
    assert.equal(r.severityText, "warning");
    assert.equal(r.attributes["syslog.facility"], "local0");
    assert.equal(r.attributes["syslog.msgid"], "ID47");
    assert.match(r.attributes["syslog.procid"] ?? "", /^\d+$/);
    assert.equal(r.attributes["sd.exampleSDID@32473.iut"], "3");
    assert.equal(r.attributes["sd.exampleSDID@32473.eventSource"], "Application");
    assert.equal(r.attributes["sd.timeQuality.tzKnown"], "1");
    assert.equal(r.attributes["syslog.format"], "rfc5424");
    assert.equal(r.attributes["client.address"], "127.0.0.1");
    assert.equal(r.tenant, "sys");
    const skew = r.timestamp - r.observedTimestamp;
    assert.ok(skew < 60_000_000_000n && skew > -60_000_000_000n, "the message timestamp (microseconds) was used");
  });

  it("stores logger --tcp --rfc5424 with LF framing", async () => {
    logger(["--tcp", "--rfc5424", "-t", "lfapp", "-p", "user.err", "hello lf framed"]);
    const r = await find(t, "hello lf framed");
    assert.equal(r.labels.service, "lfapp");
    assert.equal(r.severityText, "err");
    assert.equal(r.severityNumber, 17);
    assert.equal(r.attributes["syslog.facility"], "user");
  });

  it("stores logger --tcp --rfc3164", async () => {
    logger(["--tcp", "--rfc3164", "-t", "bsdapp", "-p", "auth.notice", "hello bsd"]);
    const r = await find(t, "hello bsd");
    assert.equal(r.labels.service, "bsdapp");
    assert.equal(r.resource["host.name"], host);
    assert.equal(r.attributes["syslog.format"], "rfc3164");
    assert.equal(r.attributes["syslog.facility"], "auth");
    assert.equal(r.severityNumber, 10);
  });

  it("stores logger --udp --rfc5424 and --udp --rfc3164", async () => {
    logger(["--udp", "--rfc5424", "-t", "udpapp", "hello udp 5424"]);
    logger(["--udp", "--rfc3164", "-t", "udpapp", "hello udp 3164"]);
    const a = await find(t, "hello udp 5424");
    const b = await find(t, "hello udp 3164");
    assert.equal(a.labels.service, "udpapp");
    assert.equal(b.labels.service, "udpapp");
    assert.equal(a.attributes["syslog.format"], "rfc5424");
    assert.equal(b.attributes["syslog.format"], "rfc3164");
    if (process.platform === "linux") assert.match(t.server.ctx.metrics.render(), /meshlog_receiver_udp_socket_drops\{receiver="syslog"\} \d+/);
  });

  it("splits a UDP datagram holding several messages and strips trailing NUL/CRLF", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((resolve, reject) =>
      sock.send(Buffer.from("<13>1 - h app - - - dgram one\r\n<14>1 - h app - - - dgram two\u0000"), port, "127.0.0.1", (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    sock.close();
    assert.equal((await find(t, "dgram one")).severityText, "notice");
    assert.equal((await find(t, "dgram two")).severityText, "info");
  });

  it("stores npm syslog-client messages over UDP (rfc3164) and TCP (rfc5424)", async () => {
    for (const [transport, rfc3164, body] of [
      [syslogClientLib.Transport.Udp, true, "hello 3164 udp"],
      [syslogClientLib.Transport.Tcp, false, "hello 5424 tcp"],
    ] as const) {
      const client = syslogClientLib.createClient("127.0.0.1", { port, transport, rfc3164, syslogHostname: "h1", appName: "nodeapp" });
      await new Promise<void>((resolve, reject) => client.log(body, { severity: syslogClientLib.Severity.Error }, (err) => (err ? reject(err) : resolve())));
      client.close();
    }
    const udp = await find(t, "hello 3164 udp");
    const tcp = await find(t, "hello 5424 tcp");
    assert.equal(udp.resource["host.name"], "h1");
    assert.equal(udp.severityText, "err");
    assert.equal(tcp.resource["host.name"], "h1");
    assert.equal(tcp.labels.service, "nodeapp");
    assert.match(tcp.attributes["syslog.procid"] ?? "", /^\d+$/);
  });

  it("closes a connection on an unrecoverable octet count, keeps earlier data, and stays up", async () => {
    const closed = await new Promise<boolean>((resolve, reject) => {
      const s: Socket = connect(port, "127.0.0.1", () => s.write("<13>1 - h app - - - before the garbage\n12345678901234 <13>x"));
      s.on("close", () => resolve(true));
      s.on("error", reject);
    });
    assert.ok(closed);
    await find(t, "before the garbage");
    assert.match(t.server.ctx.metrics.render(), /meshlog_receiver_rejected_total\{reason="frame_invalid",receiver="syslog"\} 1/);
    await sendRaw(port, "<13>1 - h app - - - after the garbage\n");
    await find(t, "after the garbage");
  });

  it("skips an oversized message and keeps the ones around it", async () => {
    await sendRaw(port, `<13>1 - h app - - - small one\n<13>${"x".repeat(10_000)}\n5000 <13>${"y".repeat(4996)}<13>1 - h app - - - small two\n`);
    await find(t, "small one");
    await find(t, "small two");
    assert.ok(!(await readAll(t.server.ctx.store, "sys")).some((r) => r.body.includes("xxxxxxxxxx") || r.body.includes("yyyyyyyyyy")));
    assert.match(t.server.ctx.metrics.render(), /meshlog_receiver_rejected_total\{reason="too_large",receiver="syslog"\} 2/);
  });

  it("discards an octet-counted message cut short by the sender closing, and counts it", async () => {
    await sendRaw(port, "<13>1 - h app - - - complete one\n200 <13>1 - h app - - - cut short");
    await find(t, "complete one");
    assert.ok(await waitFor(() => /meshlog_receiver_rejected_total\{reason="truncated",receiver="syslog"\} 1/.test(t.server.ctx.metrics.render())));
    assert.ok(!(await readAll(t.server.ctx.store, "sys")).some((r) => r.body.includes("cut short")));
  });

  it("stores hostile and unparseable messages raw instead of dropping them", async () => {
    const hostile = [
      "<999999>1 - - - - - weird",
      "<13>1 2024-13-45T99:99:99Z h app - - - bad date",
      "\u0000\u0001binary\u00ff",
      "<13>1 - h app - - [unterminated sd",
    ];
    await sendRaw(port, hostile.map((m) => `${Buffer.byteLength(m)} ${m}`).join(""));
    assert.ok(await waitFor(() => /meshlog_receiver_messages_total\{receiver="syslog"\} \d+/.test(t.server.ctx.metrics.render())));
    const all = await waitForRecords(t.server.ctx.store, "sys", 1);
    const unparsed = all.filter((r) => r.attributes["syslog.parse_error"] !== undefined);
    assert.ok(unparsed.length >= 1, "at least one hostile message was stored raw with its parse error");
    await sendRaw(port, "<13>1 - h app - - - still alive\n");
    await find(t, "still alive");
  });
});

describe("syslog receiver configuration", () => {
  const cases: { name: string; config: Record<string, unknown>; message: RegExp }[] = [
    { name: "syslogTls without a certificate", config: { syslogTls: "127.0.0.1:0" }, message: /syslogTls needs TLS but tls.cert and tls.key are not set/ },
    {
      name: "an invalid syslogTenant",
      config: { syslog: "127.0.0.1:0", syslogTenant: "no/slash" },
      message: /syslogTenant: "no\/slash" is not a valid tenant id/,
    },
  ];
  for (const c of cases) {
    it(`refuses to start with ${c.name}, naming the setting`, async () => {
      await assert.rejects(startTestServer(c.config), (err: unknown) => err instanceof MeshlogError && c.message.test(err.message));
    });
  }

  it("listens on IPv6 loopback for TCP and UDP", async () => {
    const t = await startTestServer({ syslog: "[::1]:0", syslogTenant: "sys" });
    try {
      const { port } = hostPortOf(t.server.ctx.services.get("syslog.address"));
      const sock = createSocket("udp6");
      await new Promise<void>((resolve, reject) => sock.send("<13>1 - h app - - - over ipv6", port, "::1", (err) => (err ? reject(err) : resolve())));
      sock.close();
      await find(t, "over ipv6");
    } finally {
      await t.stop();
    }
  });
});

describe("syslog receiver under backpressure", () => {
  it("pauses a TCP connection while the store pushes back and loses nothing", async () => {
    const t = await startTestServer({ syslog: "127.0.0.1:0", syslogTenant: "sys" });
    try {
      let refusals = 5;
      t.server.ctx.ingest.guard(() => {
        if (refusals > 0) {
          refusals--;
          throw new MeshlogError("STORAGE_BACKPRESSURE", "test backpressure", { details: { retryAfterSeconds: 0.02 } });
        }
      });
      const port = hostPortOf(t.server.ctx.services.get("syslog.address")).port;
      const n = 2000;
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(`<14>1 2024-01-01T00:00:00.${String(i).padStart(6, "0")}Z h bp - - - line ${i}\n`);
      await sendRaw(port, lines.join(""));
      const all = await waitForRecords(t.server.ctx.store, "sys", n);
      assert.equal(refusals, 0);
      assert.equal(all.length, n);
      assert.equal(new Set(all.map((r) => r.body)).size, n);
    } finally {
      await t.stop();
    }
  });
});

describe("syslog receiver over TLS with client certificates", () => {
  it("accepts a client with a certificate signed by tls.ca and refuses one without", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meshlog-syslog-tls-"));
    const certs = makeTestCertificates(dir);
    const t = await startTestServer({
      syslogTls: "127.0.0.1:0",
      syslogTenant: "sys",
      tls: { cert: certs.cert, key: certs.key, ca: certs.ca, requireClientCert: true },
    });
    try {
      const { port } = hostPortOf(t.server.ctx.services.get("syslog.tls.address"));
      const send = (withCert: boolean, msg: string): Promise<void> =>
        new Promise((resolve) => {
          const s = tlsConnect(
            {
              host: "127.0.0.1",
              port,
              ca: readFileSync(certs.ca),
              ...(withCert ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
            },
            () => s.end(`${Buffer.byteLength(msg)} ${msg}`),
          );
          s.on("error", () => resolve());
          s.on("close", () => resolve());
        });
      await send(false, "<13>1 - h app - - - no certificate");
      await send(true, "<13>1 - h app - - - with certificate");
      await find(t, "with certificate");
      assert.ok(!(await readAll(t.server.ctx.store, "sys")).some((r) => r.body === "no certificate"));
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Tests for the syslog source: stream framing (octet counting, LF, hostile input) and UDP/TCP/TLS listeners.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { makeTestCerts } from "../../testing/test-certs.js";
import { syslogSource, syslogSourceSchema } from "./index.js";
import { SyslogStreamFramer } from "./syslog-framer.js";

const MSG5424 = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event";
const MSG3164 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick";

test("framing: octet counting and LF framing, split across chunks", () => {
  const f = new SyslogStreamFramer(1024);
  const octet = `${Buffer.byteLength(MSG5424)} ${MSG5424}`;
  const all = Buffer.from(`${octet}${MSG3164}\n${octet}`);
  const out: string[] = [];
  for (let i = 0; i < all.length; i += 7) out.push(...f.push(all.subarray(i, i + 7)));
  assert.deepEqual(out, [MSG5424, MSG3164, MSG5424]);
  assert.equal(f.pending, 0);
});

test("framing: hostile input is bounded (huge length prefixes, no newline, NULs)", () => {
  const f = new SyslogStreamFramer(16);
  assert.deepEqual(f.push(Buffer.from("99999999999 x\n")), ["99999999999 x"], "a bogus prefix falls back to LF framing");
  assert.deepEqual(f.push(Buffer.from("\0\0\r\n")), []);
  const long = f.push(Buffer.from("y".repeat(100)));
  assert.equal(long[0]?.length, 16);
  assert.equal(f.oversized, 1);
  const g = new SyslogStreamFramer(16);
  const out = g.push(Buffer.from("20 abcdefghijklmnopqrstuvwxyz"));
  assert.equal(out[0], "abcdefghijklmnop");
  assert.equal(g.oversized, 1);
});

const start = async (o: Record<string, unknown>) => {
  const ctx = fakeSourceContext("sys");
  const src = syslogSource.create(syslogSourceSchema.parse({ address: "127.0.0.1:0", ...o }), ctx);
  await src.start();
  const port = src.address?.()?.port as number;
  return { ctx, src, port };
};

test("UDP: messages are parsed; while the buffer is full datagrams are dropped and counted", async () => {
  const { ctx, src, port } = await start({ mode: "udp" });
  const sock = createSocket("udp4");
  try {
    sock.send(MSG5424, port, "127.0.0.1");
    await waitFor("one record", () => ctx.records.length === 1);
    const r = ctx.records[0];
    assert.equal(r?.body, "An application event");
    assert.equal(r?.resource["host.name"], "mymachine.example.com");
    assert.equal(r?.timestamp, 1_065_910_455_003_000_000n);
    assert.ok(r !== undefined && r.severityNumber > 0);
    ctx.full = true;
    sock.send(MSG3164, port, "127.0.0.1");
    await waitFor("a counted drop", () => ctx.metrics.sum("meshlog_agent_source_dropped_total") === 1);
    ctx.full = false;
    sock.send("garbage without a header", port, "127.0.0.1");
    await waitFor("garbage kept as body", () => ctx.records.length === 2);
    assert.equal(ctx.records[1]?.body, "garbage without a header");
  } finally {
    sock.close();
    await src.stop();
  }
});

test("TCP: LF and octet-counted messages; reading pauses while the buffer does not accept", async () => {
  const { ctx, src, port } = await start({ mode: "tcp" });
  let open!: () => void;
  ctx.gate = new Promise((r) => (open = r));
  const sock = netConnect(port, "127.0.0.1");
  try {
    await new Promise((r) => sock.once("connect", r));
    sock.write(`${MSG3164}\n${Buffer.byteLength(MSG5424)} ${MSG5424}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ctx.records.length, 0);
    ctx.gate = undefined;
    open();
    await waitFor("two records", () => ctx.records.length === 2);
    assert.deepEqual(
      ctx.records.map((r) => r.body),
      ["'su root' failed for lonvick", "An application event"],
    );
  } finally {
    sock.destroy();
    await src.stop();
  }
});

test("TLS with client CA: a client with a CA-signed certificate is served, one without is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-syslog-tls-"));
  try {
    const c = makeTestCerts(dir);
    const { ctx, src, port } = await start({ mode: "tls", tls: { cert: c.serverCert, key: c.serverKey, ca: c.caCert } });
    try {
      const good = tlsConnect({ port, host: "127.0.0.1", ca: c.read(c.caCert), cert: c.read(c.clientCert), key: c.read(c.clientKey) });
      await new Promise((r) => good.once("secureConnect", r));
      good.write(`${MSG3164}\n`);
      await waitFor("the record", () => ctx.records.length === 1);
      good.destroy();
      const bad = tlsConnect({ port, host: "127.0.0.1", ca: c.read(c.caCert) });
      const outcome = await new Promise<string>((resolve) => {
        bad.once("error", () => resolve("refused"));
        bad.once("close", () => resolve("refused"));
        bad.once("secureConnect", () => bad.write(`${MSG3164}\n`));
      });
      assert.equal(outcome, "refused");
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(ctx.records.length, 1);
    } finally {
      await src.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

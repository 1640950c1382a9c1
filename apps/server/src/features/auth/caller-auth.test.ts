// Tests of authenticateUpgrade: WebSocket upgrades get the same authentication, tenant rules, limits and audit
// events as HTTP requests.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { buildApp } from "../../http/app.js";
import { authenticateUpgrade } from "./caller-auth.js";
import { createToken, startTestServer } from "./test-server.js";

const ROUTE = "/test/ws";

test("WebSocket upgrades are authenticated, tenant-checked, limited and audited like HTTP requests", async () => {
  const s = await startTestServer({ query: { maxConcurrentPerPrincipal: 1 }, security: { authFailureBurst: 2, authFailureRefillPerMinute: 1 } });
  const app = await buildApp(s.server.ctx, []);
  const wss = new WebSocketServer({ noServer: true });
  const releases: (() => void)[] = [];
  app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void authenticateUpgrade(s.server.ctx, req, ROUTE, ["analyst"]).then((a) => {
      if (!a.ok) {
        socket.end(`HTTP/1.1 ${a.status} Refused\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(a.message)}\r\n\r\n${a.message}`);
        return;
      }
      releases.push(a.release);
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(JSON.stringify({ principal: a.principal.id, tenant: a.tenant, kind: a.kind }));
        ws.on("close", a.release);
      });
    });
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const open = (headers: Record<string, string>): Promise<{ status: number; first?: string; ws?: WebSocket }> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${ROUTE}`, { headers, handshakeTimeout: 5000 });
      ws.once("message", (d: Buffer) => resolve({ status: 101, first: d.toString("utf8"), ws }));
      ws.on("unexpected-response", (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.on("error", () => resolve({ status: 0 }));
    });
  try {
    const analyst = await createToken(s, { tenant: "a", roles: ["analyst"] });
    const ingest = await createToken(s, { tenant: "a", roles: ["ingest"] });
    const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
    assert.equal((await open({})).status, 401, "no credentials");
    assert.equal((await open(bearer(ingest.token))).status, 403, "missing role");
    assert.equal((await open({ ...bearer(analyst.token), "x-scope-orgid": "b" })).status, 403, "other tenant");
    assert.equal((await open({ ...bearer(analyst.token), "x-scope-orgid": "_audit" })).status, 403, "audit tenant");
    const ok = await open(bearer(analyst.token));
    assert.equal(ok.status, 101);
    assert.deepEqual(JSON.parse(ok.first ?? "{}"), { principal: `svc-${analyst.id}`, tenant: "a", kind: "bearer" });
    assert.equal((await open(bearer(analyst.token))).status, 429, "one tail at a time for this principal");
    const closed = new Promise((r) => ok.ws?.once("close", r));
    ok.ws?.close();
    await closed;
    for (let i = 0; i < 100; i++) {
      const again = await open(bearer(analyst.token));
      if (again.status === 101) {
        again.ws?.close();
        break;
      }
      assert.equal(again.status, 429);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await open(bearer("mlg_bad_1"))).status, 401);
    assert.equal((await open(bearer("mlg_bad_2"))).status, 401);
    assert.equal((await open(bearer(analyst.token))).status, 429, "throttled after a burst of failures");

    const events = (await s.auditEvents()).filter((e) => e.route === ROUTE);
    const summary = events.map((e) => `${String(e.action)} ${String(e.principal)} ${String(e.status)}`);
    for (const expected of [
      "auth.failed anonymous 401",
      `tail svc-${ingest.id} 403`,
      `tail svc-${analyst.id} 403`,
      `tail svc-${analyst.id} 429`,
      "auth.rate_limited anonymous 429",
    ]) {
      assert.ok(summary.includes(expected), `missing audit event "${expected}" in ${summary.join("; ")}`);
    }
    assert.equal(summary.filter((x) => x === "auth.failed anonymous 401").length, 3, "no credentials + two bad tokens");
  } finally {
    for (const r of releases) r();
    for (const c of wss.clients) c.terminate();
    wss.close();
    await app.close();
    await s.close();
  }
});

test("failed logins are throttled per IPv4 address and per IPv6 /64", async () => {
  const { throttleKey } = await import("./caller-auth.js");
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::ffff", "2001:db8:1:2::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1", "fe80:0:0:0::/64"],
    ["", ""],
  ];
  for (const [ip, key] of cases) assert.equal(throttleKey(ip), key, ip);
});

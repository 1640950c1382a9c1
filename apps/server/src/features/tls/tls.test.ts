// TLS tests: HTTPS with a modern policy, plaintext refused, certificate hot reload, mTLS client-cert principals.

import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../auth/test-server.js";
import { TLS_RELOAD_SERVICE } from "../auth/http-security.js";
import { issueCert, makeCa, type CertPair } from "@meshlog/testkit";

interface Pki {
  dir: string;
  ca: CertPair;
  server: CertPair;
  server2: CertPair;
  agent: CertPair;
  stranger: CertPair;
  rogue: CertPair;
}

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-tls-"));
  const ca = makeCa(dir);
  const otherCa = makeCa(dir, "rogue-ca");
  return {
    dir,
    ca,
    server: issueCert(dir, ca, "server", "server-one", ["IP:127.0.0.1", "DNS:localhost"], "serverAuth"),
    server2: issueCert(dir, ca, "server2", "server-two", ["IP:127.0.0.1", "DNS:localhost"], "serverAuth"),
    agent: issueCert(dir, ca, "agent", "agent-1", ["DNS:agent-1.example"], "clientAuth"),
    stranger: issueCert(dir, ca, "stranger", "stranger", ["DNS:stranger.example"], "clientAuth"),
    rogue: issueCert(dir, otherCa, "rogue", "agent-1", ["DNS:agent-1.example"], "clientAuth"),
  };
}

async function get(url: string, opts: { ca: Buffer; client?: CertPair; token?: string }): Promise<{ status: number; body: string; protocol: string }> {
  const extra = opts.client !== undefined ? { cert: await readFile(opts.client.cert), key: await readFile(opts.client.key) } : {};
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca: opts.ca, agent: false, timeout: 5000, headers: opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}, ...extra },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            protocol: (res.socket as unknown as { getProtocol(): string }).getProtocol?.() ?? "",
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function peerCn(port: number, ca: Buffer, opts: { maxVersion?: "TLSv1.1" | "TLSv1.2" } = {}): Promise<{ cn: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: "127.0.0.1", port, ca, servername: "localhost", ...(opts.maxVersion !== undefined ? { maxVersion: opts.maxVersion, minVersion: "TLSv1" } : {}) },
      () => {
        const cert: PeerCertificate = socket.getPeerCertificate();
        const protocol = socket.getProtocol();
        socket.end();
        resolve({ cn: String(cert.subject.CN), protocol });
      },
    );
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.on("error", reject);
  });
}

const portOf = (s: TestServer): number => Number(new URL(s.base).port);

test("HTTPS with TLS >= 1.2; plaintext and TLS 1.1 clients are refused", async () => {
  const pki = await makePki();
  const s = await startTestServer({ tls: { cert: pki.server.cert, key: pki.server.key, ca: "", requireClientCert: false } });
  try {
    assert.match(s.base, /^https:\/\//);
    const ca = await readFile(pki.ca.cert);
    const ok = await get(`${s.base}/api/v1/whoami`, { ca, token: s.adminToken });
    assert.equal(ok.status, 200);
    const { protocol } = await peerCn(portOf(s), ca);
    assert.ok(protocol === "TLSv1.3" || protocol === "TLSv1.2", String(protocol));
    await assert.rejects(peerCn(portOf(s), ca, { maxVersion: "TLSv1.1" }), "TLS 1.1 is refused");
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(
        { host: "127.0.0.1", port: portOf(s), path: "/api/v1/whoami", headers: { authorization: `Bearer ${s.adminToken}` }, timeout: 5000 },
        (res) => resolve(`answered ${res.statusCode}`),
      );
      req.on("error", (err) => resolve(`refused: ${err.message}`));
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.end();
    });
    assert.match(plain, /^refused/, "a plaintext HTTP client gets no HTTP answer");
  } finally {
    await s.close();
    await rm(pki.dir, { recursive: true, force: true });
  }
});

test("a replaced certificate is served without a restart; a broken replacement keeps the old one", async () => {
  const pki = await makePki();
  const live: CertPair = { cert: join(pki.dir, "live.crt"), key: join(pki.dir, "live.key") };
  await copyFile(pki.server.cert, live.cert);
  await copyFile(pki.server.key, live.key);
  const s = await startTestServer({ tls: { cert: live.cert, key: live.key, ca: "", requireClientCert: false }, security: { tlsReloadIntervalMs: 50 } });
  try {
    const ca = await readFile(pki.ca.cert);
    assert.equal((await peerCn(portOf(s), ca)).cn, "server-one");
    await copyFile(pki.server2.key, live.key);
    await copyFile(pki.server2.cert, live.cert);
    let cn = "";
    for (let i = 0; i < 100 && cn !== "server-two"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cn = (await peerCn(portOf(s), ca)).cn;
    }
    assert.equal(cn, "server-two", "the new certificate is served");
    await writeFile(live.cert, "not a certificate");
    const reload = s.server.ctx.services.get(TLS_RELOAD_SERVICE) as () => boolean;
    assert.equal(reload(), false, "a broken certificate is not loaded");
    assert.equal((await peerCn(portOf(s), ca)).cn, "server-two", "the previous certificate stays in service");
    assert.ok(s.logs.some((l) => l.includes("tls certificate reload failed")));
  } finally {
    await s.close();
    await rm(pki.dir, { recursive: true, force: true });
  }
});

test("mTLS: a mapped client certificate signed by tls.ca authenticates as its principal without a token", async () => {
  const pki = await makePki();
  const s = await startTestServer({
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: false },
    security: { clientCertPrincipals: { "agent-1": "edge-agent", "DNS:other.example": "nobody" } },
  });
  try {
    const ca = await readFile(pki.ca.cert);
    const made = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ id: "edge-agent", kind: "service", tenant: "edge", roles: ["ingest"] });
      const req = httpsRequest(
        `${s.base}/api/v1/principals`,
        { method: "POST", ca, agent: false, headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    assert.equal(made, 201);
    const who = await get(`${s.base}/api/v1/whoami`, { ca, client: pki.agent });
    assert.equal(who.status, 200, who.body);
    const w = JSON.parse(who.body) as { id: string; tenant: string; roles: string[]; credential: string };
    assert.deepEqual([w.id, w.tenant, w.roles, w.credential], ["edge-agent", "edge", ["ingest"], "client-cert"]);
    assert.equal((await get(`${s.base}/api/v1/whoami`, { ca, client: pki.stranger })).status, 401, "unmapped certificate");
    assert.equal((await get(`${s.base}/api/v1/whoami`, { ca, client: pki.rogue })).status, 401, "same CN from another CA");
    assert.equal((await get(`${s.base}/api/v1/whoami`, { ca })).status, 401, "no certificate, no token");
    const withToken = await get(`${s.base}/api/v1/whoami`, { ca, client: pki.agent, token: s.adminToken });
    assert.equal((JSON.parse(withToken.body) as { id: string }).id, "bootstrap-admin", "a token takes precedence over the certificate");
    const events = await auditOverTls(s, ca);
    assert.ok(events.some((e) => e.principal === "edge-agent" && (e.details as Record<string, unknown>).credential === "client-cert"));
  } finally {
    await s.close();
    await rm(pki.dir, { recursive: true, force: true });
  }
});

async function auditOverTls(s: TestServer, ca: Buffer): Promise<Record<string, unknown>[]> {
  await s.server.ctx.audit.flush();
  const r = await get(`${s.base}/api/v1/audit?limit=1000`, { ca, token: s.adminToken });
  return (JSON.parse(r.body) as { events: Record<string, unknown>[] }).events;
}

test("tls.requireClientCert refuses clients without a certificate from the CA", async () => {
  const pki = await makePki();
  const s = await startTestServer({ tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true } });
  try {
    const ca = await readFile(pki.ca.cert);
    await assert.rejects(get(`${s.base}/api/v1/whoami`, { ca, token: s.adminToken }), "no client certificate");
    await assert.rejects(get(`${s.base}/api/v1/whoami`, { ca, token: s.adminToken, client: pki.rogue }), "certificate from another CA");
    const ok = await get(`${s.base}/api/v1/whoami`, { ca, token: s.adminToken, client: pki.stranger });
    assert.equal(ok.status, 200);
  } finally {
    await s.close();
    await rm(pki.dir, { recursive: true, force: true });
  }
});

test("TLS settings are checked at start with messages naming the setting", async () => {
  const pki = await makePki();
  try {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ cert: pki.server.cert, key: "", ca: "", requireClientCert: false }, /tls.cert and tls.key must be set together/],
      [{ cert: pki.server.cert, key: join(pki.dir, "missing.key"), ca: "", requireClientCert: false }, /cannot read tls.key .*missing.key/],
      [{ cert: pki.server.cert, key: pki.server.key, ca: "", requireClientCert: true }, /requireClientCert needs tls.ca/],
    ];
    for (const [tls, msg] of cases) await assert.rejects(startTestServer({ tls }), (err: Error) => msg.test(err.message), String(msg));
  } finally {
    await rm(pki.dir, { recursive: true, force: true });
  }
});

// Tests of the HTTP edge: failed-auth throttling, secret redaction, file-mode checks, audit coverage of every
// route, the audit tenant guard, and the ingest and query limits.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../http/app.js";
import type { RouteModule } from "../../http/route-module.js";
import type { RegisteredRoute } from "./http-security.js";
import { isUnauditedPublicRoute, ROUTES_SERVICE } from "./http-security.js";
import { createToken, startTestServer } from "./test-server.js";

test("a burst of failed logins from one address gets 429 AUTH_RATE_LIMITED with Retry-After, and is audited", async () => {
  const s = await startTestServer({ security: { authFailureBurst: 3, authFailureRefillPerMinute: 1 } });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await s.call("GET", "/api/v1/whoami", { token: `mlg_bad${i}` })).status, 401);
    const limited = await s.call("GET", "/api/v1/whoami", { token: "mlg_bad3" });
    assert.equal(limited.status, 429);
    assert.equal((limited.json() as { code: string }).code, "AUTH_RATE_LIMITED");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    // While limited, even a valid token from that address is refused (no oracle for guessing).
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: s.adminToken })).status, 429);
    // Requests without credentials do not count as failures.
    assert.equal((await s.call("GET", "/ready")).status, 200);
    const events = await auditAsSystem(s);
    assert.equal(events.filter((e) => e.action === "auth.failed").length, 3);
    assert.ok(events.filter((e) => e.action === "auth.rate_limited").length >= 2);
  } finally {
    await s.close();
  }
});

/** Reads the audit trail straight from the store (the API is rate limited for this address in the test above). */
async function auditAsSystem(
  s: Awaited<ReturnType<typeof startTestServer>>,
): Promise<{ action: string; route?: string; method?: string; principal: string; status?: number }[]> {
  const { queryAuditEvents } = await import("../audit/audit-query.js");
  await s.server.ctx.audit.flush();
  const out = [];
  for await (const e of queryAuditEvents(s.server.ctx.store, { start: 0n, end: s.server.ctx.clock.nowNs() + 1n, limit: 1_000_000, direction: "forward" }))
    out.push(e);
  return out;
}

test("secrets never reach the server log or error messages", async () => {
  const s = await startTestServer({ logLevel: "debug" });
  try {
    const secret = "mlg_SuperSecretValue0123456789abcdefghijklmnopq";
    const r1 = await s.call("GET", "/api/v1/whoami", { token: secret });
    const r2 = await s.call("GET", "/metrics", { headers: { authorization: `Basic ${Buffer.from(`user:${secret}`).toString("base64")}` } });
    const r3 = await s.call("POST", "/api/v1/ingest", { headers: { "dd-api-key": secret }, raw: "{}" });
    const created = await createToken(s, { tenant: "a", roles: ["ingest"] });
    const r4 = await s.call("POST", "/api/v1/ingest", { token: created.token, raw: '{"body": "x", "labels": {"__bad": "1"}}\n' });
    for (const r of [r1, r2, r3, r4]) {
      assert.ok(!r.text.includes(secret) && !r.text.includes(created.token), r.text);
    }
    await s.server.ctx.audit.flush();
    const log = s.logs.join("");
    assert.ok(log.length > 0, "the server logged something");
    for (const v of [secret, created.token, s.adminToken]) assert.ok(!log.includes(v), `secret ${v.slice(0, 8)}… found in the log`);
    const audit = JSON.stringify(await s.auditEvents());
    for (const v of [secret, created.token, s.adminToken]) assert.ok(!audit.includes(v), "secret found in the audit trail");
  } finally {
    await s.close();
  }
});

test("the server refuses to start when admin.token or the master key is group/world-readable", async () => {
  for (const rel of ["admin.token", join("keys", "master.key")]) {
    const dir = await mkdtemp(join(tmpdir(), "meshlog-perm-"));
    try {
      // A first start creates the files (the storage engine writes keys/master.key when it uses one).
      const first = await startTestServer({ adminToken: "" }, { dataDir: dir });
      await first.close();
      const file = join(dir, rel);
      const exists = await stat(file).then(
        () => true,
        () => false,
      );
      if (!exists) await writeFile(file, "placeholder\n", { mode: 0o600 });
      await chmod(file, 0o644);
      await assert.rejects(startTestServer({ adminToken: "" }, { dataDir: dir }), (err: Error) => err.message.includes(`chmod 600 ${file}`), rel);
      await chmod(file, 0o600);
      if (exists) {
        const s = await startTestServer({ adminToken: "" }, { dataDir: dir });
        await s.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

const UNAUDITED = (r: RegisteredRoute): boolean => isUnauditedPublicRoute(r.method, r.url);

test("every registered route produces an audit event when called (authenticated and refused)", async () => {
  const s = await startTestServer({ security: { authFailureBurst: 0, authFailureRefillPerMinute: 1 } });
  try {
    const routes = (s.server.ctx.services.get(ROUTES_SERVICE) as RegisteredRoute[]).filter((r) => !UNAUDITED(r));
    assert.ok(routes.length >= 10, "routes were collected");
    const analyst = await createToken(s, { tenant: "a", roles: ["analyst"] });
    const before = (await s.auditEvents()).length;
    const missing: string[] = [];
    for (const r of routes) {
      const path = r.url.replace(/:[A-Za-z_]+/g, "x").replace(/\*$/, "x");
      const hasBody = r.method === "POST" || r.method === "PUT" || r.method === "PATCH";
      for (const token of [s.adminToken, analyst.token, "mlg_invalid"]) {
        await s
          .call(r.method, path, { token, ...(hasBody ? { raw: "{}", headers: { "content-type": "application/json" } } : {}) })
          .catch((err: Error) => missing.push(`${r.method} ${r.url}: request failed: ${err.message}`));
      }
    }
    const events = (await s.auditEvents()).slice(before);
    for (const r of routes) {
      const who = r.public ? ["anonymous"] : ["bootstrap-admin", `svc-${analyst.id}`, "anonymous"];
      for (const principal of who) {
        const hit = events.some((e) => e.route === r.url && e.method === r.method && (r.public || e.principal === principal));
        if (!hit) missing.push(`${r.method} ${r.url} as ${principal}`);
      }
    }
    assert.deepEqual(missing, [], `routes without an audit event:\n${missing.join("\n")}`);
  } finally {
    await s.close();
  }
});

test("the audit tenant is readable by admin and auditor only and writable by no receiver", async () => {
  const s = await startTestServer();
  try {
    const analyst = await createToken(s, { tenant: "a", roles: ["analyst", "ingest"], tenants: "*" });
    const r = await s.call("GET", "/api/v1/whoami", { token: analyst.token, headers: { "x-scope-orgid": "_audit" } });
    assert.equal(r.status, 403);
    const w = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, headers: { "x-scope-orgid": "_audit" }, raw: '{"body": "forged audit event"}\n' });
    assert.equal(w.status, 403, w.text);
    const other = await s.call("GET", "/api/v1/whoami", { token: analyst.token, headers: { "x-scope-orgid": "b" } });
    assert.equal((other.json() as { tenant: string }).tenant, "b", "tenants: * lets X-Scope-OrgID choose");
    const plain = await createToken(s, { tenant: "a", roles: ["analyst"] });
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: plain.token, headers: { "x-scope-orgid": "b" } })).status, 403);
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: plain.token, headers: { "x-scope-orgid": "../../etc" } })).status, 400);
    const events = await s.auditEvents({ result: "denied" });
    assert.ok(events.some((e) => e.principal === `svc-${analyst.id}` && (e.details as Record<string, unknown>).requestedTenant === "_audit"));
  } finally {
    await s.close();
  }
});

test("per-tenant ingest rate limit answers 429 INGEST_RATE_LIMITED with Retry-After, per tenant", async () => {
  const s = await startTestServer({ ingest: { rateLimitBytesPerSecond: 100, burstBytes: 2000 } });
  try {
    const a = await createToken(s, { tenant: "a", roles: ["ingest"] });
    const b = await createToken(s, { tenant: "b", roles: ["ingest"] });
    const line = (n: number): string => JSON.stringify({ body: "x".repeat(n) }) + "\n";
    assert.equal((await s.call("POST", "/api/v1/ingest", { token: a.token, raw: line(500) })).status, 200);
    const over = await s.call("POST", "/api/v1/ingest", { token: a.token, raw: line(1500) + line(1500) });
    assert.equal(over.status, 429, over.text);
    assert.equal((over.json() as { code: string }).code, "INGEST_RATE_LIMITED");
    assert.ok(Number(over.headers.get("retry-after")) >= 1);
    assert.equal((await s.call("POST", "/api/v1/ingest", { token: b.token, raw: line(500) })).status, 200, "other tenants are not affected");
  } finally {
    await s.close();
  }
});

test("query routes are limited per principal to query.maxConcurrentPerPrincipal", async () => {
  const s = await startTestServer({ query: { maxConcurrentPerPrincipal: 2 } });
  const waiting: (() => void)[] = [];
  const blocker: RouteModule = {
    name: "blocking-query",
    body: "json",
    register(app) {
      app.get("/test/slow-query", { config: { audit: "query" } }, async () => {
        await new Promise<void>((resolve) => waiting.push(resolve));
        return { ok: true };
      });
      app.get("/test/other", { config: { audit: "other" } }, async () => ({ ok: true }));
    },
  };
  const app = await buildApp(s.server.ctx, [blocker]);
  await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const addr = app.server.address() as { port: number };
    const get = (path: string, token: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${addr.port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const other = await createToken(s, { tenant: "a", roles: ["analyst"] });
    const first = [get("/test/slow-query", s.adminToken), get("/test/slow-query", s.adminToken)];
    for (let i = 0; i < 200 && waiting.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(waiting.length, 2);
    const third = await get("/test/slow-query", s.adminToken);
    assert.equal(third.status, 429);
    const body = (await third.json()) as { code: string; error: string };
    assert.equal(body.code, "SECURITY_QUERY_CONCURRENCY");
    assert.match(body.error, /maxConcurrentPerPrincipal/);
    assert.equal((await get("/test/other", s.adminToken)).status, 200, "non-query routes are not limited");
    const otherPrincipal = get("/test/slow-query", other.token);
    for (let i = 0; i < 200 && waiting.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(waiting.length, 3, "another principal has its own slots");
    for (const w of waiting.splice(0)) w();
    for (const r of await Promise.all([...first, otherPrincipal])) assert.equal(r.status, 200);
    const again = get("/test/slow-query", s.adminToken);
    for (let i = 0; i < 200 && waiting.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(waiting.length, 1, "slots are released when responses end");
    for (const w of waiting.splice(0)) w();
    assert.equal((await again).status, 200);
  } finally {
    for (const w of waiting.splice(0)) w();
    await app.close();
    await s.close();
  }
});

test("query audit events carry the query text and the rows returned", async (t) => {
  const s = await startTestServer();
  try {
    const routes = s.server.ctx.services.get(ROUTES_SERVICE) as RegisteredRoute[];
    if (!routes.some((r) => r.url === "/loki/api/v1/query_range")) {
      t.todo("the Loki query API is not registered");
      return;
    }
    const ingest = await createToken(s, { tenant: "a", roles: ["ingest"] });
    const reader = await createToken(s, { tenant: "a", roles: ["analyst"] });
    const lines = ["one", "two", "three"].map((b) => JSON.stringify({ body: b, labels: { app: "rows" } })).join("\n");
    assert.equal((await s.call("POST", "/api/v1/ingest", { token: ingest.token, raw: lines })).status, 200);
    const now = BigInt(Date.now()) * 1_000_000n;
    const q = '{app="rows"}';
    const r = await s.call(
      "GET",
      `/loki/api/v1/query_range?query=${encodeURIComponent(q)}&start=${now - 3_600_000_000_000n}&end=${now + 60_000_000_000n}&limit=100`,
      { token: reader.token },
    );
    assert.equal(r.status, 200, r.text);
    const events = (await s.auditEvents({ principal: `svc-${reader.id}` })).filter((e) => e.route === "/loki/api/v1/query_range");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.rows, 3);
    assert.equal((events[0]?.details as Record<string, unknown>).query, q);
  } finally {
    await s.close();
  }
});

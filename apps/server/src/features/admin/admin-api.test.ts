// End-to-end tests of the admin API (tokens, principals, audit, whoami) against an in-process server.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createToken, startTestServer } from "../auth/test-server.js";

test("token lifecycle: create (201, shown once), use, list without secrets, revoke (204), then 401", async () => {
  const s = await startTestServer();
  try {
    const created = await s.call("POST", "/api/v1/tokens", {
      token: s.adminToken,
      body: { tenant: "a", roles: ["analyst", "ingest"], scope: '{namespace="x"}', expiresIn: "30d", name: "ci" },
    });
    assert.equal(created.status, 201);
    const body = created.json() as Record<string, unknown>;
    assert.equal(typeof body.id, "string");
    assert.match(String(body.token), /^mlg_/);
    assert.equal(body.scope, '{namespace="x"}');
    assert.ok(!("hash" in body));
    const token = String(body.token);

    const who = await s.call("GET", "/api/v1/whoami", { token });
    assert.equal(who.status, 200);
    const w = who.json() as Record<string, unknown>;
    assert.deepEqual([w.tenant, w.roles, w.scope, w.tokenId], ["a", ["analyst", "ingest"], '{namespace="x"}', body.id]);

    const listed = await s.call("GET", "/api/v1/tokens", { token: s.adminToken });
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(token), "listing never shows the secret");
    assert.ok(!/"hash"/.test(listed.text), "listing never shows hashes");
    const list = (listed.json() as { tokens: Record<string, unknown>[] }).tokens;
    const mine = list.find((t) => t.id === body.id);
    assert.equal(mine?.revoked, false);
    assert.equal(typeof mine?.expiresAt, "string");
    assert.equal(typeof mine?.lastUsedAt, "string", "lastUsedAt is recorded");
    assert.ok(
      list.some((t) => t.id === "bootstrap" && t.kind === "bootstrap"),
      "the bootstrap token is part of the access review",
    );

    assert.equal((await s.call("DELETE", `/api/v1/tokens/${String(body.id)}`, { token: s.adminToken })).status, 204);
    assert.equal((await s.call("GET", "/api/v1/whoami", { token })).status, 401);
    const refused = (await s.auditEvents({ action: "auth.failed" })).map((e) => e.details as Record<string, unknown>);
    assert.ok(
      refused.some((d) => d.token === body.id && d.reason === "revoked"),
      "use of a revoked token is audited with its id",
    );
    assert.equal((await s.call("DELETE", "/api/v1/tokens/tk_missing", { token: s.adminToken })).status, 404);
    assert.equal((await s.call("DELETE", "/api/v1/tokens/bootstrap", { token: s.adminToken })).status, 400);
  } finally {
    await s.close();
  }
});

test("an expired token is refused and its use is audited as expired", async () => {
  const s = await startTestServer();
  try {
    const t = await createToken(s, { tenant: "a", roles: ["analyst"], expiresIn: "1ms" });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: t.token })).status, 401);
    const listed = (await s.call("GET", "/api/v1/tokens", { token: s.adminToken })).json() as { tokens: { id: string; expired: boolean }[] };
    assert.equal(listed.tokens.find((x) => x.id === t.id)?.expired, true);
    const refused = (await s.auditEvents({ action: "auth.failed" })).map((e) => e.details as Record<string, unknown>);
    assert.ok(refused.some((d) => d.token === t.id && d.reason === "expired"));
  } finally {
    await s.close();
  }
});

test("token requests with invalid fields get 400 naming the field", async () => {
  const s = await startTestServer();
  try {
    const cases: [unknown, string][] = [
      [{ roles: ["analyst"] }, "tenant"],
      [{ tenant: "a" }, "roles"],
      [{ tenant: "a", roles: [] }, "roles"],
      [{ tenant: "a", roles: ["root"] }, "roles.0"],
      [{ tenant: "../etc", roles: ["analyst"] }, "tenant"],
      [{ tenant: "a", roles: ["analyst"], scope: "namespace=x" }, "scope"],
      [{ tenant: "a", roles: ["analyst"], scope: '{a="x"} |= "y"' }, "scope"],
      [{ tenant: "a", roles: ["analyst"], expiresIn: "soon" }, "expiresIn"],
      [{ tenant: "a", roles: ["analyst"], expiresIn: "0s" }, "expiresIn"],
      [{ tenant: "a", roles: ["analyst"], extra: 1 }, "extra"],
      [[1, 2], "JSON object"],
      [{ tenant: "a", roles: ["analyst"], principal: "nobody" }, "principal"],
    ];
    for (const [body, field] of cases) {
      const r = await s.call("POST", "/api/v1/tokens", { token: s.adminToken, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.text}`);
      assert.ok((r.json() as { error: string }).error.includes(field), `${JSON.stringify(body)}: ${r.text}`);
    }
    const notJson = await s.call("POST", "/api/v1/tokens", { token: s.adminToken, raw: "{oops", headers: { "content-type": "application/json" } });
    assert.equal(notJson.status, 400);
  } finally {
    await s.close();
  }
});

test("only admins manage tokens and principals; grants beyond the caller are refused", async () => {
  const s = await startTestServer();
  try {
    const analyst = await createToken(s, { tenant: "a", roles: ["analyst"] });
    const auditor = await createToken(s, { tenant: "a", roles: ["auditor"] });
    for (const [method, path, body] of [
      ["POST", "/api/v1/tokens", { tenant: "a", roles: ["analyst"] }],
      ["DELETE", `/api/v1/tokens/${analyst.id}`, undefined],
      ["POST", "/api/v1/principals", { id: "p1", tenant: "a", roles: ["analyst"] }],
      ["GET", "/api/v1/tokens", undefined],
      ["GET", "/api/v1/principals", undefined],
      ["GET", "/api/v1/audit", undefined],
    ] as const) {
      const r = await s.call(method, path, { token: analyst.token, ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, 403, `analyst ${method} ${path}`);
    }
    assert.equal((await s.call("GET", "/api/v1/tokens", { token: auditor.token })).status, 200, "auditors review tokens");
    assert.equal((await s.call("POST", "/api/v1/tokens", { token: auditor.token, body: { tenant: "a", roles: ["auditor"] } })).status, 403);

    // A tenant-bound, scoped admin cannot escape its tenant or its scope.
    const subAdmin = await createToken(s, { tenant: "a", roles: ["admin"], scope: '{namespace="team-a"}' });
    assert.equal((await s.call("POST", "/api/v1/tokens", { token: subAdmin.token, body: { tenant: "b", roles: ["analyst"] } })).status, 403);
    assert.equal((await s.call("POST", "/api/v1/tokens", { token: subAdmin.token, body: { tenant: "a", roles: ["analyst"], tenants: "*" } })).status, 403);
    const narrowed = await s.call("POST", "/api/v1/tokens", { token: subAdmin.token, body: { tenant: "a", roles: ["analyst"] } });
    assert.equal(narrowed.status, 201);
    assert.equal((narrowed.json() as { scope?: string }).scope, '{namespace="team-a"}', "the caller's scope is kept");

    // Tokens bound to a principal cannot exceed its roles.
    assert.equal((await s.call("POST", "/api/v1/principals", { token: s.adminToken, body: { id: "bob", tenant: "a", roles: ["ingest"] } })).status, 201);
    assert.equal((await s.call("POST", "/api/v1/tokens", { token: s.adminToken, body: { tenant: "a", roles: ["analyst"], principal: "bob" } })).status, 403);
  } finally {
    await s.close();
  }
});

test("principals CRUD with tokens listed for the access review", async () => {
  const s = await startTestServer();
  try {
    const c = await s.call("POST", "/api/v1/principals", {
      token: s.adminToken,
      body: { id: "alice", name: "Alice", kind: "user", tenant: "a", roles: ["analyst"], scope: '{namespace="team-a"}' },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await s.call("POST", "/api/v1/principals", { token: s.adminToken, body: { id: "alice", tenant: "a", roles: ["analyst"] } })).status, 409);
    assert.equal((await s.call("POST", "/api/v1/principals", { token: s.adminToken, body: { id: "bad id!", tenant: "a", roles: ["analyst"] } })).status, 400);
    assert.equal(
      (await s.call("POST", "/api/v1/principals", { token: s.adminToken, body: { id: "svc-tk_abc", tenant: "a", roles: ["admin"] } })).status,
      400,
      "svc- ids are reserved",
    );
    const t = await createToken(s, { tenant: "a", roles: ["analyst"], principal: "alice" });
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: t.token })).status, 200);
    const list = (await s.call("GET", "/api/v1/principals", { token: s.adminToken })).json() as { principals: { id: string; tokens: { id: string }[] }[] };
    assert.deepEqual(
      list.principals.find((p) => p.id === "alice")?.tokens.map((x) => x.id),
      [t.id],
    );
    assert.ok(list.principals.some((p) => p.id === "bootstrap-admin"));
    const u = await s.call("PATCH", "/api/v1/principals/alice", { token: s.adminToken, body: { disabled: true } });
    assert.equal(u.status, 200);
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: t.token })).status, 401, "disabled principal's tokens stop working");
    assert.equal((await s.call("PATCH", "/api/v1/principals/alice", { token: s.adminToken, body: { roles: ["superuser"] } })).status, 400);
    assert.equal((await s.call("PATCH", "/api/v1/principals/nobody", { token: s.adminToken, body: { disabled: true } })).status, 404);
    assert.equal((await s.call("DELETE", "/api/v1/principals/alice", { token: s.adminToken })).status, 204);
    assert.equal((await s.call("GET", "/api/v1/principals/alice", { token: s.adminToken })).status, 404);
    const tokens = (await s.call("GET", "/api/v1/tokens", { token: s.adminToken })).json() as { tokens: { id: string; revoked: boolean }[] };
    assert.equal(tokens.tokens.find((x) => x.id === t.id)?.revoked, true, "deleting a principal revokes its tokens");
    assert.equal((await s.call("DELETE", "/api/v1/principals/bootstrap-admin", { token: s.adminToken })).status, 400);
  } finally {
    await s.close();
  }
});

test("audit query: filters, NDJSON export, admin/auditor only, bad parameters named", async () => {
  const s = await startTestServer();
  try {
    const t = await createToken(s, { tenant: "a", roles: ["ingest"] });
    await s.call("DELETE", `/api/v1/tokens/${t.id}`, { token: s.adminToken });
    await s.call("GET", "/api/v1/whoami", { token: "mlg_wrong" });
    const created = await s.auditEvents({ action: "token.create" });
    assert.equal(created.length, 1);
    assert.equal((created[0]?.details as Record<string, unknown>).tokenId, t.id);
    assert.equal(created[0]?.principal, "bootstrap-admin");
    assert.equal(created[0]?.rows, 1);
    const revoked = await s.auditEvents({ action: "token" });
    assert.deepEqual(
      revoked.map((e) => e.action),
      ["token.create", "token.revoke"],
    );
    const failed = await s.auditEvents({ result: "denied" });
    assert.ok(failed.some((e) => e.action === "auth.failed" && e.route === "/api/v1/whoami"));
    const cfg = await s.auditEvents({ action: "config" });
    assert.equal(cfg[0]?.action, "config.change", "first start records the configuration");

    const nd = await s.call("GET", "/api/v1/audit?format=ndjson&since=1h&direction=forward", { token: s.adminToken });
    assert.equal(nd.status, 200);
    assert.match(nd.headers.get("content-type") ?? "", /ndjson/);
    const lines = nd.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; time: string });
    assert.ok(lines.length >= 4);
    assert.ok(lines.every((l) => typeof l.time === "string" && l.time.endsWith("Z")));
    const times = lines.map((l) => l.time);
    assert.deepEqual([...times].sort(), times, "forward order");

    for (const [qs, field] of [
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["since=forever", "since"],
      ["start=yesterday", "start"],
      ["direction=up", "direction"],
      ["format=xml", "format"],
      ["result=maybe", "result"],
      ["bogus=1", "bogus"],
      ["since=1h&start=2024-01-01T00:00:00Z", "since"],
    ] as const) {
      const r = await s.call("GET", `/api/v1/audit?${qs}`, { token: s.adminToken });
      assert.equal(r.status, 400, qs);
      assert.ok((r.json() as { error: string }).error.startsWith(field), `${qs}: ${r.text}`);
    }
    const auditor = await createToken(s, { tenant: "a", roles: ["auditor"] });
    assert.equal((await s.call("GET", "/api/v1/whoami", { token: auditor.token })).status, 200);
    await s.server.ctx.audit.flush();
    const seen = await s.call("GET", "/api/v1/audit", { token: auditor.token });
    assert.equal(seen.status, 200);
    const events = (seen.json() as { events: { tenant: string }[] }).events;
    assert.ok(events.length > 0);
    assert.ok(
      events.every((e) => e.tenant === "a"),
      "a tenant-bound auditor sees only its tenant's events",
    );
  } finally {
    await s.close();
  }
});

test("hostile token and principal requests neither crash the server nor escalate", async () => {
  const s = await startTestServer();
  try {
    const raws: [string, number[]][] = [
      ['{"__proto__": {"roles": ["admin"]}, "tenant": "a", "roles": ["ingest"]}', [400]],
      ['{"constructor": {"prototype": {"admin": true}}, "tenant": "a", "roles": ["ingest"]}', [400]],
      ["[".repeat(5000) + "]".repeat(5000), [400]],
      ['{"tenant": "a", "roles": ["analyst"], "name": "' + "x".repeat(300) + '"}', [400]],
      ['{"tenant": "a", "roles": ["analyst"], "name": "bell\\u0007"}', [400]],
      ['{"tenant": "a", "roles": ["analyst"], "scope": "{a=\\"' + "y".repeat(5000) + '\\"}"}', [400]],
      ['{"tenant": "a", "roles": ["analyst", "analyst", "analyst", "analyst", "analyst"]}', [400]],
      ['{"tenant": "a", "roles": ["analyst"], "tenants": ' + JSON.stringify(Array.from({ length: 300 }, (_, i) => `t${i}`)) + "}", [400]],
      ['{"tenant": "a", "roles": ["analyst"], "expiresIn": "999999999y"}', [400]],
      ['{"tenant": "a", "roles": ["analyst"]', [400]],
      ["", [400]],
      ["null", [400]],
    ];
    for (const [raw, statuses] of raws) {
      const r = await s.call("POST", "/api/v1/tokens", { token: s.adminToken, raw, headers: { "content-type": "application/json" } });
      assert.ok(statuses.includes(r.status), `${raw.slice(0, 60)} -> ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(!r.text.includes("mlg_"), "no token was issued");
    }
    const ok = await s.call("POST", "/api/v1/tokens", { token: s.adminToken, body: { tenant: "a", roles: ["ingest"], name: "名前 ✓" } });
    assert.equal(ok.status, 201);
    const who = (await s.call("GET", "/api/v1/whoami", { token: (ok.json() as { token: string }).token })).json() as { roles: string[]; name: string };
    assert.deepEqual(who.roles, ["ingest"]);
    assert.equal(who.name, "名前 ✓");
    assert.equal(({} as Record<string, unknown>).admin, undefined, "no prototype pollution");
    assert.equal((await s.call("GET", "/ready")).status, 200, "still serving");
  } finally {
    await s.close();
  }
});

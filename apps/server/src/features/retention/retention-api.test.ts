// End-to-end tests of the retention API against an in-process server: policies, holds, deletions, disk guard.

import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyDataDir } from "@meshlog/storage";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";

const OLD = "2020-01-15T00:00:00Z";

async function ingest(s: TestServer, lines: { service: string; body: string; timestamp?: string }[]): Promise<void> {
  const raw = lines.map((l) => JSON.stringify({ timestamp: l.timestamp ?? OLD, body: l.body, labels: { service: l.service } })).join("\n") + "\n";
  const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw, headers: { "content-type": "application/x-ndjson" } });
  assert.equal(r.status, 200, r.text);
  await s.server.ctx.store.flush();
}

test("policies: admins set them, auditors read them, audit-window violations and malformed bodies are refused", async () => {
  const s = await startTestServer({ retention: { intervalSeconds: 3600 } });
  try {
    const initial = await s.call("GET", "/api/v1/retention/policies", { token: s.adminToken });
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.json(), { defaultRetention: "90d", auditWindowDays: 400, policies: [] });
    const put = await s.call("PUT", "/api/v1/retention/policies", {
      token: s.adminToken,
      body: { tenant: "a", default: "30d", rules: [{ selector: '{namespace="payments"}', retention: "400d" }] },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal((put.json() as { version: number }).version, 1);
    const refused: [unknown, number, string][] = [
      [{ tenant: "a", rules: [{ selector: '{source="audit"}', retention: "30d" }] }, 400, "RETENTION_POLICY_INVALID"],
      [{ tenant: "_audit", default: "90d", rules: [] }, 400, "RETENTION_POLICY_INVALID"],
      [{ tenant: "a", rules: [{ selector: "{namespace=", retention: "30d" }] }, 400, "RETENTION_POLICY_INVALID"],
      [{ tenant: "a", rules: [{ selector: '{a="b"}', retention: "1d" }], extra: 1 }, 400, "RETENTION_REQUEST_INVALID"],
      [{ tenant: "a" }, 400, "RETENTION_REQUEST_INVALID"],
      [{ tenant: "../x", rules: [] }, 400, "TENANT_INVALID"],
      ["not an object", 400, "RETENTION_REQUEST_INVALID"],
    ];
    for (const [body, status, code] of refused) {
      const r = await s.call("PUT", "/api/v1/retention/policies", { token: s.adminToken, body });
      assert.equal(r.status, status, `${JSON.stringify(body)} -> ${r.text}`);
      assert.equal((r.json() as { code: string }).code, code);
    }
    const auditor = await createToken(s, { tenant: "a", roles: ["auditor"] });
    const analyst = await createToken(s, { tenant: "a", roles: ["analyst"] });
    assert.equal((await s.call("GET", "/api/v1/retention/policies", { token: auditor.token })).status, 200);
    assert.equal((await s.call("PUT", "/api/v1/retention/policies", { token: auditor.token, body: { rules: [] } })).status, 403);
    assert.equal((await s.call("GET", "/api/v1/retention/policies", { token: analyst.token })).status, 403);
    const events = await s.auditEvents({ action: "retention.policy.update" });
    assert.ok(events.some((e) => e.result === "ok" && (e.details as Record<string, unknown>).version === 1));
    // The change is ledgered in the tenant's ledger.
    const ledger = (
      await (s.server.ctx.store as unknown as { ledger(t: string): Promise<{ raw: { entries(): { type: string; event?: { kind: string } }[] } }> }).ledger("a")
    ).raw;
    assert.ok(ledger.entries().some((e) => e.type === "event" && e.event?.kind === "retention.policy.changed"));
  } finally {
    await s.close();
  }
});

test("expired data is deleted by a run, held data survives until released, and certificates are served", async () => {
  const s = await startTestServer({ query: { maxQueryLengthHours: 200_000 } });
  try {
    await ingest(s, [
      { service: "api", body: "old api line" },
      { service: "held", body: "old held line" },
      { service: "fresh", body: "fresh line", timestamp: new Date().toISOString() },
    ]);
    const hold = await s.call("POST", "/api/v1/holds", { token: s.adminToken, body: { selector: '{service="held"}', reason: "litigation 42" } });
    assert.equal(hold.status, 201, hold.text);
    const holdId = (hold.json() as { id: string }).id;
    for (const bad of [{ selector: '{service="x"}' }, { selector: "{", reason: "r" }, { selector: '{a="b"}', reason: "r", until: "1999-01-01T00:00:00Z" }]) {
      const r = await s.call("POST", "/api/v1/holds", { token: s.adminToken, body: bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    const run1 = await s.call("POST", "/api/v1/retention/run", { token: s.adminToken });
    assert.equal(run1.status, 200, run1.text);
    const r1 = run1.json() as { deletedBlocks: number; heldBlocks: number };
    assert.equal(r1.deletedBlocks, 1);
    assert.equal(r1.heldBlocks, 1);
    const holds = (await s.call("GET", "/api/v1/holds", { token: s.adminToken })).json() as { holds: { id: string; active: boolean }[] };
    assert.deepEqual(
      holds.holds.map((h) => [h.id, h.active]),
      [[holdId, true]],
    );
    const analyst = await createToken(s, { tenant: "default", roles: ["analyst"] });
    assert.equal((await s.call("DELETE", `/api/v1/holds/${holdId}`, { token: analyst.token })).status, 403);
    assert.equal((await s.call("DELETE", `/api/v1/holds/hold-missing`, { token: s.adminToken })).status, 404);
    assert.equal((await s.call("DELETE", `/api/v1/holds/${holdId}`, { token: s.adminToken })).status, 200);
    const r2 = (await s.call("POST", "/api/v1/retention/run", { token: s.adminToken })).json() as { deletedBlocks: number };
    assert.equal(r2.deletedBlocks, 1);
    const list = (await s.call("GET", "/api/v1/deletions", { token: s.adminToken })).json() as {
      certificates: { id: string; kind: string; what: { records: number } }[];
    };
    const retention = list.certificates.filter((c) => c.kind === "retention");
    assert.equal(retention.length, 2);
    const one = await s.call("GET", `/api/v1/deletions/${retention[0]?.id}`, { token: s.adminToken });
    assert.equal(one.status, 200);
    assert.equal((one.json() as { what: { records: number } }).what.records, 1);
    assert.equal((await s.call("GET", "/api/v1/deletions/nope.1", { token: s.adminToken })).status, 404);
    const other = await createToken(s, { tenant: "other", roles: ["auditor"] });
    assert.equal(
      ((await s.call("GET", "/api/v1/deletions", { token: other.token })).json() as { certificates: unknown[] }).certificates.length,
      0,
      "another tenant's auditor sees no certificates",
    );
    assert.equal((await s.call("GET", `/api/v1/deletions/${retention[0]?.id}`, { token: other.token })).status, 404);
    const q = await s.call(
      "GET",
      `/loki/api/v1/query_range?query=${encodeURIComponent('{service=~".+"}')}&start=1500000000000000000&end=${BigInt(Date.now() + 3_600_000) * 1_000_000n}&limit=100`,
      { token: s.adminToken },
    );
    assert.equal(q.status, 200, q.text);
    assert.ok(q.text.includes("fresh line") && !q.text.includes("old api line") && !q.text.includes("old held line"));
    assert.ok((await s.auditEvents({ action: "retention.delete" })).length >= 2);
  } finally {
    await s.server.stop();
    const report = await verifyDataDir({ dataDir: s.dataDir });
    await s.close();
    assert.deepEqual(report.problems, []);
  }
});

test("ingest is refused with 507 STORAGE_DISK_FULL while free space is under the threshold", async () => {
  const s = await startTestServer({ retention: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER } });
  try {
    const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw: '{"body":"x"}\n', headers: { "content-type": "application/x-ndjson" } });
    assert.equal(r.status, 507, r.text);
    const body = r.json() as { code: string; error: string };
    assert.equal(body.code, "STORAGE_DISK_FULL");
    assert.match(body.error, /retention\.minFreeDiskBytes/);
  } finally {
    await s.close();
  }
});

test("POST /api/v1/deletions removes the matching lines, is certified, and queries stay exact", async () => {
  const s = await startTestServer();
  try {
    const base = Date.now() - 60_000;
    const at = (i: number): string => new Date(base + i * 1000).toISOString();
    await ingest(s, [
      { service: "users", body: "user alice logged in", timestamp: at(0) },
      { service: "users", body: "user bob logged in", timestamp: at(1) },
      { service: "users", body: "user carol logged in", timestamp: at(2) },
      { service: "other", body: "other line", timestamp: at(1) },
    ]);
    const analyst = await createToken(s, { tenant: "default", roles: ["analyst"] });
    const body = { selector: '{service="users"}', start: at(1), end: new Date(base + 1500).toISOString(), reason: "GDPR erasure for bob" };
    assert.equal((await s.call("POST", "/api/v1/deletions", { token: analyst.token, body })).status, 403);
    for (const bad of [
      { ...body, start: "yesterday" },
      { ...body, selector: "{" },
      { ...body, reason: "" },
      { ...body, extra: 1 },
    ]) {
      const r = await s.call("POST", "/api/v1/deletions", { token: s.adminToken, body: bad });
      assert.equal(r.status, 400, `${JSON.stringify(bad)} -> ${r.text}`);
    }
    const r = await s.call("POST", "/api/v1/deletions", { token: s.adminToken, body });
    assert.equal(r.status, 200, r.text);
    const out = r.json() as { request: { state: string; droppedRecords: number }; certificate: { id: string; kind: string } };
    assert.equal(out.request.state, "done");
    assert.equal(out.request.droppedRecords, 1);
    assert.equal(out.certificate.kind, "deletion-request");
    const got = await s.call("GET", `/api/v1/deletions/${out.certificate.id}`, { token: s.adminToken });
    assert.equal(got.status, 200);
    const q = await s.call(
      "GET",
      `/loki/api/v1/query_range?query=${encodeURIComponent('{service=~".+"}')}&start=${BigInt(base - 60_000) * 1_000_000n}&end=${BigInt(Date.now() + 60_000) * 1_000_000n}&limit=100`,
      { token: s.adminToken },
    );
    assert.equal(q.status, 200, q.text);
    for (const kept of ["alice", "carol", "other line"]) assert.ok(q.text.includes(kept), kept);
    assert.ok(!q.text.includes("bob"));
    assert.ok((await s.auditEvents({ action: "deletion.request" })).some((e) => e.result === "ok"));
  } finally {
    await s.server.stop();
    const report = await verifyDataDir({ dataDir: s.dataDir });
    await s.close();
    assert.deepEqual(report.problems, []);
  }
});

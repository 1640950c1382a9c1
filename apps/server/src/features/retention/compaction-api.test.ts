// API tests: POST /api/v1/compaction/run and the Loki-compatible delete API (/loki/api/v1/delete), with auth and verify.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { verifyDataDir } from "@meshlog/storage";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";

async function ingest(s: TestServer, lines: { service: string; body: string; timestamp: string }[]): Promise<void> {
  const raw = lines.map((l) => JSON.stringify({ timestamp: l.timestamp, body: l.body, labels: { service: l.service } })).join("\n") + "\n";
  const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw, headers: { "content-type": "application/x-ndjson" } });
  assert.equal(r.status, 200, r.text);
  await s.server.ctx.store.flush();
}

async function bodies(s: TestServer, fromMs: number): Promise<string[]> {
  const q = await s.call(
    "GET",
    `/loki/api/v1/query_range?query=${encodeURIComponent('{service=~".+"}')}&start=${BigInt(fromMs - 60_000) * 1_000_000n}&end=${BigInt(Date.now() + 60_000) * 1_000_000n}&limit=1000`,
    { token: s.adminToken },
  );
  assert.equal(q.status, 200, q.text);
  const data = q.json() as { data: { result: { values: [string, string][] }[] } };
  return data.data.result.flatMap((r) => r.values.map((v) => v[1])).sort();
}

test("POST /api/v1/compaction/run merges small blocks (admin only, audited) and queries and verify stay exact", async () => {
  const s = await startTestServer({ retention: { intervalSeconds: 3600, compaction: { enabled: false } } });
  const base = Date.now() - 120_000;
  try {
    for (let i = 0; i < 4; i++) await ingest(s, [{ service: "api", body: `line ${i}`, timestamp: new Date(base + i * 1000).toISOString() }]);
    await ingest(s, [{ service: "web", body: "lonely", timestamp: new Date(base).toISOString() }]);
    const before = await bodies(s, base);
    assert.equal(before.length, 5);
    const analyst = await createToken(s, { tenant: "default", roles: ["analyst"] });
    const auditor = await createToken(s, { tenant: "default", roles: ["auditor"] });
    assert.equal((await s.call("POST", "/api/v1/compaction/run", { token: analyst.token })).status, 403);
    assert.equal((await s.call("POST", "/api/v1/compaction/run", { token: auditor.token })).status, 403);
    const r = await s.call("POST", "/api/v1/compaction/run", { token: s.adminToken });
    assert.equal(r.status, 200, r.text);
    const summary = r.json() as { tenants: number; merged: number; sourceBlocks: number; newBlocks: number };
    // The tenant's four one-line blocks of {service="api"} become one (the audit tenant's small blocks merge too).
    assert.ok(summary.merged >= 1 && summary.newBlocks === summary.merged && summary.sourceBlocks >= 4 && summary.tenants >= 1, r.text);
    const blocks = [...(s.server.ctx.store as unknown as { catalog(t: string): { blocks(): Iterable<{ rows: number }> } }).catalog("default").blocks()];
    assert.deepEqual(blocks.map((b) => b.rows).sort(), [1, 4]);
    assert.deepEqual(await bodies(s, base), before);
    const events = await s.auditEvents({ action: "compaction.run" });
    assert.ok(
      events.some((e) => e.result === "ok" && (e.details as Record<string, unknown>).merged === summary.merged),
      JSON.stringify(events),
    );
    // Compaction is not a deletion: nothing is certified or listed.
    const deletions = await s.call("GET", "/api/v1/deletions", { token: auditor.token });
    assert.deepEqual((deletions.json() as { certificates: unknown[] }).certificates, []);
  } finally {
    await s.server.stop();
    // Stopping removed the compacted source files that were waiting for running queries.
    const files = (await readdir(join(s.dataDir, "tenants", "default", "blocks"))).filter((f) => f.endsWith(".blk"));
    assert.equal(files.length, 2);
    const report = await verifyDataDir({ dataDir: s.dataDir });
    await s.close();
    assert.deepEqual(report.problems, []);
  }
});

test("the Loki delete API queues, lists, cancels and (via the retention job) executes line-filtered deletions", async () => {
  const s = await startTestServer({ retention: { intervalSeconds: 3600, deleteCancelSeconds: 0.05 } });
  const base = Date.now() - 120_000;
  const at = (i: number): string => new Date(base + i * 1000).toISOString();
  try {
    await ingest(s, [
      { service: "users", body: "login ok user=alice", timestamp: at(0) },
      { service: "users", body: "leaked-value user=bob", timestamp: at(1) },
      { service: "users", body: "login ok user=carol", timestamp: at(2) },
      { service: "other", body: "leaked-value elsewhere", timestamp: at(1) },
    ]);
    const analyst = await createToken(s, { tenant: "default", roles: ["analyst"] });
    const auditor = await createToken(s, { tenant: "default", roles: ["auditor"] });
    const startS = Math.floor(base / 1000) - 10;
    const endS = Math.ceil(Date.now() / 1000) + 10;
    const url = (q: string, extra = ""): string => `/loki/api/v1/delete?query=${encodeURIComponent(q)}&start=${startS}&end=${endS}${extra}`;
    assert.equal((await s.call("POST", url('{service="users"} |= "leaked"'), { token: analyst.token })).status, 403);
    assert.equal((await s.call("POST", url('{service="users"} |= "leaked"'), { token: auditor.token })).status, 403);
    const refused: [string, string][] = [
      [`/loki/api/v1/delete?start=${startS}`, "query"],
      [url("{service="), "query"],
      [url('sum(count_over_time({service="users"}[1m]))'), "query"],
      [url('{service="users"} | json'), "query"],
      [url('{service="users"} |~ "(unclosed"'), "query"],
      [`/loki/api/v1/delete?query=${encodeURIComponent('{service="users"}')}`, "start"],
      [`/loki/api/v1/delete?query=${encodeURIComponent('{service="users"}')}&start=yesterday`, "start"],
      [`/loki/api/v1/delete?query=${encodeURIComponent('{service="users"}')}&start=${endS}&end=${startS}`, "start"],
    ];
    for (const [path, name] of refused) {
      const r = await s.call("POST", path, { token: s.adminToken });
      assert.equal(r.status, 400, `${path} -> ${r.text}`);
      assert.match((r.json() as { error: string }).error, new RegExp(`parameter ${name}`), r.text);
    }
    // Queue two requests; cancel one before it is processed.
    const keep = await s.call("POST", url('{service="users"} |= "alice"'), { token: s.adminToken });
    assert.equal(keep.status, 204, keep.text);
    const del = await s.call("PUT", url('{service="users"} |= "leaked"'), { token: s.adminToken });
    assert.equal(del.status, 204, del.text);
    const listed = await s.call("GET", "/loki/api/v1/delete", { token: auditor.token });
    assert.equal(listed.status, 200, listed.text);
    const reqs = listed.json() as { request_id: string; query: string; status: string; start_time: number; end_time: number; created_at: number }[];
    assert.equal(reqs.length, 2);
    for (const r of reqs) {
      assert.equal(r.status, "received");
      assert.equal(r.start_time, startS);
      assert.equal(r.end_time, endS);
      assert.ok(r.created_at > startS);
    }
    const alice = reqs.find((r) => r.query.includes("alice"));
    assert.equal((await s.call("DELETE", `/loki/api/v1/delete?request_id=${alice?.request_id}`, { token: analyst.token })).status, 403);
    assert.equal((await s.call("DELETE", "/loki/api/v1/delete", { token: s.adminToken })).status, 400);
    assert.equal((await s.call("DELETE", "/loki/api/v1/delete?request_id=dr-0000000000000000", { token: s.adminToken })).status, 404);
    assert.equal((await s.call("DELETE", `/loki/api/v1/delete?request_id=${alice?.request_id}`, { token: s.adminToken })).status, 204);
    // The retention job executes the due request: only the matching lines go.
    await new Promise((r) => setTimeout(r, 100));
    const run = await s.call("POST", "/api/v1/retention/run", { token: s.adminToken });
    assert.equal(run.status, 200, run.text);
    const job = run.json() as { deletionRequests: string[]; compaction?: { merged: number } };
    assert.equal(job.deletionRequests.length, 1);
    assert.equal(typeof job.compaction?.merged, "number", "the job also compacts (retention.compaction.enabled)");
    assert.deepEqual(await bodies(s, base), ["leaked-value elsewhere", "login ok user=alice", "login ok user=carol"]);
    const after = (await s.call("GET", "/loki/api/v1/delete", { token: s.adminToken })).json() as { request_id: string; status: string }[];
    assert.deepEqual(
      after.map((r) => r.status),
      ["processed"],
    );
    const processed = await s.call("DELETE", `/loki/api/v1/delete?request_id=${after[0]?.request_id}`, { token: s.adminToken });
    assert.equal(processed.status, 400, processed.text);
    const certs = (await s.call("GET", "/api/v1/deletions", { token: auditor.token })).json() as { certificates: { kind: string }[] };
    assert.deepEqual(
      certs.certificates.map((c) => c.kind),
      ["deletion-request"],
    );
    // Another tenant sees none of it.
    const other = await createToken(s, { tenant: "other", roles: ["admin"] });
    assert.deepEqual((await s.call("GET", "/loki/api/v1/delete", { token: other.token })).json(), []);
    assert.equal((await s.call("DELETE", `/loki/api/v1/delete?request_id=${after[0]?.request_id}`, { token: other.token })).status, 404);
  } finally {
    await s.server.stop();
    const report = await verifyDataDir({ dataDir: s.dataDir });
    await s.close();
    assert.deepEqual(report.problems, []);
  }
});

test("POST /api/v1/deletions accepts a query with line filters instead of a selector", async () => {
  const s = await startTestServer({ retention: { intervalSeconds: 3600 } });
  const base = Date.now() - 120_000;
  const at = (i: number): string => new Date(base + i * 1000).toISOString();
  try {
    await ingest(s, [
      { service: "users", body: "login ok user=alice", timestamp: at(0) },
      { service: "users", body: "leaked-value user=bob", timestamp: at(1) },
    ]);
    const body = { start: at(-10), end: at(10), reason: "leak" };
    for (const bad of [{ ...body, query: '{service="users"} | json' }, { ...body, query: '{service="users"}', selector: '{service="users"}' }, body]) {
      const r = await s.call("POST", "/api/v1/deletions", { token: s.adminToken, body: bad });
      assert.equal(r.status, 400, `${JSON.stringify(bad)} -> ${r.text}`);
    }
    const r = await s.call("POST", "/api/v1/deletions", { token: s.adminToken, body: { ...body, query: '{service="users"} |= "leaked"' } });
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json() as { request: { droppedRecords: number } }).request.droppedRecords, 1);
    assert.deepEqual(await bodies(s, base), ["login ok user=alice"]);
  } finally {
    await s.server.stop();
    const report = await verifyDataDir({ dataDir: s.dataDir });
    await s.close();
    assert.deepEqual(report.problems, []);
  }
});

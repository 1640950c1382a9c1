// GET /api/v1/anomalies on a real server: anomalies of an Envoy 503/UF burst and of TLS handshake failures, detected
// by the job (stepped with a ManualClock) from lines sent through native ingest; roles, tenant isolation, label scope,
// filters, the audit event, and LogQL over the anomaly records.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ManualClock, silentLogger } from "@meshlog/core";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";
import { anomaliesConfigSchema } from "./anomalies-config.js";
import type { AnomalyView } from "./anomaly-records.js";
import { AnomalyService } from "./anomaly-service.js";

const S = 1_000_000_000n;
const INTERVAL = 60n * S;

let s: TestServer;
const tok: Record<string, string> = {};

function envoyLine(i: number, status: number, flags: string): string {
  return `[2026-11-25T06:00:00.000Z] "GET /api/cart/${i} HTTP/1.1" ${status} ${flags} 0 91 3 2 "-" "curl/8.0" "req-${i}" "cart.shop:8080" "10.0.0.5:8080"`;
}

async function ingest(token: string, lines: { ts: bigint; body: string; labels: Record<string, string> }[]): Promise<void> {
  const raw = lines.map((l) => JSON.stringify({ timestamp: l.ts.toString(), body: l.body, labels: l.labels })).join("\n") + "\n";
  const r = await s.call("POST", "/api/v1/ingest", { token, raw, headers: { "content-type": "application/x-ndjson" } });
  assert.equal(r.status, 200, r.text);
}

/** One interval of traffic: checkout access logs (with an optional 503/UF burst) and cron lines (with optional TLS errors). */
function traffic(start: bigint, k: number, burst: boolean): { ts: bigint; body: string; labels: Record<string, string> }[] {
  const out: { ts: bigint; body: string; labels: Record<string, string> }[] = [];
  const n = 100 + (k % 4);
  const at = (i: number, m: number): bigint => start + 1_000_000n + (BigInt(i) * (INTERVAL - 2_000_000n)) / BigInt(m);
  for (let i = 0; i < n; i++) {
    const fail = burst && i % 10 < 6;
    out.push({ ts: at(i, n), body: envoyLine(i, fail ? 503 : 200, fail ? "UF" : "-"), labels: { namespace: "shop", service: "checkout" } });
  }
  for (let i = 0; i < 20; i++) out.push({ ts: at(i, 20), body: `cron tick job=backup step=${i}`, labels: { namespace: "ops", service: "cron" } });
  if (burst)
    for (let i = 0; i < 12; i++)
      out.push({
        ts: at(i, 12) + 5n,
        body: `[C${i}] TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`,
        labels: { namespace: "ops", service: "cron" },
      });
  return out;
}

async function anomalies(
  token: string | undefined,
  query = "since=1h",
  headers?: Record<string, string>,
): Promise<{ status: number; list: AnomalyView[]; text: string }> {
  const r = await s.call("GET", `/api/v1/anomalies?${query}`, { token, ...(headers !== undefined ? { headers } : {}) });
  return { status: r.status, text: r.text, list: r.status === 200 ? (r.json() as { anomalies: AnomalyView[] }).anomalies : [] };
}

describe("GET /api/v1/anomalies", () => {
  before(async () => {
    s = await startTestServer({ anomalies: { enabled: false } });
    const mk = async (name: string, spec: Record<string, unknown>): Promise<void> => {
      tok[name] = (await createToken(s, spec)).token;
    };
    await mk("ingestA", { tenant: "alpha", roles: ["ingest"] });
    await mk("ingestB", { tenant: "bravo", roles: ["ingest"] });
    await mk("analystA", { tenant: "alpha", roles: ["analyst"] });
    await mk("scopedA", { tenant: "alpha", roles: ["analyst"], scope: '{namespace="shop"}' });
    await mk("auditorA", { tenant: "alpha", roles: ["auditor"] });
    await mk("analystB", { tenant: "bravo", roles: ["analyst"] });
    const clock = new ManualClock(((BigInt(Date.now()) * 1_000_000n) / INTERVAL) * INTERVAL - 20n * INTERVAL);
    const config = anomaliesConfigSchema.parse({ intervalSeconds: 60, delaySeconds: 0 });
    const service = new AnomalyService({ store: s.server.ctx.store, clock, log: silentLogger, config, dataDir: join(s.dataDir, "job-under-test") });
    clock.advance(INTERVAL);
    await service.runOnce();
    for (let k = 0; k < 9; k++) {
      const start = clock.nowNs();
      await ingest(tok.ingestA as string, traffic(start, k, k === 8));
      await ingest(tok.ingestB as string, traffic(start, k, false));
      clock.advance(INTERVAL);
      const r = await service.runOnce();
      if (k < 8)
        assert.deepEqual(
          r.anomalies.map((a) => a.kind),
          [],
          `interval ${k} is steady`,
        );
    }
    await service.close();
  });

  after(async () => {
    await s.close();
  });

  test("an analyst of the tenant gets the mesh anomalies of the burst, parsed from real Envoy lines", async () => {
    const r = await anomalies(tok.analystA);
    assert.equal(r.status, 200, r.text);
    const kinds = new Set(r.list.map((a) => a.kind));
    for (const k of ["mesh-5xx", "upstream-connect-failure", "tls-handshake-failure"]) assert.ok(kinds.has(k), `${k} in ${[...kinds].join(",")}`);
    const mesh = r.list.find((a) => a.kind === "mesh-5xx") as AnomalyView;
    assert.deepEqual(mesh.labels, { namespace: "shop", service: "checkout" });
    assert.equal(mesh.detector, "mesh");
    assert.equal(mesh.severity, "error");
    assert.ok(mesh.observed > 0.5 && mesh.baseline === 0 && mesh.score >= 4, JSON.stringify(mesh));
    assert.match(mesh.message, /^5xx ratio \d+(\.\d)?% \(\d+ of \d+\), usually 0%$/);
    const tls = r.list.find((a) => a.kind === "tls-handshake-failure") as AnomalyView;
    assert.deepEqual(tls.labels, { namespace: "ops", service: "cron" });
    assert.equal(tls.observed, 12);
  });

  test("an auditor of the tenant may read them too; ingest-only tokens and anonymous callers may not", async () => {
    assert.equal((await anomalies(tok.auditorA)).list.length, (await anomalies(tok.analystA)).list.length);
    assert.equal((await anomalies(tok.ingestA)).status, 403);
    assert.equal((await anomalies(undefined)).status, 401);
  });

  test("another tenant never sees them, even by asking for the tenant", async () => {
    const b = await anomalies(tok.analystB);
    assert.equal(b.status, 200);
    assert.deepEqual(b.list, [], "tenant bravo had steady traffic only");
    const cross = await anomalies(tok.analystA, "since=1h", { "x-scope-orgid": "bravo" });
    assert.equal(cross.status, 403);
    const cross2 = await anomalies(tok.analystB, "since=1h", { "x-scope-orgid": "alpha" });
    assert.equal(cross2.status, 403);
    assert.ok(!cross2.text.includes("checkout"));
  });

  test("a label-scoped token sees only anomalies about streams its scope may read", async () => {
    const r = await anomalies(tok.scopedA);
    assert.equal(r.status, 200);
    assert.ok(r.list.length > 0);
    assert.ok(r.list.some((a) => a.kind === "mesh-5xx"));
    for (const a of r.list) assert.equal(a.labels.namespace, "shop", JSON.stringify(a));
    assert.ok(!r.text.includes('"ops"'));
  });

  test("kind and limit filter; bad parameters get a 400 naming them", async () => {
    const only = await anomalies(tok.analystA, "since=1h&kind=tls-handshake-failure");
    assert.deepEqual(
      only.list.map((a) => a.kind),
      ["tls-handshake-failure"],
    );
    assert.equal((await anomalies(tok.analystA, "since=1h&limit=1")).list.length, 1);
    const bad = await s.call("GET", "/api/v1/anomalies?kind=bogus", { token: tok.analystA });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json() as { code: string }).code, "ANOMALY_PARAM_INVALID");
    assert.match(bad.text, /kind: unknown kind \\"bogus\\"/);
    const old = await anomalies(tok.analystA, `start=${Date.now() * 1e6 - 7200e9}&end=${Date.now() * 1e6 - 3600e9}`);
    assert.equal(old.status, 200);
    assert.deepEqual(old.list, []);
  });

  test("every read is audited as a query with its row count", async () => {
    const events = await s.auditEvents({ action: "query.anomalies", tenant: "alpha" });
    assert.ok(events.length >= 3);
    const ok = events.find((e) => e.result === "ok" && (e.rows as number) > 0);
    assert.ok(ok !== undefined, JSON.stringify(events.slice(0, 3)));
    assert.equal(ok.route, "/api/v1/anomalies");
    assert.ok(
      events.some((e) => e.result === "denied"),
      "refused reads are audited too",
    );
  });

  test("the anomaly records are alertable with LogQL", async () => {
    const q = encodeURIComponent('sum by (detector) (count_over_time({source="meshlog", kind="anomaly"}[1h]))');
    const r = await s.call("GET", `/loki/api/v1/query?query=${q}`, { token: tok.analystA });
    assert.equal(r.status, 200, r.text);
    const result = (r.json() as { data: { result: { metric: { detector: string }; value: [number, string] }[] } }).data.result;
    const mesh = result.find((x) => x.metric.detector === "mesh");
    assert.ok(mesh !== undefined && Number(mesh.value[1]) >= 3, JSON.stringify(result));
  });
});

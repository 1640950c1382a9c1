// End-to-end tests of the SOC 2 evidence report against an in-process server with data in two tenants.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";
import { INCIDENTS_SERVICE } from "./incident-provider.js";
import type { ReportSection, Soc2Report } from "./report-model.js";
import { EmbeddedStore, NodeFileSystem, trustedPublicKeysIn, verifyReport, type Ledger, type ReportVerification } from "@meshlog/storage";

const HOSTILE = `<img src=x onerror=alert(1)>"'&`;
const WEBHOOK = "https://hooks.example.invalid/services/T000/SECRET-WEBHOOK-PATH";
const HEADER_SECRET = "webhook-header-secret-7f3a";

async function ingest(s: TestServer, tenant: string, lines: { labels: Record<string, string>; body: string }[]): Promise<void> {
  const now = Date.now();
  const raw = lines.map((l, i) => JSON.stringify({ timestamp: new Date(now - 60_000 + i).toISOString(), body: l.body, labels: l.labels })).join("\n") + "\n";
  const r = await s.call("POST", "/api/v1/ingest", { token: s.adminToken, raw, headers: { "content-type": "application/x-ndjson", "x-scope-orgid": tenant } });
  assert.equal(r.status, 200, r.text);
}

const sectionOf = (r: Soc2Report, id: string): ReportSection => {
  const s = r.sections.find((x) => x.id === id);
  assert.ok(s, `section ${id} is present`);
  return s;
};

interface Fixture {
  s: TestServer;
  auditor: { id: string; token: string };
  analyst: { id: string; token: string };
  secrets: string[];
  holdId: string;
}

async function fixture(): Promise<Fixture> {
  const s = await startTestServer({ query: { maxQueryLengthHours: 200_000 } });
  await ingest(s, "a", [
    { labels: { service: "api" }, body: "GET /orders 200" },
    { labels: { service: "pay" }, body: "charge ok" },
    { labels: { service: "tmp" }, body: "customer email x@example.com" },
    { labels: { service: HOSTILE }, body: "hostile label value" },
  ]);
  await ingest(s, "b", [{ labels: { service: "bravo-only-service" }, body: "tenant b line" }]);
  await s.server.ctx.store.flush();
  const auditor = await createToken(s, { tenant: "a", roles: ["auditor"], expiresIn: "30d", name: "auditor-a" });
  const analyst = await createToken(s, { tenant: "a", roles: ["analyst"], name: "analyst-a" });
  const ingestB = await createToken(s, { tenant: "b", roles: ["ingest"], expiresIn: "7d" });
  const put = await s.call("PUT", "/api/v1/retention/policies", {
    token: s.adminToken,
    body: { tenant: "a", default: "30d", rules: [{ selector: '{service="pay"}', retention: "400d" }] },
  });
  assert.equal(put.status, 200, put.text);
  const hold = await s.call("POST", "/api/v1/holds", {
    token: s.adminToken,
    body: { tenant: "a", selector: '{service="api"}', reason: `litigation ${HOSTILE}` },
  });
  assert.equal(hold.status, 201, hold.text);
  const del = await s.call("POST", "/api/v1/deletions", {
    token: s.adminToken,
    body: { tenant: "a", selector: '{service="tmp"}', start: new Date(Date.now() - 3_600_000).toISOString(), end: new Date().toISOString(), reason: "DSAR 7" },
  });
  assert.equal(del.status, 200, del.text);
  // A webhook receiver of the alerting feature: its URL and headers are secrets the report must never show.
  const receiver = await s.call("POST", "/api/v1/alerting/receivers", {
    token: s.adminToken,
    body: { tenant: "a", name: "ops", kind: "webhook", url: WEBHOOK, headers: { Authorization: `Bearer ${HEADER_SECRET}` } },
  });
  assert.equal(receiver.status, 201, receiver.text);
  for (let i = 0; i < 12; i++) assert.equal((await s.call("GET", "/api/v1/tokens", { token: analyst.token })).status, 403);
  assert.equal((await s.call("GET", "/api/v1/tokens", { token: "mlg_not-a-real-token" })).status, 401);
  const mk = readFileSync(join(s.dataDir, "keys", "master.key")).subarray(12);
  const signingKey = readFileSync(join(s.dataDir, "keys", "ledger-signing.key"), "utf8").split("\n")[1] ?? "";
  const secrets = [
    s.adminToken,
    auditor.token,
    analyst.token,
    ingestB.token,
    mk.toString("hex"),
    mk.toString("base64"),
    mk.toString("base64url"),
    signingKey,
    WEBHOOK,
    "SECRET-WEBHOOK-PATH",
    HEADER_SECRET,
  ];
  return { s, auditor, analyst, secrets, holdId: (hold.json() as { id: string }).id };
}

async function report(s: TestServer, token: string, query: string): Promise<{ status: number; text: string }> {
  return s.call("GET", `/api/v1/reports/soc2${query}`, { token });
}

test("an admin's report shows every section with the evidence and status the data calls for, signed and anchored", async () => {
  const f = await fixture();
  const { s } = f;
  try {
    s.server.ctx.services.set(INCIDENTS_SERVICE, {
      incidents: () => [
        {
          id: "inc-1",
          rule: "HighErrorRate",
          tenant: "a",
          status: "resolved",
          startedAt: "2026-01-01T00:00:00Z",
          acknowledgedAt: "2026-01-01T00:05:00Z",
          resolvedAt: "2026-01-01T01:00:00Z",
          webhook: WEBHOOK,
        },
        { id: "inc-2", rule: "Silence", tenant: "a", status: "firing", startedAt: "2026-01-02T00:00:00Z" },
      ],
    });
    const res = await report(s, s.adminToken, "?verify=run");
    assert.equal(res.status, 200, res.text);
    const r = JSON.parse(res.text) as Soc2Report;
    assert.deepEqual(
      r.sections.map((x) => x.id),
      ["sources", "retention", "integrity", "encryption", "access-review", "access-activity", "incidents", "deletions", "changes"],
    );
    assert.deepEqual(r.tenants, ["a", "b"]);
    for (const x of r.sections) assert.ok(x.criteria.length > 0 && ["pass", "attention", "fail"].includes(x.status), x.id);

    const streams = sectionOf(r, "sources").data.streams as { tenant: string; labels: Record<string, string>; records: number }[];
    assert.ok(streams.some((x) => x.tenant === "a" && x.labels.service === "api" && x.records === 1));
    assert.ok(streams.some((x) => x.tenant === "b" && x.labels.service === "bravo-only-service"));

    const retention = sectionOf(r, "retention");
    assert.equal(retention.status, "attention");
    const ta = (
      retention.data.tenants as {
        tenant: string;
        policy: { version: number };
        streams: { labels: Record<string, string>; retentionDays: number; holds: string[] }[];
      }[]
    ).find((t) => t.tenant === "a");
    assert.equal(ta?.policy.version, 1);
    assert.equal(ta?.streams.find((x) => x.labels.service === "pay")?.retentionDays, 400);
    assert.deepEqual(ta?.streams.find((x) => x.labels.service === "api")?.holds, [f.holdId]);
    assert.ok((retention.data.holds as { id: string; active: boolean }[]).some((h) => h.id === f.holdId && h.active));
    assert.ok(retention.findings.some((x) => x.message.includes("shorter than the 400-day audit window")));

    const integrity = sectionOf(r, "integrity");
    assert.equal(integrity.status, "pass", JSON.stringify(integrity.findings));
    assert.equal((integrity.data.verification as { ok: boolean; ranForThisReport: boolean }).ranForThisReport, true);
    const ledgers = integrity.data.ledgers as { tenant: string; latestCheckpoint: unknown }[];
    assert.deepEqual(
      ledgers.map((l) => l.tenant),
      ["a", "b", "_audit"],
    );
    assert.ok(ledgers.every((l) => l.latestCheckpoint !== null));

    const enc = sectionOf(r, "encryption");
    assert.match(JSON.stringify(enc.data), /AES-256-GCM/);
    assert.ok(enc.findings.some((x) => x.message.includes("master key is a file")));
    assert.ok(enc.findings.some((x) => x.message.includes("plaintext listener(s) on loopback only: http")));

    const access = sectionOf(r, "access-review");
    const tokens = access.data.tokens as { id: string; flags: string[]; lastUsedAt: string | null }[];
    assert.ok(tokens.find((t) => t.id === f.analyst.id)?.flags.includes("no expiry"));
    assert.deepEqual(tokens.find((t) => t.id === f.auditor.id)?.flags, []);
    assert.ok((access.data.admins as string[]).includes("bootstrap-admin"));
    assert.equal(access.status, "attention");

    const activity = sectionOf(r, "access-activity");
    const analystRow = (activity.data.principals as { principal: string; denied: number }[]).find((p) => p.principal === `svc-${f.analyst.id}`);
    assert.ok(analystRow !== undefined && analystRow.denied >= 12, JSON.stringify(analystRow));
    assert.ok((activity.data.deniedBursts as { who: string }[]).some((b) => b.who === `svc-${f.analyst.id}`));
    assert.equal(activity.status, "attention");

    const incidents = sectionOf(r, "incidents");
    const inc = incidents.data.incidents as { id: string; secondsToAcknowledge: number | null; secondsToResolve: number | null }[];
    assert.deepEqual(
      inc.map((i) => [i.id, i.secondsToAcknowledge, i.secondsToResolve]),
      [
        ["inc-1", 300, 3600],
        ["inc-2", null, null],
      ],
    );
    assert.ok(incidents.findings.some((x) => x.message.includes("never acknowledged: inc-2")));

    const deletions = sectionOf(r, "deletions");
    const certs = deletions.data.certificates as { id: string; kind: string; tenant: string; records: number; anchoredInLedger: boolean; policy: string }[];
    const cert = certs.find((c) => c.kind === "deletion-request" && c.tenant === "a");
    assert.ok(cert !== undefined && cert.records === 1 && cert.anchoredInLedger && cert.policy.includes("DSAR 7"), JSON.stringify(deletions.data));
    assert.deepEqual(
      (deletions.data.requests as { reason: string; state: string; certificate: string }[]).map((q) => [q.reason, q.state, q.certificate]),
      [["DSAR 7", "done", cert.id]],
    );

    const changes = (sectionOf(r, "changes").data.changes as { action: string }[]).map((c) => c.action);
    for (const a of ["token.create", "retention.policy.update", "hold.create", "deletion.request", "alert.receiver.update"])
      assert.ok(changes.includes(a), `${a} in change history`);

    // Anchored: the audit ledger holds the report's hash; the signature verifies; the action is audited.
    assert.equal(r.anchor.tenant, "_audit");
    assert.equal(r.signature.alg, "Ed25519");
    const v = await s.call("POST", "/api/v1/reports/verify", { token: s.adminToken, body: r });
    assert.equal(v.status, 200, v.text);
    assert.deepEqual((v.json() as ReportVerification).ok, true, v.text);
    const audited = await s.auditEvents({ action: "report.generate" });
    assert.ok(audited.some((e) => (e.details as Record<string, unknown>).reportId === r.reportId));

    // No secret anywhere: tokens, master key, signing key, webhook URLs.
    const html = await report(s, s.adminToken, "?format=html&verify=latest");
    assert.equal(html.status, 200);
    for (const secret of f.secrets) {
      assert.ok(!res.text.includes(secret), `JSON report leaks ${secret.slice(0, 12)}…`);
      assert.ok(!html.text.includes(secret), `HTML report leaks ${secret.slice(0, 12)}…`);
    }
  } finally {
    await s.close();
  }
});

test("HTML escapes hostile label values and hold reasons, carries no script and shows the signature block", async () => {
  const f = await fixture();
  try {
    const res = await report(f.s, f.s.adminToken, "?format=html&tenant=a");
    assert.equal(res.status, 200, res.text);
    assert.ok(!/<script/i.test(res.text));
    assert.ok(!res.text.includes("<img"), "the hostile value is not live markup");
    assert.ok(res.text.includes("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"));
    assert.match(res.text, /Signature and ledger anchor/);
    assert.match(res.text, /BEGIN PUBLIC KEY/);
    assert.ok(!res.text.includes("bravo-only-service"), "a report for tenant a shows nothing of tenant b");
  } finally {
    await f.s.close();
  }
});

test("an auditor of tenant a sees only tenant a, an analyst is refused, and bad parameters are named", async () => {
  const f = await fixture();
  const { s } = f;
  try {
    const res = await report(s, f.auditor.token, "");
    assert.equal(res.status, 200, res.text);
    const r = JSON.parse(res.text) as Soc2Report;
    assert.deepEqual(r.tenants, ["a"]);
    assert.ok(!res.text.includes("bravo-only-service"));
    const ledgers = (sectionOf(r, "integrity").data.ledgers as { tenant: string }[]).map((l) => l.tenant);
    assert.deepEqual(ledgers, ["a", "_audit"]);
    assert.ok((sectionOf(r, "incidents").findings[0]?.message ?? "").includes("no alerting configured"));
    assert.equal((await report(s, f.auditor.token, "?tenant=b")).status, 403);
    assert.equal((await report(s, f.analyst.token, "")).status, 403);
    // A label-scoped auditor would read other streams' labels (source inventory) and the audit trail's queries.
    const scoped = await createToken(s, { tenant: "a", roles: ["auditor"], scope: '{service="api"}' });
    const refused = await report(s, scoped.token, "");
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /read scope/);
    assert.ok(!refused.text.includes("charge ok") && !refused.text.includes('"pay"'));
    const bad: [string, string][] = [
      ["?start=yesterday", "start"],
      ["?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", "start"],
      ["?format=pdf", "format"],
      ["?verify=maybe", "verify"],
      ["?tenant=_audit", "tenant"],
      ["?colour=red", "colour"],
    ];
    for (const [q, field] of bad) {
      const b = await report(s, s.adminToken, q);
      assert.equal(b.status, 400, q);
      const body = JSON.parse(b.text) as { code: string; error: string };
      assert.equal(body.code, "REPORT_REQUEST_INVALID");
      assert.ok(body.error.includes(field), body.error);
    }
  } finally {
    await s.close();
  }
});

test("changing any field of a signed report makes verification fail, naming the signature or the anchor", async () => {
  const f = await fixture();
  const { s } = f;
  try {
    const res = await report(s, s.adminToken, "?tenant=a");
    assert.equal(res.status, 200, res.text);
    const original = JSON.parse(res.text) as Record<string, unknown>;
    const verify = async (body: unknown): Promise<ReportVerification> => {
      const v = await s.call("POST", "/api/v1/reports/verify", { token: f.auditor.token, body });
      assert.equal(v.status, 200, v.text);
      return v.json() as ReportVerification;
    };
    assert.equal((await verify(original)).ok, true);
    const edits: [string, (r: Record<string, any>) => void, string[]][] = [
      ["generatedBy", (r) => (r.generatedBy = "someone-else"), ["signature", "anchor"]],
      ["period.start", (r) => (r.period.start = "2020-01-01T00:00:00.000Z"), ["signature", "anchor"]],
      ["a section status", (r) => (r.sections[1].status = "pass"), ["signature", "anchor"]],
      ["a finding", (r) => r.sections[1].findings.pop(), ["signature", "anchor"]],
      ["summary", (r) => (r.summary.pass = 99), ["signature", "anchor"]],
      ["anchor.leafIndex", (r) => (r.anchor.leafIndex = r.anchor.leafIndex - 1), ["signature", "anchor"]],
      ["anchor.checkpoint.time", (r) => (r.anchor.checkpoint.time = "2020-01-01T00:00:00Z"), ["signature", "anchor"]],
      ["signature.value", (r) => (r.signature.value = Buffer.alloc(64, 1).toString("base64")), ["signature"]],
    ];
    for (const [what, edit, failing] of edits) {
      const copy = JSON.parse(JSON.stringify(original)) as Record<string, any>;
      edit(copy);
      const v = await verify(copy);
      assert.equal(v.ok, false, `${what} changed: must not verify`);
      assert.deepEqual(
        v.checks.filter((c) => !c.ok).map((c) => c.name),
        failing,
        `${what}: ${JSON.stringify(v.checks)}`,
      );
    }
    // Every leaf of the document, changed one at a time, fails verification (checked in-process: same function as the route).
    const store = s.server.ctx.store as EmbeddedStore;
    const trusted = await trustedPublicKeysIn(new NodeFileSystem(), store.layout().keysDir);
    const ledger = (await store.ledger("_audit")).raw as Ledger;
    const view = {
      size: () => ledger.size(),
      entry: (i: number) => ledger.entries()[i],
      leafHash: (i: number) => ledger.leafHashOf(i),
      inclusionProof: (i: number, n: number) => ledger.inclusionProofFor(i, n),
    };
    assert.equal(verifyReport(original, trusted, "_audit", view).ok, true);
    const leaves: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, Array.isArray(v) ? Number(k) : k]);
      else leaves.push(path);
    };
    walk(original, []);
    assert.ok(leaves.length > 100, `${leaves.length} leaves`);
    for (const path of leaves) {
      const copy = JSON.parse(JSON.stringify(original)) as Record<string, any>;
      let parent: any = copy;
      for (const k of path.slice(0, -1)) parent = parent[k];
      const last = path[path.length - 1] as string | number;
      const old = parent[last] as unknown;
      parent[last] = typeof old === "string" ? old + "x" : typeof old === "number" ? old + 1 : typeof old === "boolean" ? !old : "null-changed";
      const v = verifyReport(copy, trusted, "_audit", view);
      assert.equal(v.ok, false, `changing ${path.join(".")} must fail verification`);
      assert.ok(
        v.checks.filter((c) => !c.ok).every((c) => c.name === "signature" || c.name === "anchor" || c.name === "format"),
        path.join("."),
      );
    }
    // A report signed by another key: the signature names the untrusted key.
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const forged = JSON.parse(JSON.stringify(original)) as Record<string, any>;
    forged.summary.status = "pass";
    const { signature: _s, ...rest } = forged;
    const { canonicalJsonBytes, signingKeyIdOf } = await import("@meshlog/storage");
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    forged.signature = {
      alg: "Ed25519",
      keyId: signingKeyIdOf(pem),
      publicKey: pem,
      value: sign(null, canonicalJsonBytes(rest), privateKey).toString("base64"),
    };
    const fv = await verify(forged);
    assert.equal(fv.ok, false);
    assert.match(fv.checks.find((c) => c.name === "signature")?.message ?? "", /not a trusted ledger signing key/);
    // Malformed bodies are named, never crash.
    for (const body of [{}, { kind: "meshlog.soc2-evidence" }, { ...original, anchor: "x" }, { ...original, signature: null }]) {
      const v = await verify(body);
      assert.equal(v.ok, false);
      assert.equal(v.checks[0]?.name, "format");
    }
    let deep: unknown = {};
    for (let i = 0; i < 200; i++) deep = { x: deep };
    const dv = await verify({ ...original, sections: [deep] });
    assert.equal(dv.ok, false);
    const arr = await s.call("POST", "/api/v1/reports/verify", { token: s.adminToken, body: [1, 2] });
    assert.equal(arr.status, 400);
    assert.equal((await s.call("POST", "/api/v1/reports/verify", { token: f.analyst.token, body: original })).status, 403);
  } finally {
    await s.close();
  }
});

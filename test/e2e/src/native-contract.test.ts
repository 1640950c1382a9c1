// The interface contract of DESIGN §9 against the spawned binary: native ingest, Loki reads, limits, tokens, redaction.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { ingestNative, queryLines, runCli, spawnServer, tempDir, type SpawnedServer } from "./harness.js";

let server: SpawnedServer;
let dir: ReturnType<typeof tempDir>;

before(async () => {
  dir = tempDir();
  server = await spawnServer({ dataDir: dir.path, env: { MESHLOG_QUERY_MAX_ENTRIES: "50" } });
});
after(async () => {
  await server.stop();
  dir.remove();
});

const auth = () => ({ authorization: `Bearer ${server.token}` });

test("native ingest stores every field and answers accepted/rejected per line", async () => {
  const baseMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const baseNs = BigInt(baseMs) * 1_000_000n;
  const lines = [
    {
      timestamp: `${new Date(baseMs).toISOString().slice(0, 19)}.123456789Z`,
      body: "contract line one",
      labels: { service: "contract", namespace: "ns1" },
      attributes: { user: "u-1", status: 200 },
      severity: "warn",
      traceId: "4BF92F3577B34DA6A3CE929D0E0E4736",
      spanId: "00F067AA0BA902B7",
      resource: { "host.name": "node-1" },
    },
    { body: "contract line two", labels: { service: "contract" }, timestamp: String(baseNs) },
  ];
  const body = [JSON.stringify(lines[0]), "{not json", JSON.stringify({ body: 5, labels: { "bad-name": "x" } }), JSON.stringify(lines[1])].join("\n");
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: "POST", headers: { ...auth(), "content-type": "application/x-ndjson" }, body });
  assert.equal(res.status, 200);
  const out = (await res.json()) as { accepted: number; rejected: { line: number; error: string }[] };
  assert.equal(out.accepted, 2);
  assert.deepEqual(
    out.rejected.map((r) => r.line),
    [2, 3],
  );
  assert.match(out.rejected[0]?.error ?? "", /JSON/);
  assert.match(out.rejected[1]?.error ?? "", /bad-name/);
  const got = await queryLines(server.url, server.token, '{service="contract"}', { limit: 50 });
  const one = got.find((g) => g.line === "contract line one");
  assert.ok(one, "line one is found");
  assert.equal(one.ts, String(baseNs + 123456789n), "nanosecond timestamp kept exactly");
  assert.equal(one.labels.service, "contract");
  assert.equal(one.labels.namespace, "ns1");
  assert.equal(one.labels.source, "native", "receiver sets the source label");
  assert.ok(got.some((g) => g.line === "contract line two" && g.ts === String(baseNs)));
});

test("gzip bodies are accepted and a body over the limit is refused with a clear status", async () => {
  const gz = gzipSync(Buffer.from(JSON.stringify({ body: "gzipped contract line", labels: { service: "contract-gz" } })));
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: "POST", headers: { ...auth(), "content-encoding": "gzip" }, body: gz });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { accepted: number }).accepted, 1);
  const bad = await fetch(`${server.url}/api/v1/ingest`, {
    method: "POST",
    headers: { ...auth(), "content-encoding": "gzip" },
    body: Buffer.from("not gzip at all"),
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /gzip/);
});

test("every endpoint but /ready needs a token", async () => {
  assert.equal((await fetch(`${server.url}/ready`)).status, 200);
  for (const [method, path] of [
    ["GET", "/metrics"],
    ["POST", "/api/v1/ingest"],
    ["GET", "/loki/api/v1/labels"],
    ["GET", '/loki/api/v1/query_range?query={a="b"}'],
    ["GET", "/api/v1/tokens"],
    ["POST", "/loki/api/v1/push"],
  ] as const) {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: "Bearer wrong" } });
    assert.equal(res.status, 401, `${method} ${path} with a wrong token`);
    const none = await fetch(`${server.url}${path}`, { method });
    assert.equal(none.status, 401, `${method} ${path} without a token`);
  }
});

test("a log query over MESHLOG_QUERY_MAX_ENTRIES is refused with 400 naming the setting", async () => {
  const params = new URLSearchParams({ query: '{service="contract"}', limit: "51", since: "1h" });
  const res = await fetch(`${server.url}/loki/api/v1/query_range?${params}`, { headers: auth() });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /MESHLOG_QUERY_MAX_ENTRIES|max_entries_limit/);
});

test("secrets are redacted before they are stored", async () => {
  const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  const res = await ingestNative(server.url, server.token, [
    { body: `login ok token=${jwt} card 4111 1111 1111 1111 order 1234567812345678`, labels: { service: "redact" } },
  ]);
  assert.equal(res.status, 200);
  const [line] = await queryLines(server.url, server.token, '{service="redact"}', { limit: 50 });
  assert.ok(line);
  assert.ok(!line.line.includes(jwt), "the JWT is not stored");
  assert.ok(!line.line.includes("4111 1111 1111 1111"), "the card number is not stored");
  assert.ok(line.line.includes("1234567812345678"), "a 16-digit number failing Luhn is kept");
  assert.match(line.line, /REDACTED/);
});

test("tokens: created with roles and scope, shown once, listed without secrets, revoked", async () => {
  const created = await fetch(`${server.url}/api/v1/tokens`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: JSON.stringify({ tenant: "default", roles: ["analyst"], scope: '{namespace="ns1"}', expiresIn: "30d" }),
  });
  assert.ok(created.status === 200 || created.status === 201, `create token: ${created.status}`);
  const { id, token } = (await created.json()) as { id: string; token: string };
  assert.ok(id && token);
  const scoped = await queryLines(server.url, token, '{service=~"contract.*"}', { limit: 50 });
  assert.ok(scoped.length > 0 && scoped.every((l) => l.labels.namespace === "ns1"), "a scoped token sees only its namespace");
  const denied = await ingestNative(server.url, token, [{ body: "x", labels: { service: "x" } }]);
  assert.equal(denied.status, 403, "an analyst token may not ingest");
  const list = await (await fetch(`${server.url}/api/v1/tokens`, { headers: auth() })).text();
  assert.ok(!list.includes(token), "the token list never contains secrets");
  assert.equal((await fetch(`${server.url}/api/v1/tokens/${id}`, { method: "DELETE", headers: auth() })).status, 204);
  const after = await fetch(`${server.url}/loki/api/v1/labels`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(after.status, 401, "a revoked token is refused");
});

test("the CLI creates a token and queries with it", async () => {
  const created = await runCli([
    "token",
    "create",
    "--addr",
    server.url,
    "--token",
    server.token,
    "--tenant",
    "default",
    "--role",
    "analyst",
    "--output",
    "json",
  ]);
  assert.equal(created.code, 0, created.stderr);
  const { token } = JSON.parse(created.stdout) as { token: string };
  const q = await runCli(["query", "--addr", server.url, "--token", token, "--since", "24h", "--output", "raw", '{service="contract-gz"}']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /gzipped contract line/);
});

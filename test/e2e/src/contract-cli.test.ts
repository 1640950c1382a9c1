// DESIGN §9 CLI and token API: POST/GET/DELETE /api/v1/tokens, meshlog token create, meshlog query, meshlog verify.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingestNative, meshlogBin, queryLines, runCli, spawnServer, tempDir, type SpawnedServer } from "./harness.js";

interface VerifyReport {
  ok: boolean;
  tenants: number;
  blocks: number;
  records: number;
  problems: { kind: string; message: string; block?: string; tenant?: string }[];
}

function blockFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".blk")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

async function verify(dataDir: string, json = true): Promise<{ code: number | null; report?: VerifyReport; out: string }> {
  const r = await runCli(["verify", "--data", dataDir, ...(json ? ["--output", "json"] : []), "--no-witness"]);
  return { code: r.code, out: r.stdout + r.stderr, ...(json && r.stdout.trim().startsWith("{") ? { report: JSON.parse(r.stdout) as VerifyReport } : {}) };
}

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ body: `${tag} line ${i}`, labels: { service: tag } }));

test("POST /api/v1/tokens takes {tenant, roles, scope?, expiresIn?} and answers {id, token}; GET lists, DELETE revokes", async () => {
  const dir = tempDir();
  const server = await spawnServer({ dataDir: dir.path });
  const admin = { authorization: `Bearer ${server.token}`, "content-type": "application/json" };
  try {
    const post = (body: unknown) => fetch(`${server.url}/api/v1/tokens`, { method: "POST", headers: admin, body: JSON.stringify(body) });
    const res = await post({ tenant: "a", roles: ["analyst", "ingest"], scope: '{namespace="x"}', expiresIn: "30d" });
    assert.ok(res.status === 200 || res.status === 201, `status ${res.status}`);
    const created = (await res.json()) as Record<string, unknown>;
    assert.equal(typeof created.id, "string");
    assert.equal(typeof created.token, "string");
    const token = created.token as string;
    const id = created.id as string;
    assert.ok(token.length >= 32, "tokens are long random secrets");

    assert.equal(
      (
        await ingestNative(server.url, token, [
          { body: "in x", labels: { service: "scoped", namespace: "x" } },
          { body: "in y", labels: { service: "scoped", namespace: "y" } },
        ])
      ).status,
      200,
      "the ingest role may write",
    );
    const seen = await queryLines(server.url, token, '{service="scoped"}');
    assert.deepEqual(
      seen.map((l) => l.line),
      ["in x"],
      "the analyst role reads, limited to its scope",
    );

    const listRes = await fetch(`${server.url}/api/v1/tokens`, { headers: admin });
    assert.equal(listRes.status, 200);
    const listText = await listRes.text();
    assert.ok(!listText.includes(token), "the list never shows a token secret");
    const listed = JSON.parse(listText) as { tokens: { id: string; tenant: string; roles: string[]; scope?: string; expiresAt?: string }[] } | { id: string }[];
    const entries = Array.isArray(listed) ? listed : listed.tokens;
    const mine = entries.find((t) => t.id === id) as { tenant: string; roles: string[]; scope?: string; expiresAt?: string } | undefined;
    assert.ok(mine, "the new token is listed by id");
    assert.equal(mine.tenant, "a");
    assert.deepEqual([...mine.roles].sort(), ["analyst", "ingest"]);
    assert.equal(mine.scope, '{namespace="x"}');
    const days = (Date.parse(mine.expiresAt ?? "") - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30.01, `expiresIn 30d gives an expiry 30 days out (got ${mine.expiresAt})`);

    for (const [bad, why] of [
      [{ roles: ["analyst"] }, "missing tenant"],
      [{ tenant: "a", roles: ["superuser"] }, "unknown role"],
      [{ tenant: "a", roles: [] }, "no roles"],
      [{ tenant: "a", roles: ["analyst"], expiresIn: "soon" }, "bad expiresIn"],
      [{ tenant: "a", roles: ["analyst"], scope: "{namespace=" }, "bad scope selector"],
      [{ tenant: "a", roles: ["analyst"], extra: 1 }, "unknown field"],
    ] as const) {
      const r = await post(bad);
      assert.equal(r.status, 400, `${why}: ${await r.text()}`);
    }
    assert.equal(
      (
        await fetch(`${server.url}/api/v1/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ tenant: "a", roles: ["admin"] }),
        })
      ).status,
      403,
      "a non-admin token cannot mint tokens",
    );

    assert.equal((await fetch(`${server.url}/api/v1/tokens/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${server.token}` } })).status, 204);
    assert.equal((await ingestNative(server.url, token, [{ body: "after revoke", labels: { service: "scoped" } }])).status, 401, "a revoked token is refused");
  } finally {
    await server.stop();
    dir.remove();
  }
});

test("meshlog token create --tenant a --role analyst --role ingest [--scope SEL] [--output json] mints a working token", async () => {
  const dir = tempDir();
  const server = await spawnServer({ dataDir: dir.path });
  const conn = ["--addr", server.url, "--token", server.token];
  try {
    const j = await runCli([
      "token",
      "create",
      ...conn,
      "--tenant",
      "a",
      "--role",
      "analyst",
      "--role",
      "ingest",
      "--scope",
      '{namespace="x"}',
      "--output",
      "json",
    ]);
    assert.equal(j.code, 0, j.stderr);
    const created = JSON.parse(j.stdout) as { id: string; token: string; roles: string[]; tenant: string };
    assert.ok(created.id && created.token);
    assert.equal(created.tenant, "a");
    assert.deepEqual([...created.roles].sort(), ["analyst", "ingest"]);
    assert.equal((await ingestNative(server.url, created.token, [{ body: "cli token x", labels: { service: "cli", namespace: "x" } }])).status, 200);
    assert.equal((await queryLines(server.url, created.token, '{service="cli"}')).length, 1);

    const text = await runCli(["token", "create", ...conn, "--tenant", "a", "--role", "analyst"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout.trim(), /^\S{32,}$/, "text output prints just the secret on stdout");

    const envOnly = await runCli(["token", "create", "--tenant", "a", "--role", "ingest", "--output", "json"], {
      MESHLOG_ADDR: server.url,
      MESHLOG_TOKEN: server.token,
    });
    assert.equal(envOnly.code, 0, `MESHLOG_ADDR/MESHLOG_TOKEN supply the connection: ${envOnly.stderr}`);

    const fromData = await runCli(["token", "create", "--addr", server.url, "--data", dir.path, "--tenant", "a", "--role", "ingest"], { MESHLOG_TOKEN: "" });
    assert.notEqual(fromData.code, 0, "with MESHLOG_ADMIN_TOKEN set there is no admin.token to read");
    assert.match(fromData.stderr, /admin\.token/);

    const noRole = await runCli(["token", "create", ...conn, "--tenant", "a"]);
    assert.notEqual(noRole.code, 0);
    assert.match(noRole.stderr, /--role/);
    const badRole = await runCli(["token", "create", ...conn, "--tenant", "a", "--role", "wizard"]);
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /role/);
  } finally {
    await server.stop();
    dir.remove();
  }
});

/** Runs `meshlog ARGS` in `cwd` with only `env` added to a MESHLOG_*-free environment. */
function runIn(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("MESHLOG_") && v !== undefined) base[k] = v;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [meshlogBin, ...args], { cwd, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    p.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("the exact contract command `meshlog token create --tenant a --role analyst --role ingest` finds the bootstrap token beside the server", async () => {
  const cwd = tempDir();
  const server = await spawnServer({ dataDir: join(cwd.path, "data"), env: { MESHLOG_ADMIN_TOKEN: "" } });
  try {
    const args = ["token", "create", "--tenant", "a", "--role", "analyst", "--role", "ingest"];
    const viaFile = await runIn(cwd.path, args, { MESHLOG_ADDR: server.url });
    assert.equal(viaFile.code, 0, `./data/admin.token of the cwd is used: ${viaFile.stderr}`);
    const token = viaFile.stdout.trim();
    assert.equal((await ingestNative(server.url, token, [{ body: "contract form", labels: { service: "cf" } }])).status, 200);
    const bootstrap = readFileSync(join(cwd.path, "data", "admin.token"), "utf8").trim();
    const viaEnv = await runIn(tmpdir(), [...args, "--output", "json"], { MESHLOG_ADDR: server.url, MESHLOG_ADMIN_TOKEN: bootstrap });
    assert.equal(viaEnv.code, 0, `MESHLOG_ADMIN_TOKEN is used: ${viaEnv.stderr}`);
    assert.ok((JSON.parse(viaEnv.stdout) as { token: string }).token);
    const none = await runIn(tmpdir(), args, { MESHLOG_ADDR: server.url });
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no token/);
  } finally {
    await server.stop();
    cwd.remove();
  }
});

test("meshlog query --addr URL --token T [--since 1h] [--limit N] [--output raw|json] 'LOGQL'", async () => {
  const dir = tempDir();
  const server = await spawnServer({ dataDir: dir.path, env: { MESHLOG_QUERY_MAX_ENTRIES: "100" } });
  const conn = ["--addr", server.url, "--token", server.token];
  try {
    const now = Date.now();
    const recs = [
      ...Array.from({ length: 20 }, (_, i) => ({
        timestamp: String(BigInt(now - 60_000 + i) * 1_000_000n),
        body: `recent ${String(i).padStart(2, "0")}`,
        labels: { service: "cliq" },
      })),
      { timestamp: String(BigInt(now - 3 * 3_600_000) * 1_000_000n), body: "three hours old", labels: { service: "cliq" } },
    ];
    assert.equal((await ingestNative(server.url, server.token, recs)).status, 200);
    const raw = await runCli(["query", ...conn, "--since", "1h", "--limit", "5", "--output", "raw", '{service="cliq"}']);
    assert.equal(raw.code, 0, raw.stderr);
    assert.deepEqual(
      raw.stdout.trim().split("\n"),
      ["recent 19", "recent 18", "recent 17", "recent 16", "recent 15"],
      "raw prints bodies, newest first, at most --limit",
    );

    const wide = await runCli(["query", ...conn, "--since", "4h", "--limit", "100", "--output", "raw", '{service="cliq"}']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.ok(wide.stdout.includes("three hours old"), "--since 4h reaches back 4 hours");
    const narrow = await runCli(["query", ...conn, "--limit", "100", "--output", "raw", '{service="cliq"}']);
    assert.ok(!narrow.stdout.includes("three hours old"), "the default window is 1h");

    const j = await runCli(["query", ...conn, "--since", "1h", "--limit", "3", "--output", "json", '{service="cliq"} |= "recent 1"']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as
      | { resultType: string; result: { stream: Record<string, string>; values: [string, string][] }[] }
      | { data: { resultType: string; result: { values: [string, string][] }[] } };
    const data = "data" in parsed ? parsed.data : parsed;
    assert.equal(data.resultType, "streams");
    const vals = data.result.flatMap((s) => s.values.map((v) => v[1]));
    assert.equal(vals.length, 3);
    assert.ok(vals.every((v) => v.startsWith("recent 1")));

    const metric = await runCli(["query", ...conn, "--since", "1h", "--output", "json", 'sum(count_over_time({service="cliq"}[1h]))']);
    assert.equal(metric.code, 0, metric.stderr);

    const over = await runCli(["query", ...conn, "--limit", "101", '{service="cliq"}']);
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /MESHLOG_QUERY_MAX_ENTRIES/, "over the limit, the CLI shows the server's message naming the setting");
    const syntax = await runCli(["query", ...conn, '{service="cliq"']);
    assert.notEqual(syntax.code, 0);
    assert.match(syntax.stderr, /400|parse|syntax/i);
    const badToken = await runCli(["query", "--addr", server.url, "--token", "nope", '{service="cliq"}']);
    assert.notEqual(badToken.code, 0);
    assert.match(badToken.stderr, /401/);
  } finally {
    await server.stop();
    dir.remove();
  }
});

test("meshlog verify: 0 after a graceful stop, while the server runs, and after kill -9; non-zero naming a tampered block", async () => {
  const dir = tempDir();
  let server: SpawnedServer | undefined = await spawnServer({ dataDir: dir.path, env: { MESHLOG_SEAL_MAX_AGE: "1" } });
  try {
    assert.equal((await ingestNative(server.url, server.token, lines(200, "verify1"))).status, 200);
    for (let i = 0; i < 100 && blockFiles(dir.path).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(blockFiles(dir.path).length > 0, "blocks were sealed");

    // 1. While the server is running.
    const running = await verify(dir.path);
    assert.equal(running.code, 0, `verify while running: ${running.out}`);
    assert.equal(running.report?.ok, true);

    // 2. After a graceful stop.
    assert.equal(await server.stop(), 0);
    server = undefined;
    const stopped = await verify(dir.path);
    assert.equal(stopped.code, 0, stopped.out);
    const r = stopped.report;
    assert.ok(r);
    assert.equal(r.ok, true);
    assert.deepEqual(r.problems, []);
    assert.ok(r.tenants >= 1, "tenants counted");
    assert.ok(r.blocks >= 1, "blocks counted");
    assert.ok(r.records >= 200, `records counted (${r.records})`);
    const text = await verify(dir.path, false);
    assert.equal(text.code, 0);
    assert.match(text.out, /verified/);

    // 3. After kill -9 with unsealed data in the WAL, without a restart.
    server = await spawnServer({ dataDir: dir.path, env: { MESHLOG_SEAL_MAX_AGE: "3600" } });
    assert.equal((await ingestNative(server.url, server.token, lines(50, "verify2"))).status, 200);
    await server.kill9();
    server = undefined;
    const killed = await verify(dir.path);
    assert.equal(killed.code, 0, `verify after kill -9: ${killed.out}`);
    assert.equal(killed.report?.ok, true);

    // A tampered block: non-zero, the problem names the block.
    const victim = blockFiles(dir.path)[0] as string;
    const bytes = readFileSync(victim);
    const at = Math.floor(bytes.length * 0.7);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(victim, bytes);
    const bad = await verify(dir.path);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.report?.ok, false);
    const name = (victim.split("/").pop() ?? "").replace(/\.blk$/, "");
    assert.ok(
      (bad.report?.problems ?? []).some((p) => `${p.block ?? ""} ${p.message}`.includes(name)),
      `a problem names block ${name}`,
    );
    const badText = await verify(dir.path, false);
    assert.notEqual(badText.code, 0);
    assert.match(badText.out, /FAILED/);
    assert.ok(badText.out.includes(name));

    // A missing block not covered by a tombstone fails too.
    rmSync(victim);
    const missing = await verify(dir.path);
    assert.notEqual(missing.code, 0, "a deleted block without a tombstone is reported");

    const nowhere = await runCli(["verify", "--data", join(dir.path, "does-not-exist"), "--no-witness"]);
    assert.notEqual(nowhere.code, 0, "a missing data folder is not a pass");
    const noData = await runCli(["verify"], { MESHLOG_DATA: "" });
    assert.notEqual(noData.code, 0);
    assert.match(noData.stderr, /--data/);
  } finally {
    if (server !== undefined) await server.kill9();
    dir.remove();
  }
});

// Tests of the token and principal stores: hashing, expiry, revocation, binding to principals, persistence.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, MeshlogError } from "@meshlog/core";
import { PrincipalStore } from "./principal-store.js";
import { BOOTSTRAP_TOKEN_ID, TokenStore } from "./token-store.js";

const opened: TokenStore[] = [];

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-tokens-"));
  try {
    await fn(dir);
  } finally {
    for (const t of opened.splice(0)) t.flush();
    await rm(dir, { recursive: true, force: true });
  }
}

const open = (dir: string, clock: ManualClock, bootstrap = "boot-secret") => {
  const principals = new PrincipalStore(join(dir, "principals.json"), clock);
  const tokens = new TokenStore(join(dir, "tokens.json"), clock, principals, bootstrap);
  opened.push(tokens);
  return { principals, tokens };
};

test("tokens are shown once, stored only as SHA-256 hashes in a 0600 file, and authenticate", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const { tokens } = open(dir, clock);
    const { record, token } = tokens.create({ tenant: "a", roles: ["analyst"], scope: '{namespace="x"}' }, "admin");
    assert.match(token, /^mlg_[A-Za-z0-9_-]{43}$/);
    const file = await readFile(join(dir, "tokens.json"), "utf8");
    assert.ok(!file.includes(token), "the secret is not stored");
    assert.ok(!file.includes(token.slice(4, 20)), "no part of the secret is stored");
    assert.equal((await stat(join(dir, "tokens.json"))).mode & 0o777, 0o600);
    const p = tokens.authenticateSync(token);
    assert.equal(p?.tenant, "a");
    assert.deepEqual(p?.roles, ["analyst"]);
    assert.equal(p?.scope, '{namespace="x"}');
    assert.equal(p?.tokenId, record.id);
    assert.equal(tokens.authenticateSync(token + "x"), undefined);
    assert.equal(tokens.authenticateSync(""), undefined);
    assert.equal(tokens.authenticateSync("x".repeat(5000)), undefined);
    for (const v of tokens.list()) assert.ok(!("hash" in v), "listings never carry hashes");
  });
});

test("revoked and expired tokens stop working; lastUsedAt moves at most once a minute", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock(1_800_000_000_000_000_000n);
    const { tokens } = open(dir, clock);
    const a = tokens.create({ tenant: "a", roles: ["ingest"], expiresInNs: 3600n * 1_000_000_000n }, "admin");
    const b = tokens.create({ tenant: "a", roles: ["ingest"] }, "admin");
    assert.ok(tokens.authenticateSync(a.token));
    const first = tokens.get(a.record.id)?.lastUsedAt;
    assert.ok(first !== undefined);
    clock.advance(30n * 1_000_000_000n);
    tokens.authenticateSync(a.token);
    assert.equal(tokens.get(a.record.id)?.lastUsedAt, first, "not rewritten within a minute");
    clock.advance(31n * 1_000_000_000n);
    tokens.authenticateSync(a.token);
    assert.notEqual(tokens.get(a.record.id)?.lastUsedAt, first);
    clock.advance(3600n * 1_000_000_000n);
    assert.equal(tokens.authenticateSync(a.token), undefined, "expired");
    assert.equal(tokens.get(a.record.id)?.expired, true);
    tokens.revoke(b.record.id, "admin");
    assert.equal(tokens.authenticateSync(b.token), undefined, "revoked");
    assert.equal(tokens.get(b.record.id)?.revoked, true);
    assert.throws(
      () => tokens.revoke("tk_nope", "admin"),
      (e: unknown) => e instanceof MeshlogError && e.code === "SECURITY_TOKEN_NOT_FOUND",
    );
    assert.throws(
      () => tokens.revoke(BOOTSTRAP_TOKEN_ID, "admin"),
      (e: unknown) => e instanceof MeshlogError && e.code === "SECURITY_BOOTSTRAP_IMMUTABLE",
    );
    // State survives a reload.
    const again = open(dir, clock);
    assert.equal(again.tokens.authenticateSync(b.token), undefined);
    assert.equal(again.tokens.get(b.record.id)?.revoked, true);
  });
});

test("the bootstrap token is an entry of the store and a rotated bootstrap token replaces it", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const s1 = open(dir, clock, "first");
    assert.equal(s1.tokens.authenticateSync("first")?.id, "bootstrap-admin");
    assert.equal(s1.tokens.list()[0]?.id, BOOTSTRAP_TOKEN_ID);
    const s2 = open(dir, clock, "second");
    assert.equal(s2.tokens.authenticateSync("first"), undefined, "old bootstrap token no longer works");
    assert.equal(s2.tokens.authenticateSync("second")?.roles[0], "admin");
    assert.equal(s2.tokens.list().filter((t) => t.kind === "bootstrap").length, 1);
  });
});

test("a token bound to a principal gets the intersection of roles, tenants and scopes, and dies with it", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const { principals, tokens } = open(dir, clock);
    principals.create({ id: "alice", kind: "user", tenant: "a", roles: ["analyst", "ingest"], scope: '{namespace="team-a"}', tenants: ["b"] }, "admin");
    const t = tokens.create({ principalId: "alice", tenant: "a", roles: ["analyst", "ingest"], scope: '{app="api"}', tenants: ["b", "c"] }, "admin");
    const p = tokens.authenticateSync(t.token);
    assert.equal(p?.id, "alice");
    assert.equal(p?.scope, '{namespace="team-a", app="api"}');
    assert.deepEqual(p?.tenants, ["b"]);
    principals.update("alice", { roles: ["analyst"] }, "admin");
    assert.deepEqual(tokens.authenticateSync(t.token)?.roles, ["analyst"], "roles shrink with the principal");
    principals.update("alice", { disabled: true }, "admin");
    assert.equal(tokens.authenticateSync(t.token), undefined, "disabled principal");
    principals.update("alice", { disabled: false }, "admin");
    assert.ok(tokens.authenticateSync(t.token));
    principals.delete("alice");
    assert.equal(tokens.authenticateSync(t.token), undefined, "deleted principal");
    assert.throws(
      () => principals.delete("bootstrap-admin"),
      (e: unknown) => e instanceof MeshlogError && e.code === "SECURITY_BOOTSTRAP_IMMUTABLE",
    );
    assert.throws(
      () => principals.create({ id: "bootstrap-admin", kind: "user", tenant: "a", roles: ["admin"] }, "x"),
      (e: unknown) => e instanceof MeshlogError && e.code === "SECURITY_PRINCIPAL_EXISTS",
    );
  });
});

test("corrupt or world-readable state files are refused with a message naming the file", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const cases: [string, string, string][] = [
      ["{not json", "SECURITY_STATE_CORRUPT", "cannot parse"],
      ['{"tokens": 5}', "SECURITY_STATE_CORRUPT", "must be an array"],
      ['{"tokens": [{"id": "x", "hash": "zz", "roles": []}]}', "SECURITY_STATE_CORRUPT", "malformed token"],
    ];
    for (const [content, code, text] of cases) {
      await writeFile(join(dir, "tokens.json"), content, { mode: 0o600 });
      assert.throws(
        () => open(dir, clock),
        (e: unknown) => e instanceof MeshlogError && e.code === code && e.message.includes(text) && e.message.includes("tokens.json"),
        content,
      );
    }
    await rm(join(dir, "tokens.json"));
    open(dir, clock);
    await chmod(join(dir, "tokens.json"), 0o644);
    assert.throws(
      () => open(dir, clock),
      (e: unknown) => e instanceof MeshlogError && e.code === "SECURITY_FILE_INSECURE" && e.message.includes("chmod 600"),
    );
  });
});

test("lastUsedAt updates are batched and written by flush", async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const { tokens } = open(dir, clock);
    const { record, token } = tokens.create({ tenant: "a", roles: ["ingest"] }, "admin");
    tokens.authenticateSync(token);
    const before = JSON.parse(await readFile(join(dir, "tokens.json"), "utf8")) as { tokens: { id: string; lastUsedAt?: string }[] };
    assert.equal(before.tokens.find((t) => t.id === record.id)?.lastUsedAt, undefined, "not written on the request path");
    tokens.flush();
    const after = JSON.parse(await readFile(join(dir, "tokens.json"), "utf8")) as { tokens: { id: string; lastUsedAt?: string }[] };
    assert.equal(typeof after.tokens.find((t) => t.id === record.id)?.lastUsedAt, "string");
  });
});

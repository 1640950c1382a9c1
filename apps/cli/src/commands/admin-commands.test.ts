// Tests of `meshlog token|principal|audit` against a real server process on 127.0.0.1 (port 0).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startCliTestServer, type CliRun, type CliTestServer } from "../testing/cli-test-server.js";

let srv: CliTestServer;
let dataDir = "";
let addr = "";

const run = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => srv.run(args, env);

describe("admin CLI commands", () => {
  before(async () => {
    srv = await startCliTestServer("meshlog-cli-");
    dataDir = srv.dataDir;
    addr = srv.addr;
  });

  after(async () => {
    await srv.dispose();
  });

  test("token create prints the token once; --output json prints id and token; list and revoke work", async () => {
    const data = ["--data", dataDir];
    const text = await run([
      "token",
      "create",
      "--tenant",
      "a",
      "--role",
      "analyst",
      "--role",
      "ingest",
      "--scope",
      '{namespace="x"}',
      "--expires-in",
      "30d",
      "--name",
      "ci",
      ...data,
    ]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^mlg_[A-Za-z0-9_-]+\n$/, "stdout holds only the token");
    assert.match(text.err, /created token tk_.*tenant a, roles analyst,ingest, scope \{namespace="x"\}/);
    const json = await run(["token", "create", "--tenant", "b", "--role", "ingest", "--output", "json", ...data]);
    assert.equal(json.code, 0, json.err);
    const created = JSON.parse(json.out) as { id: string; token: string; tenant: string };
    assert.equal(created.tenant, "b");
    assert.match(created.token, /^mlg_/);

    const list = await run(["token", "list", ...data]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^ID\s+NAME\s+PRINCIPAL/);
    assert.ok(list.out.includes(created.id) && list.out.includes("bootstrap"));
    assert.ok(!list.out.includes(created.token), "list never prints secrets");

    const revoke = await run(["token", "revoke", created.id, ...data]);
    assert.equal(revoke.code, 0, revoke.err);
    const after = JSON.parse((await run(["token", "list", "--output", "json", ...data])).out) as { id: string; revoked: boolean }[];
    assert.equal(after.find((t) => t.id === created.id)?.revoked, true);

    const who = await fetch(`${addr}/api/v1/whoami`, { headers: { authorization: `Bearer ${text.out.trim()}` } });
    assert.equal(who.status, 200, "the printed token works");
    const viaEnv = await run(["token", "list"], { MESHLOG_TOKEN: text.out.trim() });
    assert.equal(viaEnv.code, 1, "an analyst token may not list tokens");
    assert.match(viaEnv.err, /needs the role admin or auditor/);
  });

  test("principal create, list, update and delete", async () => {
    const data = ["--data", dataDir];
    const c = await run([
      "principal",
      "create",
      "--id",
      "alice",
      "--tenant",
      "a",
      "--role",
      "analyst",
      "--scope",
      '{namespace="team-a"}',
      "--output",
      "json",
      ...data,
    ]);
    assert.equal(c.code, 0, c.err);
    assert.equal((JSON.parse(c.out) as { scope: string }).scope, '{namespace="team-a"}');
    const l = await run(["principal", "list", ...data]);
    assert.match(l.out, /alice\s+user\s+alice\s+a\s+analyst\s+\{namespace="team-a"\}/);
    const u = await run(["principal", "update", "alice", "--disable", "--clear-scope", "--output", "json", ...data]);
    assert.equal(u.code, 0, u.err);
    const updated = JSON.parse(u.out) as { disabled: boolean; scope?: string };
    assert.equal(updated.disabled, true);
    assert.equal(updated.scope, undefined);
    assert.equal((await run(["principal", "delete", "alice", ...data])).code, 0);
    const gone = await run(["principal", "get", "alice", ...data]);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /no principal with id "alice"/);
  });

  test("audit prints the trail as text, JSON and NDJSON with filters", async () => {
    const data = ["--data", dataDir];
    const nd = await run(["audit", "--since", "1h", "--action", "token.create", "--direction", "forward", "--output", "ndjson", ...data]);
    assert.equal(nd.code, 0, nd.err);
    const events = nd.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; principal: string });
    assert.ok(events.length >= 2);
    assert.ok(events.every((e) => e.action === "token.create" && e.principal === "bootstrap-admin"));
    const text = await run(["audit", "--action", "token", ...data]);
    assert.match(text.out, /^TIME\s+ACTION\s+PRINCIPAL/);
    assert.match(text.out, /token\.revoke/);
    const json = await run(["audit", "--result", "denied", "--output", "json", ...data]);
    assert.ok(Array.isArray(JSON.parse(json.out)));
  });

  test("bad usage is reported with a message and a non-zero exit", async () => {
    const cases: [string[], number, RegExp][] = [
      [["token", "create", "--role", "analyst", "--data", dataDir], 1, /--tenant is required/],
      [["token", "create", "--tenant", "a", "--data", dataDir], 1, /at least one --role/],
      [["token", "create", "--tenant", "a", "--role", "root", "--data", dataDir], 1, /roles\.0/],
      [["token", "create", "--tenant", "a", "--role", "analyst", "--scope", "nope", "--data", dataDir], 1, /scope: expected "\{"/],
      [["token", "list", "--bogus", "1", "--data", dataDir], 1, /unknown option --bogus/],
      [["token", "list", "--output", "yaml", "--data", dataDir], 1, /--output must be one of text, json/],
      [["token", "list", "--data", join(dataDir, "missing")], 1, /cannot read .*admin.token/],
      [["token", "list", "--token", "t", "--addr", "ftp://x"], 1, /--addr must be an http/],
      [["token", "frobnicate"], 2, /usage:/],
      [["token", "revoke", "--data", dataDir], 1, /usage: meshlog token revoke ID/],
      [["audit", "--limit", "0", "--data", dataDir], 1, /limit: must be an integer/],
      [["principal", "update", "x", "--data", dataDir], 1, /nothing to update/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await run(args, { MESHLOG_TOKEN: "" });
      assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, msg, args.join(" "));
    }
    const noToken = await run(["token", "list"], { MESHLOG_TOKEN: "" });
    assert.match(noToken.err, /no token: pass --token, set MESHLOG_TOKEN, or pass --data/);
  });
});

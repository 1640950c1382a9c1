// DESIGN §9 auth contract against the spawned binary: every credential form, tenant from the token or X-Scope-OrgID.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { FluentClient } from "@fluent-org/logger";
import { ingestNative, queryLines, spawnServer, tempDir, type SpawnedServer } from "./harness.js";

let server: SpawnedServer;
let dir: ReturnType<typeof tempDir>;
let forwardPort = 0;

before(async () => {
  dir = tempDir();
  server = await spawnServer({ dataDir: dir.path, args: ["--forward", "127.0.0.1:0"], env: { MESHLOG_FORWARD_SHARED_KEY: "contract-shared-key" } });
  for (let i = 0; i < 100 && forwardPort === 0; i++) {
    const m = /"msg":"forward listening"[^\n]*"address":"127\.0\.0\.1:(\d+)"/.exec(server.stderr());
    if (m) forwardPort = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
});
after(async () => {
  await server.stop();
  dir.remove();
});

const admin = () => ({ authorization: `Bearer ${server.token}` });
/** Rejects when `p` has not settled within `ms` (a handshake that never completes must not hang the suite). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(
    () => clearTimeout(timer),
  );
}
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

async function createToken(body: object): Promise<{ id: string; token: string }> {
  const res = await fetch(`${server.url}/api/v1/tokens`, {
    method: "POST",
    headers: { ...admin(), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `create token ${JSON.stringify(body)}: ${res.status} ${text}`);
  return JSON.parse(text) as { id: string; token: string };
}

test("the token is accepted as Bearer, as the Basic password (any user, or none), and refused otherwise", async () => {
  const cases: [string, string, number][] = [
    ["Bearer", `Bearer ${server.token}`, 200],
    ["Basic with a user and the token as password", basic("grafana", server.token), 200],
    ["Basic with an empty user and the token as password", basic("", server.token), 200],
    ["Basic with a wrong password", basic("grafana", "wrong"), 401],
    ["Bearer with a wrong token", "Bearer wrong", 401],
    ["an unknown scheme", `Token ${server.token}`, 401],
  ];
  for (const [name, header, status] of cases) {
    const res = await fetch(`${server.url}/loki/api/v1/labels`, { headers: { authorization: header } });
    assert.equal(res.status, status, name);
  }
});

test("Elasticsearch ApiKey (base64 id:key or raw) and DD-API-KEY authenticate the protocol endpoints", async () => {
  const apiKey = Buffer.from(`beat:${server.token}`).toString("base64");
  const bulk = (auth: Record<string, string>, msg: string) =>
    fetch(`${server.url}/_bulk`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-ndjson" },
      body: `{"create":{"_index":"auth-idx"}}\n{"message":"${msg}"}\n`,
    });
  const es1 = await bulk({ authorization: `ApiKey ${apiKey}` }, "auth apikey encoded");
  assert.equal(es1.status, 200, await es1.clone().text());
  assert.equal(((await es1.json()) as { errors: boolean }).errors, false);
  assert.equal((await bulk({ authorization: `ApiKey ${server.token}` }, "auth apikey raw")).status, 200);
  assert.equal((await bulk({ authorization: `ApiKey ${Buffer.from("beat:wrong").toString("base64")}` }, "nope")).status, 401);
  const dd = (key: string, msg: string) =>
    fetch(`${server.url}/api/v2/logs`, {
      method: "POST",
      headers: { "dd-api-key": key, "content-type": "application/json" },
      body: JSON.stringify([{ message: msg, service: "auth-dd" }]),
    });
  assert.equal((await dd(server.token, "auth dd ok")).status, 202);
  assert.ok([401, 403].includes((await dd("wrong", "auth dd bad")).status), "a bad DD-API-KEY is refused");
  const lines = await queryLines(server.url, server.token, '{source=~"elasticsearch|datadog"} |~ "auth (apikey|dd)"');
  assert.deepEqual(lines.map((l) => l.line).sort(), ["auth apikey encoded", "auth apikey raw", "auth dd ok"]);
});

test("forward: a client with the configured shared key is stored; a wrong shared key is refused", async () => {
  assert.ok(forwardPort > 0, "the forward listener address is logged");
  const client = new FluentClient("contract", {
    eventMode: "Forward",
    socket: { host: "127.0.0.1", port: forwardPort, disableReconnect: true },
    security: { clientHostname: "client.test", sharedKey: "contract-shared-key", username: "", password: "" },
    ack: { ackTimeout: 10_000 },
  });
  // With security configured, @fluent-org/logger only handshakes on an explicit connect().
  await client.connect();
  await within(client.emit("auth", { message: "forward shared key ok" }), 10_000, "acked emit");
  await client.disconnect();
  const got = await queryLines(server.url, server.token, '{source="forward"}');
  assert.ok(
    got.some((g) => g.line === "forward shared key ok"),
    "the acked event is queryable",
  );

  const bad = new FluentClient("contract", {
    eventMode: "Forward",
    socket: { host: "127.0.0.1", port: forwardPort, disableReconnect: true, timeout: 5000 },
    security: { clientHostname: "client.test", sharedKey: "wrong-key", username: "", password: "" },
    ack: { ackTimeout: 3000 },
  });
  await assert.rejects(
    (async () => {
      await bad.connect();
      await within(bad.emit("auth", { message: "forward wrong key" }), 5000, "emit with a wrong key");
    })(),
    "a wrong shared key fails the handshake: the event is never acked",
  );
  await bad.disconnect().catch(() => undefined);
  assert.ok(!(await queryLines(server.url, server.token, '{source="forward"}')).some((g) => g.line === "forward wrong key"));
});

test("a token's tenant is where its data goes; another tenant never sees it", async () => {
  const a = await createToken({ tenant: "a", roles: ["analyst", "ingest"] });
  const b = await createToken({ tenant: "b", roles: ["analyst", "ingest"] });
  assert.equal((await ingestNative(server.url, a.token, [{ body: "tenant a secret", labels: { service: "tenancy" } }])).status, 200);
  assert.equal((await ingestNative(server.url, b.token, [{ body: "tenant b line", labels: { service: "tenancy" } }])).status, 200);
  assert.deepEqual(
    (await queryLines(server.url, a.token, '{service="tenancy"}')).map((l) => l.line),
    ["tenant a secret"],
  );
  assert.deepEqual(
    (await queryLines(server.url, b.token, '{service="tenancy"}')).map((l) => l.line),
    ["tenant b line"],
  );
  assert.deepEqual(await queryLines(server.url, server.token, '{service="tenancy"}'), [], "the admin's own tenant (default) holds neither");
  const values = await (await fetch(`${server.url}/loki/api/v1/label/service/values`, { headers: { authorization: `Bearer ${b.token}` } })).text();
  assert.ok(!values.includes("a secret"));
});

test("X-Scope-OrgID selects the tenant when the token allows it and is refused with 403 when not", async () => {
  const a = await createToken({ tenant: "a", roles: ["analyst", "ingest"] });
  const ab = await createToken({ tenant: "a", roles: ["analyst"], tenants: ["a", "b"] });
  const q = (token: string, org: string) =>
    fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{service="tenancy"}', since: "1h" })}`, {
      headers: { authorization: `Bearer ${token}`, "x-scope-orgid": org },
    });
  const lines = async (res: Response) =>
    ((await res.json()) as { data: { result: { values: [string, string][] }[] } }).data.result.flatMap((s) => s.values.map((v) => v[1]));

  const adminB = await q(server.token, "b");
  assert.equal(adminB.status, 200, "the bootstrap admin may act on any tenant");
  assert.deepEqual(await lines(adminB), ["tenant b line"]);
  const aSelf = await q(a.token, "a");
  assert.equal(aSelf.status, 200, "naming the token's own tenant is allowed");
  const aOther = await q(a.token, "b");
  assert.equal(aOther.status, 403, "a single-tenant token may not switch tenants");
  assert.match(await aOther.text(), /tenant|X-Scope-OrgID/);
  const push = await fetch(`${server.url}/api/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${a.token}`, "x-scope-orgid": "b" },
    body: '{"body":"smuggled","labels":{"service":"tenancy"}}',
  });
  assert.equal(push.status, 403, "nor write into another tenant");
  const abB = await q(ab.token, "b");
  assert.equal(abB.status, 200, "a token listing tenants a and b may read b");
  assert.deepEqual(await lines(abB), ["tenant b line"]);
  assert.equal((await q(ab.token, "c")).status, 403, "but not c");
  assert.equal((await q(server.token, "bad tenant!")).status, 400, "an invalid tenant id is a 400");
});

// The HTTP receivers inside the complete server (every route module, the configured store): no route
// conflicts with other modules, and one valid request per receiver is stored and readable.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_TENANT } from "@meshlog/core";
import { serverConfigSchema } from "../../config/server-config.js";
import { startServer, type RunningServer } from "../../main.js";
import { post, readAllRecords } from "./receiver-harness.js";
import { RECEIVER_SPECS } from "./receiver-specs.js";

describe("HTTP receivers in the complete server", () => {
  let dir: string;
  let server: RunningServer;
  let base: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-recv-full-"));
    const config = serverConfigSchema.parse({
      dataDir: join(dir, "data"),
      http: "127.0.0.1:0",
      syslog: "",
      forward: "",
      otlpGrpc: { enabled: false },
      adminToken: "full-admin",
    });
    server = await startServer(config, { print: () => {}, logWrite: () => {} });
    base = server.ctx.services.get("http.address") as string;
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const spec of RECEIVER_SPECS) {
    test(`${spec.name}: a valid request is acknowledged and its records are readable from the store`, async () => {
      const marker = `full-${spec.name}-${Date.now()}`;
      const req = spec.valid(marker);
      const auth = spec.auth?.("full-admin") ?? { authorization: "Bearer full-admin" };
      const res = await post(base + spec.path, req.body, { ...req.headers, ...auth });
      assert.equal(res.status, spec.okStatus, res.text);
      const got = (await readAllRecords(server.ctx.store, DEFAULT_TENANT)).filter((r) => r.body.includes(marker));
      assert.equal(got.length, spec.recordsPerRequest);
      assert.ok(got.every((r) => r.labels.source === spec.name));
    });
  }

  test("GET / answers Elasticsearch cluster info to API clients and the UI to browsers", async () => {
    const anonymous = await fetch(`${base}/`, { headers: { accept: "application/json" } });
    assert.equal(anonymous.status, 401, "cluster info needs credentials");
    const api = await fetch(`${base}/`, { headers: { accept: "application/json", authorization: "Bearer full-admin" } });
    assert.equal(api.status, 200);
    assert.equal(api.headers.get("x-elastic-product"), "Elasticsearch");
    assert.match(await api.text(), /"tagline":"You Know, for Search"/);
    const browser = await fetch(`${base}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    assert.doesNotMatch(await browser.text(), /You Know, for Search/);
  });
});

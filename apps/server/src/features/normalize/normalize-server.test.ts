// In-process server test: a native Envoy line without severity is stored as an error with its detected fields.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../main.js";
import { serverConfigSchema } from "../../config/server-config.js";

const ENVOY_503 =
  '[2024-03-01T10:00:00.001Z] "GET /cart?id=7 HTTP/1.1" 503 UF,URX 0 91 30 - "-" "curl/8.5.0" "0f3c1b0e-1111-4222-8333-944445555666" "cart.shop:8080" "10.1.2.3:8080"';

test("native ingest of an Envoy line without severity is queryable as detected_level error", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "meshlog-normalize-"));
  const server = await startServer(
    serverConfigSchema.parse({ dataDir, http: "127.0.0.1:0", syslog: "", forward: "", otlpGrpc: { enabled: false }, adminToken: "normalize-test-token" }),
    {
      print: () => {},
      logWrite: () => {},
    },
  );
  try {
    const base = String(server.ctx.services.get("http.address"));
    const now = BigInt(Date.now()) * 1_000_000n;
    const lines = [
      { timestamp: String(now), body: ENVOY_503, labels: { service: "cart" } },
      { timestamp: String(now + 1n), body: "plain words only", labels: { service: "cart" } },
    ];
    const res = await fetch(`${base}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: "Bearer normalize-test-token", "content-type": "application/x-ndjson" },
      body: lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 2, rejected: [] });
    const q = new URL(`${base}/loki/api/v1/query_range`);
    q.searchParams.set("query", '{service="cart"} | detected_level="error"');
    q.searchParams.set("start", String(now - 60_000_000_000n));
    q.searchParams.set("end", String(now + 60_000_000_000n));
    const qr = await fetch(q, { headers: { authorization: "Bearer normalize-test-token" } });
    assert.equal(qr.status, 200);
    const body = (await qr.json()) as { data: { result: { stream: Record<string, string>; values: string[][] }[] } };
    const values = body.data.result.flatMap((s) => s.values.map((v) => v[1]));
    assert.deepEqual(values, [ENVOY_503]);
    const stream = body.data.result[0]?.stream ?? {};
    assert.equal(stream.level, undefined, "no level label was added: the stream is the sender's");
    const store = server.ctx.store;
    const streams = await store.streams("default", now - 1n, now + 2n);
    const records = [];
    for await (const batch of store.select({ tenant: "default", streamIds: streams.map((s) => s.id), start: now - 1n, end: now + 2n, direction: "forward" }))
      for (const e of batch) records.push(e.record);
    assert.equal(streams.length, 1, "normalization created no new stream");
    const [envoy, plain] = records;
    assert.equal(envoy?.severityNumber, 17);
    assert.equal(envoy?.severityText, "ERROR");
    assert.equal(envoy?.attributes["http.status_code"], "503");
    assert.equal(envoy?.attributes["response.flags"], "UF,URX");
    assert.equal(envoy?.attributes.detected_level, "error");
    assert.equal(plain?.severityNumber, 0);
    assert.deepEqual(plain?.attributes, {});
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

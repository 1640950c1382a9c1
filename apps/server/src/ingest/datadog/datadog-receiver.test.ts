import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { client, v2 } from "@datadog/datadog-api-client";
import { INGEST_TENANT, post, startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { parseDdtags } from "./datadog-record.js";
import { datadogRoutes } from "./datadog-routes.js";
import { zstdRawFrame } from "../testing/zstd-fixtures.js";

/** POST /api/v2/logs captured from @datadog/datadog-api-client@1.64.0 (gzip). */
const CAPTURED_GZIP =
  "1f8b08000000000000031dcc410ac0200c44d1ab94ac7b02af52ba1013b4a0061c9b4de9dd1bbbfc8f618e8798a1f7484281bab2d0ee326386b7740b2ce65414b3c7b646c5b30910f32ae6ad48adea081976fd3fb044eff90167ae30235c000000";

const DD = { "content-type": "application/json", "dd-api-key": TOKENS.ingest };

describe("Datadog logs intake receiver", () => {
  let h: ReceiverHarness;
  before(async () => {
    h = await startReceiverHarness([datadogRoutes]);
  });
  after(async () => {
    await h.close();
  });
  const byBody = async (body: string) => (await h.records()).filter((r) => r.body === body);

  test("stores logs sent by the official API client's LogsApi.submitLog, field by field", async () => {
    const configuration = client.createConfiguration({ authMethods: { apiKeyAuth: TOKENS.ingest }, baseServer: new client.ServerConfiguration(h.url, {}) });
    const api = new v2.LogsApi(configuration);
    const result = await api.submitLog({
      body: [
        {
          message: "order placed",
          ddsource: "nodejs",
          ddtags: "env:prod,kube_namespace:shop,pod_name:web-1,team:checkout,canary",
          hostname: "node-3",
          service: "web",
          additionalProperties: { status: "warn", timestamp: 1767323045678, order: { id: 42 } },
        },
      ],
    });
    assert.deepEqual(result, {});
    const [r] = await byBody("order placed");
    assert.ok(r);
    assert.equal(r.timestamp, 1767323045678000000n);
    assert.equal(r.severityNumber, 13);
    assert.equal(r.severityText, "warn");
    assert.deepEqual(r.resource, {
      "service.name": "web",
      "host.name": "node-3",
      "deployment.environment.name": "prod",
      "k8s.namespace.name": "shop",
      "k8s.pod.name": "web-1",
    });
    assert.deepEqual(r.attributes, { "order.id": "42", team: "checkout", canary: "", ddsource: "nodejs" });
    assert.deepEqual({ ...r.labels }, { source: "datadog", service: "web", namespace: "shop", level: "warn" });
    assert.equal(r.tenant, INGEST_TENANT);
  });

  test("replays the captured gzip request and answers 202 {}", async () => {
    const res = await post(`${h.url}/api/v2/logs`, Buffer.from(CAPTURED_GZIP, "hex"), { ...DD, "content-encoding": "gzip" });
    assert.equal(res.status, 202);
    assert.equal(res.text, "{}");
    const [r] = await byBody("dd hello");
    assert.ok(r);
    assert.deepEqual(r.attributes, { ddsource: "node" });
    assert.deepEqual(r.resource, { "service.name": "svc", "host.name": "h", "deployment.environment.name": "dev" });
    assert.deepEqual({ ...r.labels }, { source: "datadog", service: "svc" });
  });

  test("decodes zstd (the Agent's default) and deflate payloads", async () => {
    let res = await post(`${h.url}/api/v2/logs`, zstdRawFrame(Buffer.from('[{"message":"from zstd","status":"error"}]')), {
      ...DD,
      "content-encoding": "zstd",
      "dd-protocol": "agent-json",
    });
    assert.equal(res.status, 202, res.text);
    res = await post(`${h.url}/api/v2/logs`, deflateSync('[{"message":"from deflate"}]'), { ...DD, "content-encoding": "deflate" });
    assert.equal(res.status, 202, res.text);
    assert.equal((await byBody("from zstd"))[0]?.severityNumber, 17);
    assert.equal((await byBody("from deflate")).length, 1);
  });

  test("answers the Agent's start-up connectivity check ({}) with 202 without storing anything", async () => {
    const before = (await h.records()).length;
    const res = await post(`${h.url}/api/v2/logs`, "{}", DD);
    assert.equal(res.status, 202);
    assert.equal((await h.records()).length, before);
  });

  test("accepts a single object and the legacy /v1/input path", async () => {
    assert.equal((await post(`${h.url}/api/v2/logs?ddsource=nginx`, '{"message":"single object"}', DD)).status, 202);
    assert.equal((await post(`${h.url}/v1/input`, '[{"message":"legacy path"}]', DD)).status, 202);
    const [single] = await byBody("single object");
    assert.equal(single?.attributes.ddsource, "nginx", "query parameters are defaults for every log");
    assert.equal((await byBody("legacy path")).length, 1);
  });

  test("applies ?service, ?hostname and ?ddtags defaults without overriding the log's own fields", async () => {
    const res = await post(
      `${h.url}/api/v2/logs?service=dflt&hostname=hq&ddtags=env:qa`,
      '[{"message":"q1"},{"message":"q2","service":"own","ddtags":"team:x"}]',
      DD,
    );
    assert.equal(res.status, 202);
    const [q1] = await byBody("q1");
    const [q2] = await byBody("q2");
    assert.deepEqual(q1?.resource, { "service.name": "dflt", "host.name": "hq", "deployment.environment.name": "qa" });
    assert.equal(q2?.labels.service, "own");
    assert.equal(q2?.attributes.team, "x");
    assert.equal(q2?.resource["deployment.environment.name"], "qa");
  });

  test("answers bad payloads with 400 in Datadog's error shape (the Agent drops, never retries, 400s)", async () => {
    const res = await post(`${h.url}/api/v2/logs`, '[{"message":"ok"},{"message":"x","service":{"nested":true}}]', DD);
    assert.equal(res.status, 400);
    const body = JSON.parse(res.text) as { errors: { status: string; title: string; detail: string }[] };
    assert.equal(body.errors[0]?.status, "400");
    assert.equal(body.errors[0]?.title, "DATADOG_PAYLOAD_INVALID");
    assert.match(body.errors[0]?.detail ?? "", /logs\[1\]\.service must be a string/);
    assert.equal((await byBody("ok")).length, 0, "nothing of a rejected payload is stored");
  });

  const tags: [string, Record<string, string>][] = [
    ["env:prod,team:a", { env: "prod", team: "a" }],
    [" env:prod , ,flag,url:http://x:80/y ", { env: "prod", flag: "", url: "http://x:80/y" }],
    ["", {}],
    [",,,", {}],
  ];
  for (const [text, want] of tags) {
    test(`parses ddtags ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseDdtags(text), want);
    });
  }
});

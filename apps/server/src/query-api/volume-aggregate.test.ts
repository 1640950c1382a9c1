// GET /loki/api/v1/index/volume and volume_range with aggregateBy=labels and targetLabels, against hand-computed volumes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TENANT, type LogRecord } from "@meshlog/core";
import { startTestServer, type TestServer } from "../features/auth/test-server.js";

const S = 1_000_000_000n;
const NOW = BigInt(Date.now()) * 1_000_000n;
/** Oldest line of the fixture: every line is at BASE + k minutes. */
const BASE = NOW - 30n * 60n * S;

/** Streams and their line bodies; a line's byte count is its body length (ASCII). */
const STREAMS: [Record<string, string>, [number, string][]][] = [
  [
    { app: "api", env: "prod", team: "alpha" },
    [
      [0, "12345"],
      [2, "1234567890"],
    ],
  ],
  [{ app: "api", env: "dev" }, [[0, "abc"]]],
  [{ app: "web", env: "prod", team: "beta" }, [[1, "x".repeat(20)]]],
  [{ app: "web" }, [[2, "yy"]]],
];

function records(): LogRecord[] {
  const out: LogRecord[] = [];
  for (const [labels, lines] of STREAMS) {
    for (const [minute, body] of lines) {
      out.push({
        timestamp: BASE + BigInt(minute) * 60n * S,
        observedTimestamp: NOW,
        severityNumber: 9,
        severityText: "",
        body,
        attributes: {},
        resource: {},
        traceId: "",
        spanId: "",
        tenant: DEFAULT_TENANT,
        labels,
      });
    }
  }
  return out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
}

describe("index volume aggregated by labels", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.server.ctx.store.append(DEFAULT_TENANT, records());
  });
  after(async () => {
    await s.close();
  });

  const range = { start: String(BASE - 60n * S), end: String(NOW) };
  const volume = async (path: string, params: Record<string, string>) => {
    const r = await s.call("GET", `${path}?${new URLSearchParams({ ...range, ...params }).toString()}`, { token: s.adminToken });
    return { status: r.status, text: r.text, body: r.status === 200 ? (r.json() as { data: { resultType: string; result: any[] } }) : undefined };
  };
  const vector = (result: { metric: Record<string, string>; value: [number, string] }[]) => result.map((x) => [x.metric, Number(x.value[1])]);

  test("without targetLabels every label of the matching streams gets the volume of the streams carrying it", async () => {
    const r = await volume("/loki/api/v1/index/volume", { query: '{app=~".+"}', aggregateBy: "labels" });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body?.data.resultType, "vector");
    // app: 15 + 3 + 20 + 2; env: 15 + 3 + 20; team: 15 + 20
    assert.deepEqual(vector(r.body?.data.result ?? []), [
      [{ app: "" }, 40],
      [{ env: "" }, 38],
      [{ team: "" }, 35],
    ]);
  });

  test("the selector narrows the streams, and targetLabels the label names reported", async () => {
    const prod = await volume("/loki/api/v1/index/volume", { query: '{env="prod"}', aggregateBy: "labels" });
    assert.deepEqual(
      vector(prod.body?.data.result ?? []).sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0]))),
      [
        [{ app: "" }, 35],
        [{ env: "" }, 35],
        [{ team: "" }, 35],
      ],
    );
    const targeted = await volume("/loki/api/v1/index/volume", { query: '{app=~".+"}', aggregateBy: "labels", targetLabels: "team,env" });
    assert.deepEqual(vector(targeted.body?.data.result ?? []), [
      [{ env: "" }, 38],
      [{ team: "" }, 35],
    ]);
    const top = await volume("/loki/api/v1/index/volume", { query: '{app=~".+"}', aggregateBy: "labels", limit: "1" });
    assert.deepEqual(vector(top.body?.data.result ?? []), [[{ app: "" }, 40]], "limit keeps the largest");
  });

  test("aggregateBy=series (the default) still groups by the matchers' label values", async () => {
    for (const params of [{ query: '{app=~".+"}' }, { query: '{app=~".+"}', aggregateBy: "series" }]) {
      const r = await volume("/loki/api/v1/index/volume", params);
      assert.deepEqual(vector(r.body?.data.result ?? []), [
        [{ app: "web" }, 22],
        [{ app: "api" }, 18],
      ]);
    }
  });

  test("volume_range spreads the label volumes over the steps", async () => {
    const r = await volume("/loki/api/v1/index/volume_range", {
      query: '{app=~".+"}',
      aggregateBy: "labels",
      start: String(BASE - 30n * S),
      end: String(BASE + 150n * S),
      step: "60",
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body?.data.resultType, "matrix");
    const byName = new Map(
      (r.body?.data.result ?? []).map((x: { metric: Record<string, string>; values: [number, string][] }) => [Object.keys(x.metric)[0], x]),
    );
    const team = byName.get("team") as { metric: Record<string, string>; values: [number, string][] };
    assert.deepEqual(team.metric, { team: "" });
    // team lines: minute 0 (5 bytes), minute 1 (20), minute 2 (10)
    assert.deepEqual(
      team.values.map((v) => Number(v[1])),
      [5, 20, 10],
    );
    const app = byName.get("app") as { values: [number, string][] };
    assert.equal(
      app.values.reduce((n, v) => n + Number(v[1]), 0),
      40,
    );
  });

  test("an unknown aggregateBy is a 400 naming the parameter", async () => {
    const r = await volume("/loki/api/v1/index/volume", { query: '{app=~".+"}', aggregateBy: "pods" });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid aggregateBy: "pods" \(use series or labels\)/);
  });
});

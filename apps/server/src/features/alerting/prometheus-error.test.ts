// The Prometheus rules/alerts API answers failures in Prometheus' error shape with Prometheus' status codes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { MeshlogError } from "@meshlog/core";
import type { ServerContext } from "../../context.js";
import { createToken, startTestServer, type TestServer } from "../auth/test-server.js";
import { AlertingErrors } from "./errors.js";
import { prometheusErrorType, usePrometheusErrors } from "./prometheus-error.js";

test("each HTTP status maps to Prometheus' errorType", () => {
  const table: [number, string][] = [
    [400, "bad_data"],
    [401, "bad_data"],
    [403, "bad_data"],
    [404, "not_found"],
    [406, "not_acceptable"],
    [413, "bad_data"],
    [422, "execution"],
    [429, "unavailable"],
    [499, "canceled"],
    [500, "internal"],
    [502, "internal"],
    [503, "unavailable"],
    [504, "timeout"],
  ];
  for (const [status, type] of table) assert.equal(prometheusErrorType(status), type, `status ${status}`);
});

interface ErrorCase {
  readonly title: string;
  readonly path: string;
  readonly token: () => string | undefined;
  readonly status: number;
  readonly errorType: string;
  readonly error: RegExp;
}

async function expectError(s: TestServer, c: ErrorCase): Promise<void> {
  const r = await s.call("GET", c.path, { token: c.token(), headers: { "x-scope-orgid": "a" } });
  assert.equal(r.status, c.status, `${c.title}: ${r.text}`);
  assert.match(String(r.headers.get("content-type")), /application\/json/, c.title);
  const body = r.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ["error", "errorType", "status"], c.title);
  assert.equal(body.status, "error", c.title);
  assert.equal(body.errorType, c.errorType, c.title);
  assert.match(String(body.error), c.error, c.title);
}

describe("Prometheus rules and alerts errors", () => {
  let s: TestServer;
  const tok: Record<string, string> = {};
  before(async () => {
    s = await startTestServer();
    tok.analyst = (await createToken(s, { tenant: "a", roles: ["analyst"] })).token;
    tok.ingest = (await createToken(s, { tenant: "a", roles: ["ingest"] })).token;
  });
  after(async () => {
    await s.close();
  });

  const cases: ErrorCase[] = [
    {
      title: "an unknown rule type is bad data",
      path: "/prometheus/api/v1/rules?type=bogus",
      token: () => tok.analyst,
      status: 400,
      errorType: "bad_data",
      error: /type: must be alert or record/,
    },
    { title: "a missing token is refused", path: "/prometheus/api/v1/rules", token: () => undefined, status: 401, errorType: "bad_data", error: /./ },
    {
      title: "a bad token is refused on alerts",
      path: "/prometheus/api/v1/alerts",
      token: () => "not-a-token",
      status: 401,
      errorType: "bad_data",
      error: /./,
    },
    {
      title: "a token without a reader role is forbidden",
      path: "/prometheus/api/v1/alerts",
      token: () => tok.ingest,
      status: 403,
      errorType: "bad_data",
      error: /./,
    },
  ];
  for (const c of cases) test(c.title, async () => expectError(s, c));

  test("successful answers keep the success shape", async () => {
    const r = await s.call("GET", "/prometheus/api/v1/alerts", { token: tok.analyst, headers: { "x-scope-orgid": "a" } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { status: "success", data: { alerts: [] } });
  });

  test("other routes keep the server's own error shape", async () => {
    const r = await s.call("GET", "/loki/api/v1/rules/none", { token: tok.analyst, headers: { "x-scope-orgid": "a" } });
    assert.equal(r.status, 404);
    assert.equal((r.json() as { status?: string }).status, undefined);
  });
});

test("service failures answer 503 unavailable with retry-after, unexpected errors 500 internal without their text", async () => {
  const logged: string[] = [];
  const ctx = { log: { error: (msg: string) => void logged.push(msg) } } as unknown as ServerContext;
  const app = Fastify();
  try {
    await app.register(async (prom) => {
      usePrometheusErrors(prom, ctx);
      prom.get("/unavailable", async () => {
        throw new MeshlogError(AlertingErrors.ALERT_UNAVAILABLE, "alerting is not running on this server");
      });
      prom.get("/bug", async () => {
        throw new Error("secret internal detail");
      });
    });
    const down = await app.inject({ method: "GET", url: "/unavailable" });
    assert.equal(down.statusCode, 503);
    assert.equal(down.headers["retry-after"], "1");
    assert.deepEqual(down.json(), { status: "error", errorType: "unavailable", error: "alerting is not running on this server" });
    const bug = await app.inject({ method: "GET", url: "/bug" });
    assert.equal(bug.statusCode, 500);
    assert.deepEqual(bug.json(), { status: "error", errorType: "internal", error: "internal error" });
    assert.deepEqual(logged, ["request failed"]);
  } finally {
    await app.close();
  }
});

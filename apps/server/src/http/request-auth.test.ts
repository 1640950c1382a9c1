import { test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyRequest } from "fastify";
import { extractCredential, sessionCookie } from "./request-auth.js";

const req = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as FastifyRequest;

test("credentials are read from every header form clients use", () => {
  const cases: [Record<string, string>, string, string][] = [
    [{ authorization: "Bearer mlg_abc" }, "mlg_abc", "bearer"],
    [{ authorization: `Basic ${Buffer.from("user:mlg_pw").toString("base64")}` }, "mlg_pw", "basic"],
    [{ authorization: `Basic ${Buffer.from("mlg_only_user").toString("base64")}` }, "mlg_only_user", "basic"],
    [{ authorization: `ApiKey ${Buffer.from("id1:mlg_key").toString("base64")}` }, "mlg_key", "apikey"],
    [{ "dd-api-key": "mlg_dd" }, "mlg_dd", "dd-api-key"],
  ];
  for (const [headers, secret, kind] of cases) assert.deepEqual(extractCredential(req("POST", headers)), { secret, kind }, JSON.stringify(headers));
  assert.equal(extractCredential(req("GET", {})), undefined);
  assert.equal(extractCredential(req("GET", { authorization: "Bearer " })), undefined);
});

test("the UI session cookie authenticates reads, and writes only with the UI header from the same origin", () => {
  const cookie = "other=1; meshlog_session=mlg_s%2Bx; x=2";
  assert.equal(sessionCookie(cookie), "mlg_s+x");
  assert.deepEqual(extractCredential(req("GET", { cookie, host: "h:1" })), { secret: "mlg_s+x", kind: "bearer" });
  assert.equal(extractCredential(req("POST", { cookie, host: "h:1" })), undefined, "a cross-site form post carries no UI header");
  assert.deepEqual(extractCredential(req("POST", { cookie, host: "h:1", "x-meshlog-ui": "1", origin: "http://h:1" })), { secret: "mlg_s+x", kind: "bearer" });
  assert.equal(extractCredential(req("POST", { cookie, host: "h:1", "x-meshlog-ui": "1", origin: "http://evil:1" })), undefined, "another origin is refused");
  assert.equal(extractCredential(req("GET", { cookie, host: "h:1", origin: "http://evil:1" })), undefined, "cross-origin WebSocket upgrades are refused");
  assert.equal(extractCredential(req("GET", { cookie: "meshlog_session=", host: "h" })), undefined);
});

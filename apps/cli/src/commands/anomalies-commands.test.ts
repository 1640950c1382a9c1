// Tests of `meshlog anomalies` against a real server process on 127.0.0.1 running the detector every 5 s: a burst of
// Envoy 503/UF lines becomes mesh anomalies listed as a table and as JSON; bad flags and kinds are refused.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startCliTestServer, type CliTestServer } from "../testing/cli-test-server.js";

let srv: CliTestServer;
let token = "";

describe("meshlog anomalies", () => {
  before(async () => {
    srv = await startCliTestServer("meshlog-cli-anomalies-", { MESHLOG_ANOMALIES_INTERVAL: "5" });
    token = (await readFile(join(srv.dataDir, "admin.token"), "utf8")).trim();
    const now = Date.now();
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        timestamp: new Date(now - 1000 + i).toISOString(),
        body: `[2026-11-25T06:00:00.000Z] "GET /pay/${i} HTTP/1.1" 503 UF 0 91 1 - "-" "curl/8.0" "r-${i}" "pay:8080" "10.0.0.9:8080"`,
        labels: { namespace: "shop", service: "payments" },
      }),
    );
    const r = await fetch(srv.addr + "/api/v1/ingest", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      body: lines.join("\n"),
    });
    assert.equal(r.status, 200, await r.text());
  });
  after(async () => {
    await srv.dispose();
  });

  test("lists the mesh anomalies of a 503/UF burst as JSON and as a table", async () => {
    let list: { kind: string; labels: Record<string, string>; message: string }[] = [];
    // The job runs every 5 s; a cold service is reported at once above cold5xxRatio. Bounded wait: 40 s.
    for (let i = 0; i < 80 && !list.some((a) => a.kind === "mesh-5xx"); i++) {
      if (i > 0) await sleep(500);
      const r = await srv.run(["anomalies", "--token", token, "--since", "1h", "--output", "json"]);
      assert.equal(r.code, 0, r.err);
      list = JSON.parse(r.out) as typeof list;
    }
    const mesh = list.find((a) => a.kind === "mesh-5xx");
    assert.ok(mesh !== undefined, JSON.stringify(list));
    assert.deepEqual(mesh.labels, { namespace: "shop", service: "payments" });
    assert.ok(list.some((a) => a.kind === "upstream-connect-failure"));
    const text = await srv.run(["anomalies", "--token", token, "--kind", "mesh-5xx"]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^TIME\s+KIND\s+SEVERITY\s+STREAM\s+SCORE\s+MESSAGE/);
    assert.match(text.out, /mesh-5xx\s+error\s+\{namespace="shop", service="payments"\}/);
    assert.doesNotMatch(text.out, /upstream-connect-failure/);
  });

  test("bad kinds and unknown flags are refused with a message", async () => {
    const bad = await srv.run(["anomalies", "--token", token, "--kind", "bogus"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /kind: unknown kind "bogus"/);
    const flagged = await srv.run(["anomalies", "--token", token, "--bogus", "1"]);
    assert.notEqual(flagged.code, 0);
    assert.match(flagged.err, /bogus/);
    const help = await srv.run(["anomalies", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.err, /usage: meshlog anomalies/);
  });
});

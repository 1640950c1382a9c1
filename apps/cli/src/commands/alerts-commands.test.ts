// Tests of `meshlog alerts` against a real server process on 127.0.0.1: a rule fires, shows in rules/list/incidents,
// and is acknowledged from the CLI.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startCliTestServer, type CliTestServer } from "../testing/cli-test-server.js";

let srv: CliTestServer;
let token = "";

const RULE = `name: cli
interval: 1s
rules:
  - alert: CliBoom
    expr: sum by (service) (count_over_time({service="cli"} |= "boom" [10m])) > 1
    for: 0s
    labels:
      severity: warning
`;

async function post(path: string, body: string, type: string): Promise<void> {
  const r = await fetch(srv.addr + path, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": type }, body });
  assert.ok(r.status < 300, `${path}: ${r.status} ${await r.text()}`);
}

describe("meshlog alerts", () => {
  before(async () => {
    srv = await startCliTestServer("meshlog-cli-alerts-");
    token = (await readFile(join(srv.dataDir, "admin.token"), "utf8")).trim();
    await post(
      "/api/v1/ingest",
      ["boom a", "boom b", "fine"].map((b) => JSON.stringify({ body: b, labels: { service: "cli" } })).join("\n"),
      "application/x-ndjson",
    );
    await post("/loki/api/v1/rules/ops", RULE, "application/yaml");
  });
  after(async () => {
    await srv.dispose();
  });

  test("rules, list, incidents and ack show and act on a firing alert", async () => {
    const data = ["--data", srv.dataDir];
    // The server evaluates the 1s group on its own; wait (bounded) until the alert fires.
    let alerts: { state: string; labels: Record<string, string>; value: string }[] = [];
    for (let i = 0; i < 100 && !alerts.some((a) => a.state === "firing"); i++) {
      const r = await srv.run(["alerts", "list", "--output", "json", ...data]);
      assert.equal(r.code, 0, r.err);
      alerts = JSON.parse(r.out) as typeof alerts;
      if (!alerts.some((a) => a.state === "firing")) await sleep(100);
    }
    assert.deepEqual(
      alerts.map((a) => [a.labels.alertname, a.state, Number(a.value)]),
      [["CliBoom", "firing", 2]],
    );
    const text = await srv.run(["alerts", "list", ...data]);
    assert.match(text.out, /^ALERT\s+STATE\s+ACTIVE SINCE\s+VALUE\s+LABELS\n/);
    assert.match(text.out, /CliBoom\s+firing\s+\S+\s+2\s+\{service="cli", severity="warning"\}/);

    const rules = await srv.run(["alerts", "rules", ...data]);
    assert.equal(rules.code, 0, rules.err);
    assert.match(rules.out, /ops\s+cli\s+CliBoom\s+firing\s+0s\s+ok\s+1\s+sum by \(service\)/);
    const other = await srv.run(["alerts", "rules", "--org-id", "other", "--output", "json", ...data]);
    assert.equal(other.code, 0, other.err);
    assert.deepEqual(JSON.parse(other.out), [], "another tenant has no rules");

    const inc = await srv.run(["alerts", "incidents", "--output", "json", ...data]);
    const incidents = JSON.parse(inc.out) as { id: string; rule: string; status: string; events: { type: string }[] }[];
    assert.equal(incidents.length, 1);
    assert.deepEqual([incidents[0]?.rule, incidents[0]?.status], ["CliBoom", "firing"]);
    const id = incidents[0]!.id;
    const listed = await srv.run(["alerts", "incidents", "--status", "firing", ...data]);
    assert.match(listed.out, new RegExp(`${id}\\s+default\\s+ops/cli/CliBoom\\s+firing`));

    const ack = await srv.run(["alerts", "ack", id, "--comment", "on it", ...data]);
    assert.equal(ack.code, 0, ack.err);
    assert.match(ack.out, new RegExp(`incident ${id} \\(default CliBoom, firing\\) acknowledged by bootstrap-admin at \\d{4}-`));
    const after = JSON.parse((await srv.run(["alerts", "incidents", "--output", "json", ...data])).out) as {
      acknowledgedBy?: string;
      events: { type: string }[];
    }[];
    assert.equal(after[0]?.acknowledgedBy, "bootstrap-admin");
    assert.equal(after[0]?.events.at(-1)?.type, "acknowledged");

    const missing = await srv.run(["alerts", "ack", "inc-nope", ...data]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no incident has id "inc-nope"/);
    assert.equal((await srv.run(["alerts", "ack", ...data])).code, 2);
    assert.equal((await srv.run(["alerts", "bogus", ...data])).code, 2);
    const badFlag = await srv.run(["alerts", "list", "--status", "x", ...data]);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.err, /unknown option --status/);
  });
});

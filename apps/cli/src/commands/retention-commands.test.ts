// Tests of `meshlog retention|holds|deletions` (and verify afterwards) against a real server process on 127.0.0.1.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startCliTestServer, type CliRun, type CliTestServer } from "../testing/cli-test-server.js";
import { parseRuleFlag } from "./retention.js";

let srv: CliTestServer;
let dataDir = "";
let addr = "";

const run = (args: string[]): Promise<CliRun> => srv.run(args);
const stopServer = (): Promise<void> => srv.stop();

test("--rule splits the selector from the retention at the last space", () => {
  assert.deepEqual(parseRuleFlag('{namespace="a b"} 400d'), { selector: '{namespace="a b"}', retention: "400d" });
  for (const bad of ["400d", "", " "]) assert.throws(() => parseRuleFlag(bad), /SELECTOR RETENTION/);
});

describe("retention CLI commands", () => {
  before(async () => {
    // Seal blocks after 1 s; no background runs (the test runs retention itself).
    srv = await startCliTestServer("meshlog-cli-retention-", { MESHLOG_SEAL_MAX_AGE: "1", MESHLOG_RETENTION_ENABLED: "false" });
    dataDir = srv.dataDir;
    addr = srv.addr;
  });

  after(async () => {
    await srv.dispose();
  });

  test("set and show policies, place and release a hold, run retention, list certificates, then verify", async () => {
    const data = ["--data", dataDir];
    const set = await run(["retention", "set", "--tenant", "default", "--default", "30d", "--rule", '{service="pay"} 400d', ...data]);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /version 1/);
    const bad = await run(["retention", "set", "--tenant", "default", "--rule", '{source="audit"} 30d', ...data]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /audit window/);
    const shown = await run(["retention", "show", "--output", "json", ...data]);
    assert.equal(shown.code, 0, shown.err);
    assert.deepEqual((JSON.parse(shown.out) as { policies: { rules: unknown[] }[] }).policies[0]?.rules, [{ selector: '{service="pay"}', retention: "400d" }]);

    const token = (await readFile(join(dataDir, "admin.token"), "utf8")).trim();
    const lines =
      ["api", "kept"].map((service) => JSON.stringify({ timestamp: "2020-01-15T00:00:00Z", body: `old ${service}`, labels: { service } })).join("\n") + "\n";
    const ingest = await fetch(`${addr}/api/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      body: lines,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(ingest.status, 200, await ingest.text());

    const placed = await run(["holds", "create", "--tenant", "default", "--selector", '{service="kept"}', "--reason", "case 9", "--output", "json", ...data]);
    assert.equal(placed.code, 0, placed.err);
    const holdId = (JSON.parse(placed.out) as { id: string }).id;
    const listed = await run(["holds", "list", ...data]);
    assert.match(listed.out, new RegExp(`${holdId}.*active.*case 9`));

    // Blocks are sealed by age; a run seals nothing, so wait for the data to be sealed by running until it is deleted.
    let deleted = 0;
    for (let i = 0; i < 100 && deleted === 0; i++) {
      const r = await run(["retention", "run", "--output", "json", ...data]);
      assert.equal(r.code, 0, r.err);
      deleted = (JSON.parse(r.out) as { deletedBlocks: number }).deletedBlocks;
      if (deleted === 0) await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(deleted, 1, "the api block is deleted; the held one is kept");
    const released = await run(["holds", "release", holdId, ...data]);
    assert.equal(released.code, 0, released.err);
    assert.match(released.out, /released legal hold/);
    const second = await run(["retention", "run", "--output", "json", ...data]);
    assert.equal((JSON.parse(second.out) as { deletedBlocks: number }).deletedBlocks, 1);

    const certs = await run(["deletions", "--output", "json", ...data]);
    assert.equal(certs.code, 0, certs.err);
    const list = JSON.parse(certs.out) as { id: string; kind: string; what: { records: number } }[];
    assert.equal(list.filter((c) => c.kind === "retention").length, 2);
    const text = await run(["deletions", ...data]);
    assert.match(text.out, /retention\s+default/);
    assert.equal(list.filter((c) => c.kind === "kek-destroyed").length, 1, "the emptied 2020-01 key is shredded");
    const one = await run(["deletions", list.find((c) => c.kind === "retention")?.id ?? "", "--output", "json", ...data]);
    assert.equal((JSON.parse(one.out) as { what: { records: number } }).what.records, 1, one.out);
    assert.equal((await run(["deletions", "nope.3", ...data])).code, 1);
    const compacted = await run(["retention", "compact", "--output", "json", ...data]);
    assert.equal(compacted.code, 0, compacted.err);
    const summary = JSON.parse(compacted.out) as { merged: number; sourceBlocks: number; newBlocks: number };
    assert.equal(summary.newBlocks, summary.merged);
    assert.ok(summary.sourceBlocks >= 2 * summary.merged, compacted.out);
    assert.match((await run(["retention", "compact", ...data])).out, /^merged \d+ small blocks into \d+ in \d+ tenants/);

    await stopServer();
    const verified = await run(["verify", "--data", dataDir, "--witness", join(dataDir, "verify-witness.json"), "--output", "json"]);
    assert.equal(verified.code, 0, verified.out + verified.err);
  });
});

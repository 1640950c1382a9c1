// Tests of `meshlog report soc2|verify` against a real server process on 127.0.0.1, online and offline.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCliTestServer, type CliTestServer } from "../testing/cli-test-server.js";

describe("report CLI commands", () => {
  let s: CliTestServer;
  let dir = "";
  before(async () => {
    s = await startCliTestServer("meshlog-cli-report-");
    dir = await mkdtemp(join(tmpdir(), "meshlog-cli-report-out-"));
  });
  after(async () => {
    await s.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test("report soc2 writes a signed JSON report that verifies through the server and offline; a changed copy fails", async () => {
    const file = join(dir, "report.json");
    const gen = await s.run(["report", "soc2", "--data", s.dataDir, "--since", "2h", "--out", file]);
    assert.equal(gen.code, 0, gen.err);
    assert.match(gen.err, /report rpt_[A-Za-z0-9_-]+ written to/);
    const report = JSON.parse(await readFile(file, "utf8")) as { reportId: string; sections: { id: string }[]; period: { start: string } };
    assert.equal(report.sections.length, 9);
    assert.ok(Date.now() - Date.parse(report.period.start) > 7_000_000 && Date.now() - Date.parse(report.period.start) < 7_400_000, report.period.start);

    const online = await s.run(["report", "verify", file, "--data", s.dataDir, "--addr", s.addr]);
    assert.equal(online.code, 0, online.out + online.err);
    assert.match(online.out, /^verified: /);
    const offline = await s.run(["report", "verify", file, "--data", s.dataDir, "--output", "json"]);
    assert.equal(offline.code, 0, offline.out + offline.err);
    assert.deepEqual(
      (JSON.parse(offline.out) as { checks: { name: string; ok: boolean }[] }).checks.map((c) => [c.name, c.ok]),
      [
        ["signature", true],
        ["anchor", true],
      ],
    );

    const tampered = join(dir, "tampered.json");
    await writeFile(tampered, (await readFile(file, "utf8")).replace(/"status": "attention"/, '"status": "pass"'));
    for (const args of [
      ["--data", s.dataDir, "--addr", s.addr],
      ["--data", s.dataDir, "--offline"],
    ]) {
      const bad = await s.run(["report", "verify", tampered, ...args]);
      assert.equal(bad.code, 1, bad.out);
      assert.match(bad.out, /REPORT VERIFICATION FAILED/);
      assert.match(bad.out, /FAIL signature/);
      assert.match(bad.out, /FAIL anchor/);
    }
    // Offline verification works with the server stopped (the data folder alone).
    await s.stop();
    const cold = await s.run(["report", "verify", file, "--data", s.dataDir]);
    assert.equal(cold.code, 0, cold.out + cold.err);
  });
});

describe("report CLI commands (HTML and usage)", () => {
  let s: CliTestServer;
  before(async () => {
    s = await startCliTestServer("meshlog-cli-report-html-");
  });
  after(async () => s.dispose());

  test("report soc2 --format html prints a printable page; bad arguments are refused", async () => {
    const html = await s.run(["report", "soc2", "--data", s.dataDir, "--format", "html", "--tenant", "default"]);
    assert.equal(html.code, 0, html.err);
    assert.match(html.out, /^<!doctype html>/);
    assert.match(html.out, /SOC 2 evidence report/);
    assert.equal((await s.run(["report"])).code, 2);
    const pdf = await s.run(["report", "soc2", "--data", s.dataDir, "--format", "pdf"]);
    assert.equal(pdf.code, 1);
    assert.match(pdf.err, /--format must be json or html/);
    const both = await s.run(["report", "soc2", "--data", s.dataDir, "--since", "1d", "--start", "2026-01-01T00:00:00Z"]);
    assert.match(both.err, /--since or --start/);
    const refused = await s.run(["report", "soc2", "--data", s.dataDir, "--tenant", "_audit"]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /400.*tenant/);
    const missing = await s.run(["report", "verify", "/nonexistent/report.json", "--data", s.dataDir]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
  });
});

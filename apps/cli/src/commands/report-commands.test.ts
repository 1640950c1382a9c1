// Tests of `meshlog report soc2|verify` against a real server process on 127.0.0.1, online and offline.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCliTestServer, type CliTestServer } from "../testing/cli-test-server.js";
import { verifyReportOffline } from "./report.js";

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
    // Offline verification works with the server stopped (the data folder alone), and any changed leaf fails it.
    await s.stop();
    const cold = await s.run(["report", "verify", file, "--data", s.dataDir]);
    assert.equal(cold.code, 0, cold.out + cold.err);
    const original = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    const leaves: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, Array.isArray(v) ? Number(k) : k]);
      else leaves.push(path);
    };
    walk(original, []);
    for (const path of leaves) {
      const copy = JSON.parse(JSON.stringify(original)) as Record<string, unknown>;
      let parent = copy as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      const old = parent[last];
      parent[last] = typeof old === "string" ? old + "x" : typeof old === "number" ? old + 1 : typeof old === "boolean" ? !old : "changed";
      const checks = await verifyReportOffline(copy, s.dataDir, undefined);
      assert.ok(
        checks.some((c) => !c.ok),
        `changing ${path.join(".")} must fail offline verification`,
      );
    }
    const truncated = join(dir, "truncated.json");
    await writeFile(truncated, (await readFile(file, "utf8")).slice(0, 500));
    const cut = await s.run(["report", "verify", truncated, "--data", s.dataDir]);
    assert.equal(cut.code, 1);
    assert.match(cut.err, /cannot read .* as a JSON report/);
    for (const body of [
      "[]",
      "42",
      '{"kind":"meshlog.soc2-evidence"}',
      '{"signature":{"publicKey":"x"},"anchor":{"checkpoint":{}, "inclusionProof":[]}}',
      '{"signature":{"publicKey":"x"},"anchor":{"checkpoint":{"rootHash":7}, "inclusionProof":[1], "contentHash": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}}',
    ]) {
      await writeFile(truncated, body);
      const r = await s.run(["report", "verify", truncated, "--data", s.dataDir]);
      assert.equal(r.code, 1, body);
      assert.match(r.out, /FAIL/);
    }
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
    // --since counts back from --end when both are given (a past period), not from now.
    const endIso = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const past = await s.run(["report", "soc2", "--data", s.dataDir, "--since", "1d", "--end", endIso, "--tenant", "default"]);
    assert.equal(past.code, 0, past.err);
    const period = (JSON.parse(past.out) as { period: { start: string; end: string } }).period;
    assert.equal(period.end, endIso);
    assert.equal(Date.parse(period.start), Date.parse(endIso) - 86_400_000);
    const refused = await s.run(["report", "soc2", "--data", s.dataDir, "--tenant", "_audit"]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /400.*tenant/);
    const missing = await s.run(["report", "verify", "/nonexistent/report.json", "--data", s.dataDir]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read/);
  });
});

// Tests for the journald source with a stand-in journalctl script: mapping, cursor checkpoint, resume.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { journaldSource, journaldSourceSchema, journalctlArgs } from "./index.js";
import { journalEntryRecord } from "./journal-entry.js";

const entry = (cursor: string, msg: unknown, prio = "3") =>
  JSON.stringify({
    __CURSOR: cursor,
    __REALTIME_TIMESTAMP: "1700000000123456",
    MESSAGE: msg,
    PRIORITY: prio,
    _SYSTEMD_UNIT: "nginx.service",
    _HOSTNAME: "node-1",
    _PID: "42",
  });

test("journal entries map to records; byte-array messages decode; junk is refused", () => {
  const e = journalEntryRecord(entry("c1", "hello"), 1n);
  assert.equal(e?.cursor, "c1");
  assert.equal(e?.record.body, "hello");
  assert.equal(e?.record.timestamp, 1_700_000_000_123_456_000n);
  assert.equal(e?.record.severityText, "ERROR");
  assert.equal(e?.record.attributes["systemd.unit"], "nginx.service");
  assert.equal(e?.record.resource["host.name"], "node-1");
  assert.equal(journalEntryRecord(entry("c2", [104, 105]), 1n)?.record.body, "hi");
  for (const junk of ["", "{", "[]", "null", '{"MESSAGE":"no cursor"}', '{"__CURSOR":5}']) assert.equal(journalEntryRecord(junk, 1n), undefined, junk);
});

test("journalctl arguments: start position without a cursor, --after-cursor with one", () => {
  const c = journaldSourceSchema.parse({ units: ["a.service"] });
  assert.deepEqual(journalctlArgs(c, undefined), ["-o", "json", "--follow", "--no-pager", "--all", "-u", "a.service", "--lines", "0"]);
  assert.ok(journalctlArgs(c, "s=abc").includes("--after-cursor=s=abc"));
});

test("reads entries from journalctl, checkpoints the cursor, and resumes after it on restart", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-journald-"));
  try {
    const script = join(dir, "journalctl");
    const argsFile = join(dir, "args");
    writeFileSync(script, `#!/bin/sh\necho "$@" >> ${argsFile}\ncat ${join(dir, "entries")}\nsleep 30\n`);
    chmodSync(script, 0o755);
    writeFileSync(join(dir, "entries"), [entry("c1", "one"), "not json", entry("c2", "two")].join("\n") + "\n");
    const saved = new Map<string, unknown>();
    const cfg = journaldSourceSchema.parse({ journalctl_path: script, start_at: "beginning" });
    const ctx = fakeSourceContext("j", saved);
    const s1 = journaldSource.create(cfg, ctx);
    await s1.start();
    await waitFor("two records", () => ctx.records.length === 2);
    assert.deepEqual(
      ctx.records.map((r) => r.body),
      ["one", "two"],
    );
    assert.equal(saved.get("cursor"), "c2");
    assert.equal(ctx.metrics.sum("meshlog_agent_source_errors_total"), 1);
    await s1.stop();
    const s2 = journaldSource.create(cfg, fakeSourceContext("j", saved));
    await s2.start();
    await waitFor("the second run", () => readFileSync(argsFile, "utf8").trim().split("\n").length === 2);
    await s2.stop();
    const runs = readFileSync(argsFile, "utf8").trim().split("\n");
    assert.match(runs[0] ?? "", /--lines all/);
    assert.match(runs[1] ?? "", /--after-cursor=c2/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

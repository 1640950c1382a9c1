// Acknowledged lines survive kill -9: concurrent writers, repeated SIGKILL/restart cycles, then a full read-back and verify.

import { rmSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { ingestNative, queryLines, runCli, spawnServer, tempDir, type SpawnedServer } from "./harness.js";

const CYCLES = Number(process.env.MESHLOG_E2E_KILL_CYCLES ?? 12);
const WRITERS = 4;
const BATCH = 40;

test(`every acknowledged line survives ${CYCLES} kill -9 cycles and the ledger verifies`, { timeout: 600_000 }, async () => {
  const dir = tempDir();
  const env = { MESHLOG_QUERY_MAX_ENTRIES: "1000000" };
  const acked = new Set<string>();
  let server: SpawnedServer | undefined;
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      server = await spawnServer({ dataDir: dir.path, env });
      const s = server;
      let stop = false;
      let ackedThisCycle = 0;
      const writers = Array.from({ length: WRITERS }, async (_, w) => {
        for (let seq = 0; !stop; seq++) {
          const ids = Array.from({ length: BATCH }, (_, i) => `c${cycle}-w${w}-s${seq}-i${i}`);
          try {
            const res = await ingestNative(
              s.url,
              s.token,
              ids.map((id) => ({ body: `durability ${id}`, labels: { service: "durability" }, attributes: { id } })),
            );
            if (res.status === 200) {
              const body = (await res.json()) as { accepted: number };
              assert.equal(body.accepted, BATCH);
              for (const id of ids) acked.add(id);
              ackedThisCycle += BATCH;
            }
          } catch {
            return; // connection reset by the kill: this batch was not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 250 + Math.floor(Math.random() * 500)));
      await s.kill9();
      stop = true;
      await Promise.all(writers);
      assert.ok(ackedThisCycle > 0, `cycle ${cycle}: writers were acknowledged before the kill`);
    }
    server = await spawnServer({ dataDir: dir.path, env });
    const lines = await queryLines(server.url, server.token, '{service="durability"}', { limit: 1_000_000 });
    const seen = new Map<string, number>();
    for (const l of lines) {
      const id = l.line.replace(/^durability /, "");
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const missing = [...acked].filter((id) => !seen.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.size} acknowledged lines are missing`);
    const dupes = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dupes.slice(0, 10), [], "no line is stored twice");
    assert.equal(await server.stop(), 0, "graceful shutdown exits 0");
    server = undefined;
    const verify = await runCli(["verify", "--data", dir.path, "--output", "json", "--witness", `${dir.path}.witness.json`]);
    assert.equal(verify.code, 0, `meshlog verify failed: ${verify.stdout}${verify.stderr}`);
    const report = JSON.parse(verify.stdout) as { ok: boolean; records: number; problems: unknown[] };
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
  } finally {
    if (server !== undefined) await server.kill9();
    dir.remove();
    rmSync(`${dir.path}.witness.json`, { force: true });
  }
});

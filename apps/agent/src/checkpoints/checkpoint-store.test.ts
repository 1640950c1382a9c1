// Tests for the checkpoint store: atomic persistence, ordering by buffer sequence, corrupt files.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { CHECKPOINTS_FILE, CheckpointStore } from "./checkpoint-store.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-cp-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("updates apply in buffer order, older entries are ignored, null deletes, and the state round-trips", async () => {
  await withDir(async (dir) => {
    const s = await CheckpointStore.load(dir);
    s.apply(1, { "a/x": 10, "b/y": "c1" });
    s.apply(3, { "a/x": 30 });
    s.apply(2, { "a/x": 20 });
    s.apply(4, { "b/y": null });
    assert.equal(s.get("a/x"), 30);
    assert.equal(s.get("b/y"), undefined);
    assert.deepEqual([...s.entries("a/")], [["x", 30]]);
    await s.persist();
    const again = await CheckpointStore.load(dir);
    assert.equal(again.seq, 4);
    assert.equal(again.get("a/x"), 30);
  });
});

test("a corrupt or foreign checkpoint file is an error naming the file", async () => {
  for (const body of ["{not json", "[]", '{"seq":"1","checkpoints":{}}', '{"seq":1}', "null"]) {
    await withDir(async (dir) => {
      await writeFile(join(dir, CHECKPOINTS_FILE), body);
      await assert.rejects(CheckpointStore.load(dir), (e: MeshlogError) => e.code === "AGENT_CHECKPOINT_CORRUPT" && e.message.includes(CHECKPOINTS_FILE), body);
    });
  }
});

// Tests for the stdin source: every line becomes a record, including a last line without a newline.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { createStdinSource, stdinSourceSchema } from "./index.js";

test("lines from the input stream become records with the configured labels", async () => {
  const input = new PassThrough();
  const ctx = fakeSourceContext("in");
  const src = createStdinSource(input).create(stdinSourceSchema.parse({ labels: { app: "cli" } }), ctx);
  await src.start();
  input.write("a\nb\r\n");
  input.end("c");
  await waitFor("three", () => ctx.records.length === 3);
  assert.deepEqual(
    ctx.records.map((r) => r.body),
    ["a", "b", "c"],
  );
  assert.equal(ctx.records[0]?.labels.app, "cli");
  await src.stop();
});

// Keeps apps/agent/docs/config-reference.md in step with the schemas (regenerate with --print-config-reference).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { REGISTRIES } from "../main.js";
import { configReference } from "./config-reference.js";

test("the generated config reference is up to date and covers every component", () => {
  const doc = configReference(REGISTRIES);
  const file = readFileSync(new URL("../../docs/config-reference.md", import.meta.url), "utf8");
  assert.equal(file, doc, "apps/agent/docs/config-reference.md is stale: run `meshlog agent --print-config-reference > apps/agent/docs/config-reference.md`");
  for (const d of [...REGISTRIES.sources, ...REGISTRIES.sinks, ...REGISTRIES.transforms]) assert.ok(doc.includes(`### \`${d.type}\``), d.type);
  assert.match(doc, /\| `buffer\.when_full` \| "block" \\\| "drop_oldest" \| "block" \|/);
});

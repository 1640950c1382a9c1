// In-process check that the shared pipeline's transforms run between sources and the buffer.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@meshlog/core";
import { parseConfigText } from "../config/load-config.js";
import { REGISTRIES } from "../main.js";
import { Agent } from "../runtime/agent.js";
import { waitFor } from "../testing/spawn-agent.js";

test("parse, redact, drop and add_fields from the pipeline apply to tailed lines before they ship", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-pipe-"));
  const out = join(dir, "out.ndjson");
  const cfg = `
data_dir: ${join(dir, "data")}
api: { enabled: false }
fields: { cluster: c1 }
sources:
  app: { type: file, include: ["${join(dir, "in.log")}"], start_at: beginning, poll_interval: 20ms }
transforms:
  - type: parse
    format: json
  - type: redact
  - type: drop
    conditions: ['body =~ ".*healthz.*"']
  - type: add_fields
    resource: { region: eu-west-1 }
sinks:
  out: { type: file, path: "${out}", sync: false }
`;
  writeFileSync(
    join(dir, "in.log"),
    [
      JSON.stringify({ level: "error", msg: "card 4111 1111 1111 1111 declined", user: "u1" }),
      JSON.stringify({ level: "info", msg: "GET /healthz" }),
      "plain line",
    ].join("\n") + "\n",
  );
  let agent: Agent | undefined;
  try {
    agent = await Agent.start(parseConfigText(cfg, "agent.yaml", {}, REGISTRIES), { logger: silentLogger });
    const lines = (): Record<string, unknown>[] => {
      try {
        return readFileSync(out, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return [];
      }
    };
    await waitFor("two records", () => lines().length === 2);
    const [card, plain] = lines() as {
      body: string;
      severity?: string;
      attributes: Record<string, string>;
      resource: Record<string, string>;
      labels: Record<string, string>;
    }[];
    assert.ok(card !== undefined && plain !== undefined);
    assert.equal(card.severity?.toLowerCase(), "error");
    assert.ok(!JSON.stringify(card).includes("4111 1111 1111 1111"), "the card number is redacted");
    assert.equal(card.resource.cluster, "c1");
    assert.equal(card.resource.region, "eu-west-1");
    assert.equal(card.labels.source, "agent");
    assert.equal(plain.body, "plain line");
    assert.equal(agent.metrics.sum("meshlog_agent_transform_dropped_total"), 1);
  } finally {
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

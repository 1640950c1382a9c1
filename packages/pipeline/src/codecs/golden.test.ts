import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { goldenFiles, plain, readJson, srcDirOf, writeJson } from "../testing/golden.js";
import { parseBody } from "./parse-body.js";
import type { BodyFormat } from "./body-format.js";

interface GoldenCase {
  name: string;
  line: string;
  /** Parse with this format instead of the file's. */
  format?: BodyFormat | "auto";
  expect: unknown;
}
interface GoldenFile {
  /** How the lines are parsed: "auto" (detection) or a fixed format. */
  format: BodyFormat | "auto";
  cases: GoldenCase[];
}

// Syslog BSD timestamps have no year: goldens are parsed as if received on 2026-11-25.
const NOW = 1_795_000_000_000_000_000n + 500_000_000_000_000n;
const update = process.env.MESHLOG_UPDATE_GOLDEN === "1";
const root = srcDirOf(import.meta.url);

for (const entry of readdirSync(root).sort()) {
  if (!statSync(`${root}${entry}`).isDirectory()) continue;
  for (const file of goldenFiles(srcDirOf(import.meta.url, `${entry}/golden`))) {
    const golden = readJson<GoldenFile>(file);
    const short = file.slice(root.length);
    test(`golden ${short}: every line parses to the recorded fields`, () => {
      assert.ok(golden.cases.length > 0, "a golden file has cases");
      let changed = false;
      for (const c of golden.cases) {
        const got = plain(parseBody(c.line, c.format ?? golden.format, { syslog: { nowNs: NOW } }));
        if (update) {
          changed ||= JSON.stringify(got) !== JSON.stringify(c.expect);
          c.expect = got;
          continue;
        }
        assert.deepEqual(got, c.expect, `${short}: ${c.name}`);
      }
      if (update && changed) writeJson(file, golden);
    });
  }
}

test("golden files exist for every parser family", () => {
  const dirs = readdirSync(root).filter((e) => goldenFiles(srcDirOf(import.meta.url, `${e}/golden`)).length > 0);
  for (const want of ["cri", "docker", "envoy", "istio", "json", "linkerd", "logfmt", "nginx", "syslog"])
    assert.ok(dirs.includes(want), `golden files for ${want}`);
});

// Tests for the agent config loader: strict keys with file:line, env interpolation, defaults, cross-field rules.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { REGISTRIES } from "../main.js";
import { loadConfig, parseConfigText } from "./load-config.js";
import { interpolateEnv } from "./interpolate.js";
import { parseDurationMs, parseSize } from "./units.js";

const MINIMAL = `
sources:
  app:
    type: file
    include: ["/var/log/app/*.log"]
sinks:
  server:
    type: meshlog
    endpoint: https://meshlog.example:3100
`;

const parse = (text: string, env: Record<string, string> = {}) => parseConfigText(text, "agent.yaml", env, REGISTRIES);

function errorOf(fn: () => unknown): MeshlogError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MeshlogError, `expected a MeshlogError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

test("a minimal config gets the documented defaults", () => {
  const c = parse(MINIMAL);
  assert.equal(c.data_dir, "/var/lib/meshlog-agent");
  assert.equal(c.api.address, "127.0.0.1:8687");
  assert.equal(c.buffer.max_size, 256 * 1024 * 1024);
  assert.equal(c.buffer.segment_size, 16 * 1024 * 1024);
  assert.equal(c.buffer.when_full, "block");
  const src = c.sources[0];
  assert.equal(src?.type, "file");
  assert.deepEqual((src?.config as { start_at: string; read_size: number }).start_at, "end");
  assert.equal((src?.config as { read_size: number }).read_size, 1024 * 1024);
  assert.equal((c.sinks[0]?.config as { compression: string }).compression, "gzip");
});

const unknownKeys: [string, string, RegExp][] = [
  ["top level", MINIMAL + "bogus: 1\n", /agent\.yaml:10:1: unknown key "bogus"/],
  ["inside a source", MINIMAL.replace("    type: file\n", "    type: file\n    includ: [x]\n"), /agent\.yaml:5:5: unknown key "sources\.app\.includ"/],
  ["inside a sink", MINIMAL + "    tokne: abc\n", /agent\.yaml:10:5: unknown key "sinks\.server\.tokne"/],
  ["inside buffer", MINIMAL + "buffer:\n  max_sise: 1GB\n", /agent\.yaml:11:3: unknown key "buffer\.max_sise"/],
];
for (const [where, text, re] of unknownKeys) {
  test(`an unknown key ${where} is an error naming file, line and key`, () => {
    const e = errorOf(() => parse(text));
    assert.equal(e.code, "AGENT_CONFIG_INVALID");
    assert.match(e.message, re);
  });
}

test("an unknown component type lists the known types at the type's line", () => {
  const e = errorOf(() => parse(MINIMAL.replace("type: file", "type: fiel")));
  assert.match(e.message, /agent\.yaml:4:11: sources\.app\.type: unknown source type "fiel" \(known: file, kubernetes, syslog, otlp, journald, stdin\)/);
});

test("bad values name their path and line", () => {
  const e = errorOf(() => parse(MINIMAL + "buffer: { max_size: lots }\n"));
  assert.match(e.message, /agent\.yaml:10:21: buffer\.max_size: "lots" is not a size/);
  const e2 = errorOf(() => parse(MINIMAL.replace("https://meshlog.example:3100", "not a url")));
  assert.match(e2.message, /sinks\.server\.endpoint/);
});

test("env interpolation: set, default, escaped and missing variables", () => {
  assert.equal(interpolateEnv("a: ${A}\nb: ${B:-dflt}\nc: $${A}", { A: "x" }, "f.yaml"), "a: x\nb: dflt\nc: ${A}");
  assert.equal(interpolateEnv("b: ${B:-}", {}, "f.yaml"), "b: ");
  const e = errorOf(() => interpolateEnv("a: 1\nb: ${MISSING}\n", {}, "f.yaml"));
  assert.equal(e.code, "AGENT_CONFIG_ENV_MISSING");
  assert.match(e.message, /f\.yaml:2: environment variable MISSING is not set/);
  const e2 = errorOf(() => interpolateEnv("a: ${NL}", { NL: "x\ny: 1" }, "f.yaml"));
  assert.match(e2.message, /contains a newline/);
});

test("interpolated values reach the component config", () => {
  const c = parse(MINIMAL + "    token: ${TOKEN}\n", { TOKEN: "s3cret" });
  assert.equal((c.sinks[0]?.config as { token: string }).token, "s3cret");
});

test("cross-field rules: a source and a sink are required, the buffer holds at least 4 segments", () => {
  assert.match(errorOf(() => parse("sources: {}\nsinks: {}\n")).message, /at least one source[\s\S]*at least one sink/);
  assert.match(errorOf(() => parse(MINIMAL + "buffer: { max_size: 1MiB, segment_size: 512KiB }\n")).message, /at least 4 x buffer\.segment_size/);
});

test("malformed and hostile YAML is refused with a position, never crashes", () => {
  const cases = ["sources: [", "sources:\n  a: 1\n  a: 2\n", "\t- tab", "a: &x [*x]", "{".repeat(2000), "sources: !!binary x"];
  for (const text of cases) {
    const e = errorOf(() => parse(text));
    assert.ok(e.code === "AGENT_CONFIG_UNREADABLE" || e.code === "AGENT_CONFIG_INVALID", `${JSON.stringify(text.slice(0, 20))}: ${e.code}`);
  }
});

test("transform sections are validated by the pipeline's schemas", () => {
  const ok = parse(MINIMAL + "transforms:\n  - type: add_fields\n    resource: { cluster: prod }\n");
  assert.equal(ok.transforms.length, 1);
  const e = errorOf(() => parse(MINIMAL + "transforms:\n  - type: nope\n"));
  assert.match(e.message, /transforms\[0\]\.type: unknown transform type "nope"/);
});

test("loadConfig reads a file and names it in errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-cfg-"));
  try {
    const file = join(dir, "agent.yaml");
    await writeFile(file, MINIMAL + "extra: true\n");
    await assert.rejects(loadConfig(file, {}, REGISTRIES), (e: MeshlogError) => e.message.includes(`${file}:10:1: unknown key "extra"`));
    await assert.rejects(loadConfig(join(dir, "missing.yaml"), {}, REGISTRIES), (e: MeshlogError) => e.code === "AGENT_CONFIG_UNREADABLE");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("sizes and durations parse with units and refuse garbage", () => {
  const sizes: [string | number, number | undefined][] = [
    ["1MiB", 1048576],
    ["1MB", 1_000_000],
    ["512KiB", 524288],
    [4096, 4096],
    ["1.5GiB", 1610612736],
    ["-1", undefined],
    ["1TB", undefined],
    ["", undefined],
    [-5, undefined],
  ];
  for (const [v, want] of sizes) assert.equal(parseSize(v), want, String(v));
  const durs: [string | number, number | undefined][] = [
    ["250ms", 250],
    ["5s", 5000],
    ["1m", 60000],
    ["2h", 7_200_000],
    [10, 10],
    ["5", undefined],
    ["s", undefined],
  ];
  for (const [v, want] of durs) assert.equal(parseDurationMs(v), want, String(v));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { errorCatalog, MeshlogError, silentLogger, type LogRecord, type Logger } from "@meshlog/core";
import { parse as parseYaml } from "yaml";
import { defaultTransformRegistry, TRANSFORMS, TransformRegistry } from "./registry.js";
import { PipelineErrors } from "./errors.js";
import { fnv1a32 } from "./transforms/sample/index.js";
import type { RedactTransform } from "./transforms/redact/index.js";

const ctx = { logger: silentLogger };
const rec = (body: string, over: Partial<LogRecord> = {}): LogRecord => ({
  timestamp: 1n,
  observedTimestamp: 1n,
  severityNumber: 0,
  severityText: "",
  body,
  attributes: {},
  resource: {},
  traceId: "",
  spanId: "",
  tenant: "t",
  labels: { source: "agent" },
  ...over,
});

test("every built-in transform is registered once with a strict schema and a description", () => {
  assert.deepEqual(defaultTransformRegistry.types(), ["parse", "labels", "redact", "drop", "sample", "add_fields"]);
  for (const d of TRANSFORMS) {
    assert.ok(d.description.length > 10, d.type);
    const r = d.configSchema.safeParse({ definitelyUnknownKey: 1 });
    assert.equal(r.success, false, `${d.type} rejects unknown keys`);
  }
  assert.throws(() => new TransformRegistry([TRANSFORMS[0]!, TRANSFORMS[0]!]), /registered twice/);
});

test("a chain built from agent YAML parses, labels, redacts, drops, samples and adds fields", () => {
  const yaml = `
transforms:
  - type: parse
  - type: add_fields
    resource: { k8s.cluster.name: eu-1 }
    labels: { cluster: eu-1 }
  - type: labels
  - type: redact
    rules: { ipv4: true }
  - type: drop
    conditions:
      - 'attributes.url.path =~ "/health.*"'
      - { field: level, op: "!=", value: error }
  - type: sample
    rate: 1
`;
  const specs = (parseYaml(yaml) as { transforms: unknown[] }).transforms;
  const chain = defaultTransformRegistry.buildChain(specs, ctx);
  assert.equal(chain.steps.length, 6);
  const out = chain.process([
    rec('2024-01-01T00:00:00Z stdout F {"level":"info","msg":"login","email":"bob@example.com","client":"10.0.0.9"}', { resource: { "service.name": "auth" } }),
    rec('[2024-01-01T00:00:01.000Z] "GET /healthz HTTP/1.1" 200 - 0 2 1 1 "-" "kube-probe" "-" "auth" "-"'),
    rec('[2024-01-01T00:00:02.000Z] "GET /healthz HTTP/1.1" 503 - 0 2 1 1 "-" "kube-probe" "-" "auth" "-"'),
  ]);
  assert.equal(out.length, 2, "the healthy probe is dropped, the failing one kept");
  const first = out[0]!;
  assert.equal(first.body, '{"level":"info","msg":"login","email":"[REDACTED:email]","client":"[REDACTED:ipv4]"}');
  assert.equal(first.attributes.email, "[REDACTED:email]");
  assert.equal(first.timestamp, 1_704_067_200_000_000_000n);
  assert.deepEqual(first.labels, { source: "agent", cluster: "eu-1", service: "auth", level: "info" });
  assert.equal(first.resource["k8s.cluster.name"], "eu-1");
  assert.equal(out[1]!.severityNumber, 17);
  const redact = chain.steps[3]!.transform as RedactTransform;
  assert.deepEqual(redact.counts(), { email: 2, ipv4: 2 });
});

const badSpecs: { name: string; spec: unknown; code: string; message: RegExp }[] = [
  { name: "a non-object", spec: "parse", code: PipelineErrors.PIPELINE_CONFIG_INVALID, message: /transforms\[0\]: must be an object/ },
  { name: "a missing type", spec: {}, code: PipelineErrors.PIPELINE_CONFIG_INVALID, message: /"type" is required/ },
  {
    name: "an unknown type",
    spec: { type: "explode" },
    code: PipelineErrors.PIPELINE_TRANSFORM_UNKNOWN,
    message: /unknown transform type "explode" \(known: parse, labels/,
  },
  {
    name: "an unknown key",
    spec: { type: "parse", fromat: "json" },
    code: PipelineErrors.PIPELINE_CONFIG_INVALID,
    message: /transforms\[0\] \(parse\): unknown key "fromat"/,
  },
  {
    name: "a nested unknown key",
    spec: { type: "redact", rules: { emial: true } },
    code: PipelineErrors.PIPELINE_CONFIG_INVALID,
    message: /unknown key "rules.emial"/,
  },
  { name: "a bad enum", spec: { type: "parse", format: "xml" }, code: PipelineErrors.PIPELINE_CONFIG_INVALID, message: /\(parse\): format:/ },
  { name: "a sample rate of zero", spec: { type: "sample", rate: 0 }, code: PipelineErrors.PIPELINE_CONFIG_INVALID, message: /rate:/ },
  {
    name: "a bad drop condition",
    spec: { type: "drop", conditions: ["level ~ debug"] },
    code: PipelineErrors.PIPELINE_CONFIG_INVALID,
    message: /\(drop\): condition "level ~ debug" is not FIELD OP/,
  },
  {
    name: "a bad drop regex",
    spec: { type: "drop", conditions: ['body =~ "(a"'] },
    code: PipelineErrors.PIPELINE_PATTERN_INVALID,
    message: /\(drop\): condition on "body"/,
  },
  { name: "a bad drop field", spec: { type: "drop", conditions: ['bodee = "x"'] }, code: PipelineErrors.PIPELINE_FIELD_INVALID, message: /field "bodee"/ },
  {
    name: "a high-cardinality label rule",
    spec: { type: "labels", rules: [{ label: "pod", from: ["resource.k8s.pod.name"] }] },
    code: PipelineErrors.PIPELINE_CONFIG_INVALID,
    message: /high-cardinality/,
  },
];
for (const c of badSpecs) {
  test(`building a chain with ${c.name} fails with a precise error`, () => {
    assert.throws(
      () => defaultTransformRegistry.buildChain([c.spec], ctx),
      (e: unknown) => e instanceof MeshlogError && e.code === c.code && c.message.test(e.message),
    );
  });
}

test("drop conditions: =, !=, =~ (anchored), !~, any/all", () => {
  const mk = (conditions: unknown[], match?: string) => defaultTransformRegistry.create({ type: "drop", conditions, ...(match ? { match } : {}) }, ctx);
  const recs = () => [rec("a", { severityNumber: 5 }), rec("b", { severityNumber: 17 }), rec("abc", { severityNumber: 9 })];
  assert.deepEqual(
    mk(['level = "debug"'])
      .process(recs())
      .map((r) => r.body),
    ["b", "abc"],
  );
  assert.deepEqual(
    mk(['level != "debug"'])
      .process(recs())
      .map((r) => r.body),
    ["a"],
  );
  assert.deepEqual(
    mk(['body =~ "a"'])
      .process(recs())
      .map((r) => r.body),
    ["b", "abc"],
    "regex is anchored like LogQL label matchers",
  );
  assert.deepEqual(
    mk(['body !~ "a.*"'])
      .process(recs())
      .map((r) => r.body),
    ["a", "abc"],
  );
  assert.deepEqual(
    mk(['body = "a"', 'level = "error"'], "any")
      .process(recs())
      .map((r) => r.body),
    ["abc"],
  );
  assert.deepEqual(mk(["attributes.missing = ''"]).process(recs()).length, 3, "quoted '' is a literal value");
  assert.deepEqual(mk(['attributes.missing = ""']).process(recs()).length, 0, "an absent field reads as empty");
});

test("sample keeps 1 in N by key hash, keeps related records together and never drops warnings", () => {
  const t = defaultTransformRegistry.create({ type: "sample", rate: 4, key: "attributes.request.id" }, ctx);
  const recs: LogRecord[] = [];
  for (let i = 0; i < 400; i++) {
    recs.push(rec(`line ${i}`, { attributes: { "request.id": `req-${i % 100}` } }));
  }
  recs.push(rec("boom", { severityNumber: 17, attributes: { "request.id": "req-1" } }));
  const kept = t.process(recs);
  const keptIds = new Set(kept.filter((r) => r.severityNumber === 0).map((r) => r.attributes["request.id"]));
  const expectIds = new Set(Array.from({ length: 100 }, (_, i) => `req-${i}`).filter((id) => fnv1a32(id) % 4 === 0));
  assert.deepEqual(keptIds, expectIds);
  assert.equal(kept.filter((r) => r.severityNumber === 0).length, expectIds.size * 4);
  assert.ok(kept.some((r) => r.body === "boom"));
  assert.ok(expectIds.size > 5 && expectIds.size < 50);
});

test("add_fields does not overwrite unless told to and validates labels", () => {
  const keep = defaultTransformRegistry.create({ type: "add_fields", attributes: { env: "prod" } }, ctx);
  const over = defaultTransformRegistry.create({ type: "add_fields", attributes: { env: "prod" }, overwrite: true }, ctx);
  assert.equal(keep.process([rec("x", { attributes: { env: "dev" } })])[0]!.attributes.env, "dev");
  assert.equal(over.process([rec("x", { attributes: { env: "dev" } })])[0]!.attributes.env, "prod");
  assert.throws(() => defaultTransformRegistry.create({ type: "add_fields", labels: { "bad-label": "x" } }, ctx), /not a valid label name/);
});

test("the labels transform logs and keeps the record when limits are broken", () => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  const t = defaultTransformRegistry.create({ type: "labels", maxLabelNamesPerStream: 2 }, { logger });
  const out = t.process([rec("x", { labels: { source: "a", a: "1", b: "2" } })]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.labels, { source: "a", a: "1", b: "2" });
  assert.equal(warnings.length, 1);
});

test("the parse transform with a prefix and a fixed format", () => {
  const t = defaultTransformRegistry.create({ type: "parse", format: "logfmt", prefix: "p." }, ctx);
  const r = t.process([rec("level=warn a=1")])[0]!;
  assert.deepEqual(r.attributes, { "p.level": "warn", "p.a": "1" });
  assert.equal(r.severityNumber, 13);
});

test("pipeline error codes are registered, prefixed and unique", () => {
  const mine = [...errorCatalog()].filter(([, spec]) => spec.area === "pipeline");
  assert.equal(mine.length, Object.keys(PipelineErrors).length);
  for (const [code, spec] of mine) {
    assert.match(code, /^PIPELINE_[A-Z_]+$/);
    assert.ok(spec.description.length > 10);
  }
});

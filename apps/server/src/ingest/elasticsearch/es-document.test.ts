// Golden cases of the Elasticsearch document mapping (documentToRecord, flattenDocument): shipper documents, edge
// values and hostile shapes, each checked against the recorded output in golden/es-document.json, key order included.
// MESHLOG_UPDATE_GOLDEN=1 rewrites the file from the current output.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beatsEventToRecord } from "../beats/beats-record.js";
import { DocumentError, documentToRecord, flattenDocument } from "./es-document.js";

const GOLDEN = fileURLToPath(new URL("../../../src/ingest/elasticsearch/golden/es-document.json", import.meta.url));
const NOW = 1_795_000_000_123_456_789n;
const MAX_LINE = 4096;

interface Case {
  readonly name: string;
  readonly doc: unknown;
  readonly index?: string;
  readonly id?: string;
  readonly source?: string;
  /** Record only the SHA-256 of the output (large generated documents). */
  readonly hash?: boolean;
  /** Map as a Beats v2 event (beatsEventToRecord: `@metadata` gives the index and is not stored). */
  readonly beats?: boolean;
}

const nest = (depth: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = depth - 1; i >= 0; i--) v = { [`l${i}`]: v };
  return v;
};
const wide = (n: number): Record<string, unknown> => {
  const o: Record<string, unknown> = { message: "wide" };
  for (let i = 0; i < n; i++) o[`f${i}`] = i % 3 === 0 ? i : i % 3 === 1 ? `v${i}` : { x: i, y: [i] };
  return o;
};

const filebeatContainer = JSON.parse(
  '{"@timestamp":"2026-01-02T03:04:05.678Z","@metadata":{"beat":"filebeat","type":"_doc","version":"8.17.0"},"message":"GET /api/v1/orders/100001 200 7ms user=u1","log":{"offset":80,"file":{"path":"/var/log/containers/checkout-5d8f_shop_app-0123.log"}},"stream":"stdout","input":{"type":"container"},"kubernetes":{"namespace":"shop","pod":{"name":"checkout-1","uid":"5b8e"},"container":{"name":"app"},"node":{"name":"node-1"},"labels":{"app":"checkout","app_kubernetes_io/name":"checkout"}},"container":{"id":"0123abcd","runtime":"containerd","image":{"name":"shop/checkout:1.4"}},"host":{"name":"node-1","hostname":"node-1","architecture":"x86_64","os":{"family":"debian","name":"Debian GNU/Linux","version":"12"},"ip":["10.0.0.5","fe80::1"]},"agent":{"type":"filebeat","version":"8.17.0","name":"node-1","id":"b5c1c1c4-3f8e-4b8c-9d43-2d1a7f3f7a10","ephemeral_id":"0c1e"},"ecs":{"version":"8.0.0"}}',
);

const CASES: Case[] = [
  { name: "filebeat container document", doc: filebeatContainer, index: "filebeat-8.17.0" },
  {
    name: "filebeat kubernetes document with ECS log.level and service",
    doc: {
      "@timestamp": "2026-01-02T03:04:05.123456789Z",
      message: "payment declined",
      log: { level: "ERROR", logger: "pay.Service", origin: { file: { name: "Pay.java", line: 42 } } },
      service: { name: "pay", version: "2.1.0", environment: "prod" },
      kubernetes: { namespace: "shop", pod: { name: "pay-7d9", uid: "u-1" }, container: { name: "pay" }, node: { name: "n2" }, replicaset: { name: "pay-7" } },
      trace: { id: "4bf92f3577b34da6a3ce929d0e0e4736" },
      span: { id: "00f067aa0ba902b7" },
      event: { dataset: "pay.log", ingested: "2026-01-02T03:04:06Z" },
      tags: ["k8s", "prod"],
    },
    index: "logs-pay-default",
  },
  {
    name: "filebeat syslog module document",
    doc: {
      "@timestamp": "2026-01-02T03:04:05.000Z",
      message: "Accepted publickey for ops from 10.1.2.3 port 52100 ssh2",
      log: { syslog: { priority: 38, facility: { code: 4, name: "auth" }, severity: { code: 6, name: "Informational" } } },
      process: { name: "sshd", pid: 1234 },
      host: { hostname: "bastion" },
      fileset: { name: "auth" },
    },
    index: "filebeat-8.17.0",
  },
  {
    name: "logstash document with @version, host as text and tags",
    doc: {
      "@timestamp": "2026-01-02T03:04:05.000Z",
      "@version": "1",
      message: "disk full",
      host: "web-1",
      path: "/var/log/app.log",
      tags: ["_grokparsefailure"],
      type: "app",
      level: "WARN",
    },
    index: "logstash-2026.01.02",
  },
  {
    name: "logstash document with beats fields and a numeric id",
    doc: {
      "@timestamp": "2026-01-02T03:04:05Z",
      "@version": "1",
      message: "hello",
      host: { name: "h" },
      agent: { type: "filebeat" },
      log: { file: { path: "/x" } },
    },
    index: "logstash",
    id: "42",
  },
  {
    name: "fluent bit es output (Logstash_Format) with kubernetes filter fields",
    doc: {
      "@timestamp": "2026-01-02T03:04:05.123Z",
      log: "2026-01-02 03:04:05 INFO started\n",
      stream: "stderr",
      time: "2026-01-02T03:04:05.123456789Z",
      kubernetes: {
        pod_name: "api-1",
        namespace_name: "shop",
        pod_id: "p-1",
        labels: { app: "api", "pod-template-hash": "abc" },
        annotations: { "prometheus.io/scrape": "true" },
        host: "node-3",
        container_name: "api",
        docker_id: "d0",
        container_image: "api:1",
      },
    },
    index: "logstash-2026.01.02",
  },
  {
    name: "fluent bit es output with Replace_Dots",
    doc: { "@timestamp": "2026-01-02T03:04:05.123Z", message: "ok", kubernetes: { labels: { app_kubernetes_io_name: "api" } }, service_name: "api" },
    index: "fluent-bit",
  },
  {
    name: "vector elasticsearch sink document",
    doc: {
      timestamp: "2026-01-02T03:04:05.123456Z",
      message: "vector line",
      host: "vec-1",
      source_type: "file",
      file: "/var/log/a.log",
      "@timestamp": "2026-01-02T03:04:05.123456Z",
    },
    index: "vector-2026.01.02",
  },
  {
    name: "vector document with a structured message and dotted service key",
    doc: { "@timestamp": 1767323045678, message: { msg: "structured", n: 1 }, "service.name": "svc", "log.level": "debug", level: "info" },
    index: "vector",
  },
  {
    name: "nested objects, arrays of objects and empty containers",
    doc: { message: "n", a: { b: { c: { d: "deep" } }, e: [] }, list: [{ k: 1 }, { k: [2, null] }], empty: {}, e2: { x: {} } },
    index: "i",
  },
  {
    name: "dotted keys colliding with nested objects (last value wins, first position kept)",
    doc: { "a.b": "dotted", a: { b: "nested", c: "c" }, "a.c": "dotted-c", message: "m" },
    index: "i",
  },
  {
    name: "numbers, booleans and nulls",
    doc: {
      message: "n",
      int: 42,
      neg: -7,
      float: 3.14,
      exp: 1e21,
      tiny: 1e-7,
      negZero: -0,
      big: 12345678901234567890,
      t: true,
      f: false,
      n: null,
      s: "",
      nested: { n: null, z: 0 },
    },
    index: "i",
  },
  {
    name: "integer-like keys are ordered first",
    doc: { message: "order", b: "1", "2": "two", a: "3", "1": "one", "10": "ten" },
    index: "i",
  },
  { name: "no message: the body is the whole document", doc: { "@timestamp": "2026-01-02T03:04:05Z", event: "login", user: { id: 7 } }, index: "i" },
  { name: "a null message is like none", doc: { message: null, x: 1 }, index: "i" },
  { name: "a numeric message becomes JSON text", doc: { message: 404, x: "y" }, index: "i" },
  { name: "a date-only @timestamp", doc: { "@timestamp": "2026-01-02", message: "d" }, index: "i" },
  { name: "an empty @timestamp takes the receive time", doc: { "@timestamp": "", message: "e" }, index: "i" },
  { name: "a bad @timestamp is refused", doc: { "@timestamp": "yesterday", message: "b" }, index: "i" },
  { name: "an object @timestamp is refused", doc: { "@timestamp": { a: 1 }, message: "b" }, index: "i" },
  { name: "epoch seconds as text", doc: { "@timestamp": "1767323045", message: "s" }, index: "i" },
  {
    name: "trace and span ids in alternative keys; invalid ones stay attributes",
    doc: { message: "t", trace_id: "not-hex", traceId: "4BF92F3577B34DA6A3CE929D0E0E4736", span_id: "00f067aa0ba902b7", "span.id": "zz" },
    index: "i",
  },
  { name: "all-zero trace id stays an attribute", doc: { message: "z", trace: { id: "00000000000000000000000000000000" } }, index: "i" },
  { name: "severity field names a level", doc: { message: "s", severity: "critical" }, index: "" },
  { name: "unknown level text gives no level label", doc: { message: "s", level: "chatty" }, index: "i" },
  { name: "host.hostname overrides host.name in the resource", doc: { message: "h", host: { hostname: "b", name: "a" }, container: { id: "c1" } }, index: "i" },
  { name: "an _id attribute is replaced by the action id", doc: { message: "id", _id: "from-doc", x: 1 }, index: "i", id: "from-action" },
  { name: "the beats source label", doc: { message: "b", service: { name: "svc" } }, index: "filebeat-8.17.0", source: "beats" },
  { name: "a message over ingest.maxLineBytes is refused", doc: { message: "x".repeat(MAX_LINE + 1) }, index: "i" },
  { name: "a multibyte message over the limit in bytes is refused", doc: { message: "é".repeat(MAX_LINE / 2 + 1) }, index: "i" },
  { name: "a multibyte message at the limit is kept", doc: { message: "é".repeat(MAX_LINE / 2) }, index: "i" },
  { name: "a service name that is not a valid label value is refused", doc: { message: "v", service: { name: "s".repeat(5000) } }, index: "i" },
  {
    name: "hostile keys: __proto__, constructor, empty and unicode keys",
    doc: JSON.parse(
      '{"message":"p","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"x":1}},"":{"a":"empty-prefix"},"ключ":"значение","a":{"":"empty-child"},"toString":"t"}',
    ),
    index: "i",
  },
  { name: "hostile keys: __proto__ with a text value", doc: JSON.parse('{"message":"p","__proto__":"text","b":{"__proto__":[1,2]}}'), index: "i" },
  { name: "beats event with @metadata", doc: filebeatContainer, beats: true },
  {
    name: "beats event with @metadata and no message",
    doc: { "@metadata": { beat: "winlogbeat", version: "8.17.0" }, "@timestamp": "2026-01-02T03:04:05Z", event: { code: 4624 } },
    beats: true,
  },
  { name: "beats event with a bad @metadata and a message field after it", doc: { "@metadata": "x", a: 1, message: "m" }, beats: true },
  { name: "beats event without @metadata", doc: { message: "plain", host: { name: "h" } }, beats: true },
  { name: "beats event with only @metadata", doc: { "@metadata": { beat: "filebeat" } }, beats: true },
  { name: "deep document: objects past 20 levels become JSON text", doc: { message: "deep", root: nest(40, "leaf") }, index: "i" },
  { name: "deep document at exactly the depth limit", doc: { message: "edge", root: nest(20, { last: 1 }) }, index: "i" },
  { name: "very deep document", doc: { message: "very deep", root: nest(2000, 1) }, index: "i", hash: true },
  { name: "wide document", doc: wide(5000), index: "i", hash: true },
  {
    name: "long keys and values",
    doc: { message: "long", ["k".repeat(10_000)]: "v".repeat(100_000), nested: { ["n".repeat(5000)]: { ["m".repeat(5000)]: true } } },
    index: "i",
    hash: true,
  },
];

const FLATTEN_CASES: { name: string; doc: Record<string, unknown>; hash?: boolean }[] = [
  { name: "flatten: datadog style attributes", doc: { status: "info", network: { client: { ip: "10.0.0.1" } }, duration: 12.5, tags: ["a"], x: null } },
  { name: "flatten: message and @timestamp are kept", doc: { message: "m", "@timestamp": "t", a: { b: 1 } } },
  { name: "flatten: deep", doc: { root: nest(30, "x") } },
  { name: "flatten: hostile keys", doc: JSON.parse('{"__proto__":{"a":1},"":{"b":2},"c":{"":3}}') },
  { name: "flatten: wide", doc: wide(3000), hash: true },
];

/** A record or a DocumentError as plain JSON (bigints as decimal text, labels as an object). */
function run(c: Case): unknown {
  try {
    const r =
      c.beats === true
        ? beatsEventToRecord(c.doc as Record<string, unknown>, "t1", NOW, MAX_LINE)
        : documentToRecord(c.doc as Record<string, unknown>, c.index ?? "i", c.id, "t1", NOW, MAX_LINE, ...(c.source !== undefined ? [c.source] : []));
    return JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  } catch (err) {
    if (err instanceof DocumentError) return { error: { type: err.type, message: err.message } };
    throw err;
  }
}

const shaOf = (v: unknown): string => `sha256:${createHash("sha256").update(JSON.stringify(v)).digest("hex")}`;

const update = process.env.MESHLOG_UPDATE_GOLDEN === "1";
const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as Record<string, unknown>;

test("golden: every document maps to the recorded record, key order included", () => {
  const got: Record<string, unknown> = {};
  for (const c of CASES) {
    const out = run(c);
    got[c.name] = c.hash === true ? shaOf(out) : out;
  }
  for (const c of FLATTEN_CASES) {
    const out = flattenDocument(c.doc);
    got[c.name] = c.hash === true ? shaOf(out) : out;
  }
  if (update) {
    writeFileSync(GOLDEN, JSON.stringify(got, null, 2) + "\n");
    return;
  }
  assert.deepEqual(Object.keys(golden), Object.keys(got), "golden cases match the table");
  for (const [name, want] of Object.entries(golden)) assert.equal(JSON.stringify(got[name]), JSON.stringify(want), name);
});

test("mapping does not pollute prototypes or share state between documents", () => {
  const doc = JSON.parse('{"message":"p","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as Record<string, unknown>;
  const r = documentToRecord(doc, "i", undefined, "t1", NOW, MAX_LINE);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  const a = documentToRecord({ message: "a", x: "1" }, "i", undefined, "t1", NOW, MAX_LINE);
  const b = documentToRecord({ message: "b", y: "2" }, "i", undefined, "t1", NOW, MAX_LINE);
  assert.deepEqual([a.attributes, b.attributes], [{ x: "1" }, { y: "2" }]);
  assert.notEqual(a.resource, b.resource);
});

test("the input document is not modified", () => {
  const doc = structuredClone(filebeatContainer) as Record<string, unknown>;
  documentToRecord(doc, "i", "id-1", "t1", NOW, MAX_LINE);
  assert.deepEqual(doc, filebeatContainer);
});

test("output is the same before and after the field-name cache overflows with hostile key churn", () => {
  const before = JSON.stringify(documentToRecord(structuredClone(filebeatContainer), "i", undefined, "t1", NOW, MAX_LINE), (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  for (let round = 0; round < 5; round++) {
    const churn: Record<string, unknown> = { message: "churn" };
    for (let i = 0; i < 6000; i++) churn[`r${round}k${i}`] = { [`n${i}`]: i };
    assert.equal(Object.keys(documentToRecord(churn, "i", undefined, "t1", NOW, MAX_LINE).attributes).length, 6000);
  }
  const after = JSON.stringify(documentToRecord(structuredClone(filebeatContainer), "i", undefined, "t1", NOW, MAX_LINE), (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  assert.equal(after, before);
});

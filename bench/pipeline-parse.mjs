#!/usr/bin/env node
// Pipeline throughput: parse + normalize + redact on generated service-mesh lines, compared with the raw
// JSON.parse rate of the same lines as native NDJSON records, measured in the same run. Prints JSON.
// Usage: node bench/pipeline-parse.mjs [--lines N] [--rounds R]   (needs `npx tsc -b packages/pipeline` first;
// MESHLOG_BENCH_SCALE scales the default 100k lines). Output: one JSON line.
import { normalizeRecord, parseBody, Redactor } from "../packages/pipeline/dist/index.js";
import { ManualClock } from "../packages/core/dist/index.js";
import os from "node:os";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("lines", Math.round(100_000 * Number(process.env.MESHLOG_BENCH_SCALE ?? 1)));
const ROUNDS = arg("rounds", 5);

// Deterministic generator (xorshift) so runs are comparable.
let seed = 0x12345678;
const rnd = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const pick = (a) => a[rnd(a.length)];
const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[rnd(16)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
const ip = () => `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
const services = ["reviews", "ratings", "productpage", "details", "checkout", "payments", "cart", "auth"];
const paths = ["/reviews/0", "/api/v1/users", "/cart?id=7", "/healthz", "/api/v1/orders/12345", "/login", "/static/app.js"];
const statuses = [200, 200, 200, 200, 201, 204, 301, 404, 429, 500, 503];
const iso = (ms) => new Date(1_735_689_600_000 + ms).toISOString();

const generators = {
  istio: (i) =>
    `[${iso(i)}] "GET ${pick(paths)} HTTP/1.1" ${pick(statuses)} - via_upstream - "-" 0 ${rnd(5000)} ${rnd(300)} ${rnd(300)} "-" "Mozilla/5.0 (X11; Linux x86_64) Chrome/134.0" "${uuid()}" "${pick(services)}:9080" "${ip()}:9080" outbound|9080||${pick(services)}.default.svc.cluster.local ${ip()}:60236 ${ip()}:9080 ${ip()}:55058 - default`,
  "istio-json": (i) =>
    JSON.stringify({
      start_time: iso(i),
      route_name: "default",
      method: "POST",
      path: pick(paths),
      protocol: "HTTP/2",
      response_code: pick(statuses),
      response_flags: "-",
      response_code_details: "via_upstream",
      connection_termination_details: null,
      upstream_transport_failure_reason: null,
      bytes_received: rnd(2000),
      bytes_sent: rnd(9000),
      duration: rnd(400),
      upstream_service_time: String(rnd(400)),
      x_forwarded_for: null,
      user_agent: "grpc-go/1.60.1",
      request_id: uuid(),
      authority: `${pick(services)}:9080`,
      upstream_host: `${ip()}:9080`,
      upstream_cluster: `outbound|9080||${pick(services)}.default.svc.cluster.local`,
      upstream_local_address: `${ip()}:40000`,
      downstream_local_address: `${ip()}:9080`,
      downstream_remote_address: `${ip()}:50000`,
      requested_server_name: null,
    }),
  "cri-json": (i) =>
    `${iso(i).replace("Z", "123456Z")} stdout F ${JSON.stringify({ level: pick(["info", "info", "warn", "error"]), ts: iso(i), msg: "user signed in", user: `user${rnd(1000)}@example.com`, trace_id: hex(32), span_id: hex(16), latency_ms: rnd(200) })}`,
  "ingress-nginx": (i) =>
    `${ip()} - - [25/Feb/2026:10:30:${String(i % 60).padStart(2, "0")} +0000] "GET ${pick(paths)} HTTP/1.1" ${pick(statuses)} ${rnd(9000)} "-" "Mozilla/5.0" ${rnd(900)} 0.0${rnd(99)} [default-${pick(services)}-80] [] ${ip()}:8080 ${rnd(9000)} 0.0${rnd(99)} 200 ${hex(32)}`,
  "linkerd-json": (i) =>
    JSON.stringify({
      "client.addr": `${ip()}:32996`,
      "client.id": "web.default.serviceaccount.identity.linkerd.cluster.local",
      host: "webapp:7000",
      method: "GET",
      processing_ns: String(rnd(90000)),
      request_bytes: "",
      response_bytes: String(rnd(20000)),
      status: pick(statuses),
      timestamp: iso(i),
      total_ns: String(rnd(1e7)),
      trace_id: "",
      uri: "http://webapp:7000/",
      user_agent: "Go-http-client/1.1",
      version: "HTTP/2.0",
    }),
  logfmt: (i) =>
    `ts=${iso(i)} level=${pick(["debug", "info", "warn"])} caller=server.go:${rnd(400)} msg="request handled" path=${pick(paths)} status=${pick(statuses)} duration=${rnd(900)}ms password=hunter${rnd(99)}`,
  syslog: (i) =>
    `<${pick([13, 34, 134, 165])}>1 ${iso(i)} node-${rnd(9)} sshd ${rnd(60000)} - [meta seq="${i}"] Accepted publickey for git from ${ip()} port ${rnd(65535)} ssh2`,
};

const formats = Object.keys(generators);
const lines = Array.from({ length: N }, (_, i) => generators[formats[i % formats.length]](i));
const ndjson = lines.map((l) => JSON.stringify({ body: l, labels: { service: "x" } }));
const bytes = lines.reduce((n, l) => n + l.length, 0);

const clock = new ManualClock();
const redactor = new Redactor();
let sink = 0;

// A small retained sample (a large retained heap would slow every variant's garbage collection).
const SAMPLE = Math.min(N, 5000);
const records = lines.slice(0, SAMPLE).map((l) => normalizeRecord({ tenant: "t", source: "agent", body: l }, { parse: "auto", clock }));
const variants = {
  jsonParse: () => {
    for (const l of ndjson) sink += JSON.parse(l).body.length;
  },
  parseBody: () => {
    for (const l of lines) sink += parseBody(l).format.length;
  },
  parseNormalize: () => {
    for (const l of lines) sink += normalizeRecord({ tenant: "t", source: "agent", body: l }, { parse: "auto", clock }).body.length;
  },
  parseNormalizeRedact: () => {
    for (const l of lines) sink += redactor.redactRecord(normalizeRecord({ tenant: "t", source: "agent", body: l }, { parse: "auto", clock }));
  },
  redactBodyOnly: () => {
    for (let i = 0; i < N; i++) sink += redactor.redactText(records[i % SAMPLE].body).count;
  },
};

// The machine may be shared: variants run interleaved, round after round, and each ratio is taken within
// one round, so load changes affect both sides of a ratio alike. Medians are reported.
const timings = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const ratios = [];
for (const fn of Object.values(variants)) fn(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const round = {};
  for (const [name, fn] of Object.entries(variants)) {
    const t = process.hrtime.bigint();
    fn();
    round[name] = N / (Number(process.hrtime.bigint() - t) / 1e9);
    timings[name].push(round[name]);
  }
  ratios.push(round.parseNormalizeRedact / round.jsonParse);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const linesPerSec = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(median(v))]));

const perFormat = {};
for (const f of formats) {
  const sample = Array.from({ length: 20_000 }, (_, i) => generators[f](i));
  const t = process.hrtime.bigint();
  for (const l of sample) {
    const r = normalizeRecord({ tenant: "t", source: "agent", body: l }, { parse: "auto", clock });
    sink += redactor.redactRecord(r);
  }
  perFormat[f] = Math.round(20_000 / (Number(process.hrtime.bigint() - t) / 1e9));
}

console.log(
  JSON.stringify({
    benchmark: "pipeline-parse",
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    lines: N,
    avgLineBytes: Math.round(bytes / N),
    rounds: ROUNDS,
    linesPerSec,
    ratioToJsonParse: { parseNormalizeRedact: Number(median(ratios).toFixed(3)) },
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    parseNormalizeRedactByFormat: perFormat,
    redactions: redactor.counts(),
    checksum: sink % 1000,
  }),
);

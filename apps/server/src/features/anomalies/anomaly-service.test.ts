// Integration of the detector job over a MemoryStore with a ManualClock: steady traffic for several intervals, then
// an Envoy 503/UF burst, a stream going silent and a new template; records land in the affected tenant only; the
// saved state carries the baselines across a restart.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, silentLogger, type Labels, type LogRecord } from "@meshlog/core";
import { MemoryStore, type LogStore } from "@meshlog/storage";
import { anomaliesConfigSchema } from "./anomalies-config.js";
import { anomalyFilterOf, queryAnomalies } from "./anomaly-query.js";
import { AnomalyService, type AnomalyRunReport } from "./anomaly-service.js";
import { parseScopeSelector } from "../auth/scope-selector.js";

const S = 1_000_000_000n;
const INTERVAL = 60n * S;
const CHECKOUT = { source: "envoy", namespace: "shop", service: "checkout" };
const WORKER = { source: "native", namespace: "shop", service: "worker" };
const CRON = { source: "native", namespace: "ops", service: "cron" };
const UPSTREAM = "outbound|8080||cart.shop.svc.cluster.local";

function rec(tenant: string, labels: Labels, ts: bigint, body: string, attributes: Record<string, string> = {}, severityNumber = 9): LogRecord {
  return { timestamp: ts, observedTimestamp: ts, severityNumber, severityText: "", body, attributes, resource: {}, traceId: "", spanId: "", tenant, labels };
}

/** Envoy access-log line with the attributes the normalizer gives it (docs/specs/fields.md). */
function envoy(tenant: string, ts: bigint, i: number, status: number, flags: string): LogRecord {
  const body = `[2026-11-25T06:00:00.000Z] "GET /api/cart/${i} HTTP/1.1" ${status} ${flags} 0 91 3 2 "-" "curl/8.0" "req-${i}" "cart.shop:8080" "10.0.0.5:8080"`;
  return rec(
    tenant,
    CHECKOUT,
    ts,
    status >= 500 ? `${body} upstream connect error or disconnect/reset before headers. reset reason: connection failure` : body,
    { "http.status_code": String(status), "response.flags": flags, "upstream.cluster": UPSTREAM, "http.method": "GET" },
    status >= 500 ? 17 : 9,
  );
}

/** Lines of one interval [start, start + 60 s), spread evenly. */
function interval(
  tenant: string,
  start: bigint,
  k: number,
  opts: { burst?: boolean; cronSilent?: boolean; newTemplate?: boolean; workerLines?: number; mostlyHeartbeats?: boolean } = {},
): LogRecord[] {
  const out: LogRecord[] = [];
  const at = (i: number, n: number): bigint => start + 1_000_000n + (BigInt(i) * (INTERVAL - 2_000_000n)) / BigInt(n);
  const nCheckout = 100 + (k % 5);
  for (let i = 0; i < nCheckout; i++)
    out.push(envoy(tenant, at(i, nCheckout), i, opts.burst === true && i % 10 < 6 ? 503 : 200, opts.burst === true && i % 10 < 6 ? "UF" : "-"));
  const nWorker = opts.workerLines ?? 50 + (k % 3);
  for (let i = 0; i < nWorker; i++)
    out.push(
      rec(
        tenant,
        WORKER,
        at(i, nWorker),
        i % (opts.mostlyHeartbeats === true ? 10 : 2) === 0 ? `processed job id=${k * 1000 + i} in ${i % 17}ms` : `heartbeat ok queue=${i % 4} lag=${i % 9}`,
      ),
    );
  if (opts.newTemplate === true)
    for (let i = 0; i < 3; i++)
      out.push(rec(tenant, WORKER, at(i, 3) + 7n, `panic: runtime error: invalid memory address or nil pointer dereference goroutine ${i + 10}`));
  if (opts.cronSilent !== true) for (let i = 0; i < 20; i++) out.push(rec(tenant, CRON, at(i, 20), `cron tick job=backup step=${i}`));
  return out;
}

const config = anomaliesConfigSchema.parse({ intervalSeconds: 60, delaySeconds: 0, silence: { minutes: 2 }, templates: { warmupLines: 100 } });

describe("anomaly detector job", () => {
  let dir = "";
  let store: LogStore;
  const clock = new ManualClock(1_800_000_000n * S);
  let service: AnomalyService;
  const reports: AnomalyRunReport[] = [];

  /** Appends an interval's lines for tenants a and b, advances the clock by one interval and runs the job. */
  async function step(k: number, opts: Parameters<typeof interval>[3] = {}): Promise<AnomalyRunReport> {
    const start = clock.nowNs();
    await store.append("a", interval("a", start, k, opts));
    await store.append("b", interval("b", start, k));
    clock.advance(INTERVAL);
    const r = await service.runOnce();
    reports.push(r);
    return r;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshlog-anomalies-"));
    store = new MemoryStore();
    service = new AnomalyService({ store, clock, log: silentLogger, config, dataDir: dir });
    // First run: nothing stored yet.
    clock.advance(INTERVAL);
    assert.equal((await service.runOnce()).anomalies.length, 0);
    for (let k = 0; k < 8; k++) await step(k);
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("steady traffic with noise gives no anomalies", () => {
    const all = reports.flatMap((r) => r.anomalies);
    assert.deepEqual(
      all.map((a) => `${a.kind} ${JSON.stringify(a.labels)}`),
      [],
    );
    assert.ok((reports.at(-1)?.linesRead ?? 0) > 300, "the runs read the intervals' lines");
  });

  test("a burst of Envoy 503 UF lines gives mesh-5xx and upstream-connect-failure in the affected tenant", async () => {
    const r = await step(8, { burst: true, cronSilent: true, newTemplate: true });
    const kinds = r.anomalies.map((a) => a.kind);
    assert.ok(kinds.includes("mesh-5xx"), kinds.join(","));
    assert.ok(kinds.includes("upstream-connect-failure"), kinds.join(","));
    const mesh = r.anomalies.find((a) => a.kind === "mesh-5xx");
    assert.equal(mesh?.tenant, "a");
    assert.deepEqual(mesh?.labels, { namespace: "shop", service: "checkout", upstream: UPSTREAM });
    assert.ok((mesh?.observed ?? 0) > 0.55 && (mesh?.observed ?? 1) < 0.65, `observed ${mesh?.observed}`);
    assert.equal(mesh?.baseline, 0);
    assert.ok(
      r.anomalies.every((a) => a.tenant === "a"),
      "tenant b had steady traffic only",
    );
  });

  test("a template never seen before in a warm stream gives new-template", () => {
    const r = reports.at(-1) as AnomalyRunReport;
    // The burst's 503 lines are a new template of the checkout stream as well; the worker's panic is the other one.
    const nt = r.anomalies.filter((a) => a.kind === "new-template" && a.labels.service === "worker");
    assert.equal(nt.length, 1, nt.map((a) => a.message).join("; "));
    assert.deepEqual(nt[0]?.labels, WORKER);
    assert.match(String(nt[0]?.details?.pattern), /^panic: runtime error: invalid memory address or nil pointer dereference goroutine <_>$/);
  });

  test("a stream that stops sending gives one silence anomaly once it is quiet long enough", async () => {
    const first = await step(9, { cronSilent: true });
    const second = await step(10, { cronSilent: true });
    const third = await step(11, { cronSilent: true });
    const silences = [first, second, third].flatMap((r) => r.anomalies.filter((a) => a.kind === "silence"));
    assert.equal(silences.length, 1, silences.map((a) => a.message).join("; "));
    assert.deepEqual(silences[0]?.labels, CRON);
    assert.ok((silences[0]?.observed ?? 0) >= 120);
  });

  test("a known template whose share of the stream jumps gives template-spike", async () => {
    const r = await step(12, { cronSilent: true, mostlyHeartbeats: true });
    const spikes = r.anomalies.filter((a) => a.kind === "template-spike");
    assert.equal(spikes.length, 1, r.anomalies.map((a) => a.message).join("; "));
    assert.deepEqual(spikes[0]?.labels, WORKER);
    assert.equal(spikes[0]?.details?.pattern, "heartbeat ok queue=<_> lag=<_>");
    assert.ok((spikes[0]?.observed ?? 0) >= 0.85 && (spikes[0]?.baseline ?? 1) < 0.55, spikes[0]?.message);
    assert.deepEqual(
      r.anomalies.filter((a) => a.kind !== "template-spike").map((a) => a.kind),
      [],
      "the stream's volume did not change",
    );
  });

  test("the records are in the store of tenant a with the anomaly labels and are read back by kind and scope", async () => {
    const end = clock.nowNs() + 1n;
    const all = await queryAnomalies(store, "a", anomalyFilterOf({ since: "1h" }, end));
    const kinds = new Set(all.map((v) => v.kind));
    for (const k of ["mesh-5xx", "upstream-connect-failure", "new-template", "silence"]) assert.ok(kinds.has(k), `${k} in ${[...kinds].join(",")}`);
    assert.ok(
      all.every((v, i) => i === 0 || BigInt(v.timeNs) <= BigInt(all[i - 1]?.timeNs ?? "0")),
      "newest first",
    );
    const streams = await store.streams("a", 0n, end);
    const anomalyStreams = streams.filter((s) => s.labels.kind === "anomaly");
    assert.ok(anomalyStreams.length >= 3);
    for (const s of anomalyStreams) assert.equal(s.labels.source, "meshlog");
    assert.deepEqual(new Set(anomalyStreams.map((s) => s.labels.detector)), new Set(["mesh", "new-template", "silence", "error-ratio", "template-share"]));
    const mesh = await queryAnomalies(store, "a", anomalyFilterOf({ since: "1h", kind: "mesh" }, end));
    assert.deepEqual(new Set(mesh.map((v) => v.detector)), new Set(["mesh"]));
    const scoped = await queryAnomalies(store, "a", anomalyFilterOf({ since: "1h" }, end), parseScopeSelector('{namespace="ops"}'));
    assert.deepEqual(
      scoped.map((v) => v.kind),
      ["silence"],
    );
    const limited = await queryAnomalies(store, "a", anomalyFilterOf({ since: "1h", limit: "2" }, end));
    assert.equal(limited.length, 2);
    assert.deepEqual(await queryAnomalies(store, "b", anomalyFilterOf({ since: "1h" }, end)), [], "tenant b never sees tenant a's anomalies");
  });

  test("anomaly records are not scanned as data (no feedback)", () => {
    const last = reports.at(-1) as AnomalyRunReport;
    assert.ok(last.anomalies.every((a) => a.labels.source !== "meshlog"));
  });

  test("the state is saved 0600 and a restarted job keeps its baselines", async () => {
    const file = join(dir, "anomalies", "state.json");
    assert.ok(existsSync(file));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await service.close();
    service = new AnomalyService({ store, clock, log: silentLogger, config, dataDir: dir });
    // Right after the restart, a worker spike: only a warm (restored) baseline can report it.
    const r = await step(13, { workerLines: 600 });
    const spikes = r.anomalies.filter((a) => a.kind === "volume-spike");
    assert.equal(spikes.length, 1, JSON.stringify(r.anomalies.map((a) => a.kind)));
    assert.deepEqual(spikes[0]?.labels, WORKER);
  });

  test("a corrupt state file is set aside and the job starts afresh", async () => {
    const d = await mkdtemp(join(tmpdir(), "meshlog-anomalies-corrupt-"));
    try {
      const file = join(d, "anomalies", "state.json");
      const s0 = new AnomalyService({ store: new MemoryStore(), clock, log: silentLogger, config, dataDir: d });
      await s0.close();
      assert.equal(existsSync(file), false, "a job that never ran writes no state");
      await s0.runOnce();
      assert.equal(existsSync(file), true);
      writeFileSync(file, "{ not json", { mode: 0o600 });
      const errors: string[] = [];
      const log = { ...silentLogger, error: (m: string) => void errors.push(m) };
      const s1 = new AnomalyService({ store: new MemoryStore(), clock, log, config, dataDir: d });
      await s1.close();
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? "", /anomaly state .*state\.json is corrupt and was moved to .*state\.json\.corrupt-\d+/);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe("auth-failure bursts", () => {
  test("denied requests in the audit trail and sshd failures above the threshold become auth-failure-burst", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meshlog-anomalies-auth-"));
    const store = new MemoryStore();
    const clock = new ManualClock(1_800_000_000n * S);
    try {
      const service = new AnomalyService({ store, clock, log: silentLogger, config, dataDir: dir });
      const start = clock.nowNs();
      const denied = (tenant: string, principal: string, addr: string, i: number): LogRecord =>
        rec("_audit", { source: "audit", action: "query", result: "denied" }, start + BigInt(i) * S, JSON.stringify({ action: "query", principal }), {
          principal,
          tenant,
          result: "denied",
          "client.address": addr,
        });
      const audit: LogRecord[] = [];
      for (let i = 0; i < 25; i++) audit.push(denied("a", "anonymous", "203.0.113.7", i));
      for (let i = 0; i < 21; i++) audit.push(denied("ghost", "svc-x", "192.0.2.50", i));
      for (let i = 0; i < 5; i++) audit.push(denied("a", "svc-quiet", "192.0.2.60", i));
      // Allowed requests do not count.
      for (let i = 0; i < 30; i++)
        audit.push(
          rec("_audit", { source: "audit", action: "query", result: "ok" }, start + BigInt(i) * S, "{}", {
            principal: "svc-ok",
            tenant: "a",
            "client.address": "192.0.2.70",
          }),
        );
      await store.append("_audit", audit);
      const syslog = { source: "syslog", service: "sshd", host: "bastion" };
      const lines: LogRecord[] = [];
      for (let i = 0; i < 12; i++)
        lines.push(rec("a", syslog, start + BigInt(i) * S, `Failed password for invalid user u${i} from 198.51.100.9 port ${40000 + i} ssh2`));
      for (let i = 0; i < 9; i++) lines.push(rec("a", syslog, start + BigInt(i) * S, `Invalid user v${i} from 198.51.100.10 port ${40000 + i}`));
      await store.append("a", lines);
      clock.advance(INTERVAL);
      const r = await service.runOnce();
      const bursts = r.anomalies.filter((x) => x.kind === "auth-failure-burst").map((x) => `${x.tenant} ${String(x.details?.key)} ${x.observed}`);
      assert.deepEqual(bursts.sort(), ["_audit address:192.0.2.50 21", "_audit principal:svc-x 21", "a address:198.51.100.9 12", "a address:203.0.113.7 25"]);
      const ssh = r.anomalies.find((x) => x.details?.key === "address:198.51.100.9");
      assert.deepEqual(ssh?.labels, { service: "sshd", host: "bastion" });
      assert.equal(ssh?.severity, "error");
      assert.ok(
        (await store.tenants()).every((t) => t !== "ghost"),
        "a tenant named only in an audit event is never created",
      );
      await service.close();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("anomaly API parameters", () => {
  const now = 1_800_000_000n * S;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ since: "forever" }, /^since: /],
    [{ since: "0s" }, /^since: must be a positive duration/],
    [{ since: "1h", start: "1" }, /^since: use either since or start/],
    [{ limit: "0" }, /^limit: must be an integer from 1 to 5000/],
    [{ limit: "1e9" }, /^limit: /],
    [{ kind: "nope" }, /^kind: unknown kind "nope"/],
    [{ kind: ["a", "b"] }, /^kind: must be given once/],
    [{ start: "2", end: "1" }, /^start: must be before end/],
    [{ query: "{}" }, /^query: unknown parameter/],
    [{ kind: "x".repeat(300) }, /^kind: is longer than 256 characters/],
  ];
  for (const [q, re] of cases) {
    test(`${JSON.stringify(q).slice(0, 60)} is refused with a message naming the parameter`, () => {
      assert.throws(
        () => anomalyFilterOf(q, now),
        (e: Error & { code?: string }) => e.code === "ANOMALY_PARAM_INVALID" && re.test(e.message),
      );
    });
  }

  test("a range reaching before the epoch starts at 0", () => {
    assert.equal(anomalyFilterOf({ since: "100000d" }, now).start, 0n);
  });

  test("defaults are the last hour and 100 anomalies", () => {
    const f = anomalyFilterOf({}, now);
    assert.equal(f.end - f.start, 3600n * S);
    assert.equal(f.limit, 100);
  });
});
